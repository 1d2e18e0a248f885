"""The hotlist table: entries keyed by id, found by match key through the by_match_key index.

Exact entries carry their folded plate as match_key, wildcard entries the shared key "pattern"
(domain/hotlist.py), so matching one read costs one index query per distinct folded reading plus
one for the patterns, whatever the size of the lists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import (
    ObjectNotFound,
    TransientStorageError,
    error_code,
    translate,
)
from chalicelib.domain.hotlist import PATTERN_MATCH_KEY, HotlistEntry, match_key
from chalicelib.domain.monthly_audit import ListedEntry

MATCH_KEY_INDEX = "by_match_key"
LIST_INDEX = "by_list"
# What the monthly audit reads of every entry: never the plate or the reason.
_AUDITED_FIELDS = ("entry_id", "list_name", "source", "case_number", "added_by", "approved_by",
                   "loaded_at", "expires_at")
BATCH_SIZE = 25  # BatchWriteItem's limit
MAX_PARALLEL_QUERIES = 8
MAX_BATCH_ATTEMPTS = 8
_BACKOFF_SECONDS = 0.05
_MAX_BACKOFF_SECONDS = 2.0
_TEXT_FIELDS = tuple(f.name for f in fields(HotlistEntry)
                     if f.name not in {"is_pattern", "expires_at", "priority"})


class HotlistTable:
    """DynamoDB adapter for HotlistEntry values."""

    def __init__(self, dynamodb: Any, table: str,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._dynamodb = dynamodb
        self.table = table
        self._sleep = sleep

    def put_many(self, entries: Iterable[HotlistEntry]) -> int:
        """Write entries in batches of 25, retrying what DynamoDB left unprocessed."""
        written = 0
        for chunk in _chunks(entries, BATCH_SIZE):
            self._write_batch([{"PutRequest": {"Item": _to_item(entry)}} for entry in chunk])
            written += len(chunk)
        return written

    def get(self, entry_id: str) -> HotlistEntry | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"entry_id": {"S": entry_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read hotlist entry") from error
        return None if item is None else _from_item(item)

    def entries_for_plate(self, folded_plate: str) -> list[HotlistEntry]:
        """Exact entries whose folded plate is `folded_plate` (see domain fold_plate)."""
        return self._query_key(folded_plate)

    def pattern_entries(self) -> list[HotlistEntry]:
        """Every wildcard entry."""
        return self._query_key(PATTERN_MATCH_KEY)

    def entries_for_keys(self, keys: Iterable[str]) -> list[HotlistEntry]:
        """Entries under each match key (domain match_keys_for_read), without duplicates.

        A frame's readings give up to a dozen keys; their queries run side by side (the client
        is thread-safe), so an alert waits for the slowest query rather than for all of them."""
        distinct = list(dict.fromkeys(keys))
        if len(distinct) <= 1:
            results = [self._query_key(key) for key in distinct]
        else:
            with ThreadPoolExecutor(max_workers=min(len(distinct), MAX_PARALLEL_QUERIES)) as pool:
                results = list(pool.map(self._query_key, distinct))
        found: dict[str, HotlistEntry] = {}
        for entries in results:
            for entry in entries:
                found.setdefault(entry.entry_id, entry)
        return list(found.values())

    def entries_of_list(self, list_name: str, limit: int = 1000) -> list[HotlistEntry]:
        """The entries of one list through the by_list index, newest load first (for the
        custom list's page; imported lists are shown by their load records instead)."""
        entries: list[HotlistEntry] = []
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": LIST_INDEX,
            "KeyConditionExpression": "list_name = :name",
            "ExpressionAttributeValues": {":name": {"S": list_name}},
            "ScanIndexForward": False,
        }
        while len(entries) < limit:
            try:
                response = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "list hotlist entries") from error
            entries.extend(_from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return entries[:limit]

    def listed_entries(self) -> Iterator[ListedEntry]:
        """Every entry without its plate, for the monthly audit.

        A scan, the one in the product: no index lists every entry, and the audit runs once a
        month. The projection keeps plates and reasons out of what the audit function receives.
        """
        request: dict[str, Any] = {
            "TableName": self.table,
            "ProjectionExpression": ", ".join(f"#{name}" for name in _AUDITED_FIELDS),
            "ExpressionAttributeNames": {f"#{name}": name for name in _AUDITED_FIELDS},
        }
        while True:
            try:
                page = self._dynamodb.scan(**request)
            except ClientError as error:
                raise translate(error, "list hotlist entries") from error
            for item in page.get("Items", []):
                yield ListedEntry(
                    entry_id=str(item["entry_id"]["S"]),
                    list_name=str(item.get("list_name", {}).get("S", "")),
                    source=str(item.get("source", {}).get("S", "")),
                    case_number=str(item.get("case_number", {}).get("S", "")),
                    added_by=str(item.get("added_by", {}).get("S", "")),
                    approved_by=str(item.get("approved_by", {}).get("S", "")),
                    loaded_at=str(item.get("loaded_at", {}).get("S", "")),
                    expires_at=int(item["expires_at"]["N"]) if "expires_at" in item else None)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete(self, entry_id: str) -> None:
        try:
            self._dynamodb.delete_item(TableName=self.table, Key={"entry_id": {"S": entry_id}})
        except ClientError as error:
            raise translate(error, "delete hotlist entry") from error

    def expire(self, entry_id: str, now: datetime) -> None:
        """Stop an entry alerting now; TTL removes it later. ObjectNotFound if there is none."""
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key={"entry_id": {"S": entry_id}},
                UpdateExpression="SET expires_at = :now",
                ConditionExpression="attribute_exists(entry_id)",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise ObjectNotFound("hotlist entry") from error
            raise translate(error, "expire hotlist entry") from error

    def _query_key(self, key: str) -> list[HotlistEntry]:
        entries: list[HotlistEntry] = []
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": MATCH_KEY_INDEX,
            "KeyConditionExpression": "match_key = :key",
            "ExpressionAttributeValues": {":key": {"S": key}},
        }
        while True:
            try:
                response = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "query hotlist") from error
            entries.extend(_from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return entries
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        for attempt in range(MAX_BATCH_ATTEMPTS):
            try:
                response = self._dynamodb.batch_write_item(RequestItems={self.table: pending})
            except ClientError as error:
                raise translate(error, "write hotlist entries") from error
            pending = response.get("UnprocessedItems", {}).get(self.table, [])
            if not pending:
                return
            self._sleep(min(_MAX_BACKOFF_SECONDS, _BACKOFF_SECONDS * 2 ** attempt))
        raise TransientStorageError(
            f"write hotlist entries: {len(pending)} items still unprocessed after "
            f"{MAX_BATCH_ATTEMPTS} attempts")


def _chunks(entries: Iterable[HotlistEntry], size: int) -> Iterator[list[HotlistEntry]]:
    """Batches of distinct entries (a batch may not name one key twice); the last one wins."""
    chunk: dict[str, HotlistEntry] = {}
    for entry in entries:
        if entry.entry_id in chunk:
            chunk[entry.entry_id] = entry
            continue
        if len(chunk) == size:
            yield list(chunk.values())
            chunk = {}
        chunk[entry.entry_id] = entry
    if chunk:
        yield list(chunk.values())


def _to_item(entry: HotlistEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "match_key": {"S": match_key(entry)},
        "is_pattern": {"BOOL": entry.is_pattern},
        "priority": {"N": str(entry.priority)},
    }
    if entry.expires_at is not None:
        item["expires_at"] = {"N": str(entry.expires_at)}
    for name in _TEXT_FIELDS:
        value = getattr(entry, name)
        if value:
            item[name] = {"S": str(value)}
    return item


def _from_item(item: dict[str, Any]) -> HotlistEntry:
    def text(name: str) -> str:
        return str(item[name]["S"]) if name in item else ""

    return HotlistEntry(
        is_pattern=bool(item.get("is_pattern", {}).get("BOOL", False)),
        expires_at=int(item["expires_at"]["N"]) if "expires_at" in item else None,
        priority=int(item["priority"]["N"]) if "priority" in item else 5,
        **{name: text(name) for name in _TEXT_FIELDS},
    )


__all__ = ["HotlistTable"]
