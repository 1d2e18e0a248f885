"""The audit table: an append-only, hash-chained log in one DynamoDB partition.

Appends are conditional puts on the next sequence number, so two writers can never both take it;
the loser re-reads the head and links after the winner. Records are never updated or deleted
(the function roles have no UpdateItem/DeleteItem permission on this table).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import AlreadyExists, StorageError, translate
from chalicelib.domain.audit import AuditEntry, AuditRecord, entry_from_fields, link

CHAIN = "audit"
_APPEND_ATTEMPTS = 25


class AuditUnavailable(StorageError):
    """The access record could not be written; the access must not proceed (fail closed)."""


class AuditLog:
    """Appends and reads audit records."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def append(self, entry: AuditEntry) -> AuditRecord:
        """Write the entry as the next record of the chain, or raise AuditUnavailable."""
        for _ in range(_APPEND_ATTEMPTS):
            try:
                record = link(entry, self.head())
                self._dynamodb.put_item(
                    TableName=self.table, Item=to_item(record),
                    ConditionExpression="attribute_not_exists(seq)")
                return record
            except AlreadyExists:
                continue
            except ClientError as error:
                mapped = translate(error, "append audit record")
                if isinstance(mapped, AlreadyExists):
                    continue
                raise AuditUnavailable(str(mapped)) from error
            except StorageError as error:
                raise AuditUnavailable(str(error)) from error
        raise AuditUnavailable("audit chain is too contended to append; try again")

    def head(self) -> AuditRecord | None:
        try:
            items = self._dynamodb.query(
                TableName=self.table, KeyConditionExpression="chain = :chain",
                ExpressionAttributeValues={":chain": {"S": CHAIN}},
                ScanIndexForward=False, Limit=1, ConsistentRead=True)["Items"]
        except ClientError as error:
            raise translate(error, "read audit head") from error
        return from_item(items[0]) if items else None

    def record(self, seq: int) -> AuditRecord | None:
        """One record by its sequence number (None when there is none)."""
        try:
            item = self._dynamodb.get_item(
                TableName=self.table, Key={"chain": {"S": CHAIN}, "seq": {"N": str(seq)}},
                ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read audit record") from error
        return from_item(item) if item else None

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]:
        """Every record in sequence order (for chain verification and exports)."""
        paginator = self._dynamodb.get_paginator("query")
        try:
            for page in paginator.paginate(
                    TableName=self.table,
                    KeyConditionExpression="chain = :chain AND seq > :after",
                    ExpressionAttributeValues={":chain": {"S": CHAIN},
                                               ":after": {"N": str(after_seq)}},
                    ConsistentRead=True):
                for item in page["Items"]:
                    yield from_item(item)
        except ClientError as error:
            raise translate(error, "read audit records") from error

    def between(self, start: str, end: str, user_id: str | None = None) -> Iterator[AuditRecord]:
        """Records with start <= at < end, by month partitions or one user's index."""
        if user_id:
            yield from self._query_index("by_user", "user_id", [user_id], start, end)
            return
        months = _months_between(start, end)
        yield from self._query_index("by_month", "month", months, start, end)

    def count_between(self, start: str, end: str, action: str, outcome: str = "allowed") -> int:
        """How many records of one action and outcome have start <= at < end (month partitions
        of the by_month index; nothing else is read)."""
        total = 0
        paginator = self._dynamodb.get_paginator("query")
        for month in _months_between(start, end):
            try:
                for page in paginator.paginate(
                        TableName=self.table, IndexName="by_month", Select="COUNT",
                        KeyConditionExpression="#month = :month AND #at >= :start AND #at < :end",
                        FilterExpression="#action = :action AND outcome = :outcome",
                        ExpressionAttributeNames={"#month": "month", "#at": "at",
                                                  "#action": "action"},
                        ExpressionAttributeValues={
                            ":month": {"S": month}, ":start": {"S": start}, ":end": {"S": end},
                            ":action": {"S": action}, ":outcome": {"S": outcome}}):
                    total += int(page.get("Count", 0))
            except ClientError as error:
                raise translate(error, "count audit records") from error
        return total

    def count_searches(self, start: str, end: str, extended_only: bool = False) -> int:
        """Allowed searches with start <= at < end, each counted once (its first page), or only
        those that named a legal authority (searches over the extended-search limit)."""
        total = 0
        condition = ("#action = :action AND outcome = :allowed AND "
                     "(attribute_not_exists(page) OR page = :first)")
        if extended_only:
            condition += " AND attribute_exists(authority)"
        paginator = self._dynamodb.get_paginator("query")
        for month in _months_between(start, end):
            try:
                for page in paginator.paginate(
                        TableName=self.table, IndexName="by_month", Select="COUNT",
                        KeyConditionExpression="#month = :month AND #at >= :start AND #at < :end",
                        FilterExpression=condition,
                        ExpressionAttributeNames={"#month": "month", "#at": "at",
                                                  "#action": "action"},
                        ExpressionAttributeValues={
                            ":month": {"S": month}, ":start": {"S": start}, ":end": {"S": end},
                            ":action": {"S": "search_reads"}, ":allowed": {"S": "allowed"},
                            ":first": {"N": "1"}}):
                    total += int(page.get("Count", 0))
            except ClientError as error:
                raise translate(error, "count searches") from error
        return total

    def last_allowed_access(self, user_id: str) -> str | None:
        """When the user last accessed data successfully (for the idle-account rule)."""
        paginator = self._dynamodb.get_paginator("query")
        try:
            for page in paginator.paginate(
                    TableName=self.table, IndexName="by_user",
                    KeyConditionExpression="user_id = :user",
                    # Signing in is not using the system: it must not restart the idle clock.
                    FilterExpression="outcome = :allowed AND NOT #action IN (:sign_in, :enrol)",
                    ExpressionAttributeNames={"#action": "action"},
                    ExpressionAttributeValues={":user": {"S": user_id},
                                               ":allowed": {"S": "allowed"},
                                               ":sign_in": {"S": "sign_in"},
                                               ":enrol": {"S": "enrol_authenticator"}},
                    ScanIndexForward=False, PaginationConfig={"PageSize": 50}):
                if page["Items"]:
                    return str(page["Items"][0]["at"]["S"])
        except ClientError as error:
            raise translate(error, "read last access") from error
        return None

    def _query_index(self, index: str, key: str, values: list[str], start: str,
                     end: str) -> Iterator[AuditRecord]:
        paginator = self._dynamodb.get_paginator("query")
        for value in values:
            try:
                for page in paginator.paginate(
                        TableName=self.table, IndexName=index,
                        KeyConditionExpression=f"{key} = :value AND #at BETWEEN :start AND :end",
                        ExpressionAttributeNames={"#at": "at"},
                        ExpressionAttributeValues={":value": {"S": value},
                                                   ":start": {"S": start}, ":end": {"S": end}}):
                    for item in page["Items"]:
                        record = from_item(item)
                        if record.entry.at < end:
                            yield record
            except ClientError as error:
                raise translate(error, "query audit records") from error


def _months_between(start: str, end: str) -> list[str]:
    year, month = int(start[:4]), int(start[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= end[:7]:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def to_item(record: AuditRecord) -> dict[str, Any]:
    """The stored form of a record (also what tests and the demo's insider write directly)."""
    entry = record.entry
    item: dict[str, Any] = {
        "chain": {"S": CHAIN}, "seq": {"N": str(record.seq)}, "month": {"S": entry.month},
        "prev_hash": {"S": record.prev_hash}, "hash": {"S": record.hash},
        "result_count": {"N": str(entry.result_count)},
        "query": {"M": {name: {"S": value} for name, value in entry.query.items()}},
    }
    for name in ("at", "user_id", "username", "agency", "role", "action", "outcome", "purpose",
                 "case_number", "refusal_code", "source_ip", "request_id"):
        item[name] = {"S": str(getattr(entry, name))}
    # Later fields are stored only when set (records of other actions stay as they were).
    for name in ("search_id", "next_cursor", "authority", "authority_ref"):
        if getattr(entry, name):
            item[name] = {"S": str(getattr(entry, name))}
    for name in ("page", "cumulative_results"):
        if getattr(entry, name):
            item[name] = {"N": str(getattr(entry, name))}
    return item


def from_item(item: dict[str, Any]) -> AuditRecord:
    fields: dict[str, Any] = {name: value["S"] for name, value in item.items() if "S" in value}
    for name in ("result_count", "page", "cumulative_results"):
        fields[name] = int(item.get(name, {}).get("N", "0"))
    fields["query"] = {name: value["S"] for name, value in
                       item.get("query", {}).get("M", {}).items()}
    return AuditRecord(int(item["seq"]["N"]), entry_from_fields(fields),
                       str(item["prev_hash"]["S"]), str(item["hash"]["S"]))
