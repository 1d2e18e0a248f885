"""The agency directory table: one item per entry (key agency_id), never deleted.

The by_status index (status + name_key) lists one status's entries alphabetically: the active
directory, or the proposals waiting for a second administrator. The by_ori index finds entries
sharing an ORI. A change of status is a conditional write on the status it leaves, so two
administrators acting at once cannot both confirm (or confirm what the other declined).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import error_code, translate
from chalicelib.domain.agencies import (
    AgencyEntry,
    AgencyFacts,
    AgencyType,
    EntryStatus,
    Jurisdiction,
    Level,
)

STATUS_INDEX = "by_status"
ORI_INDEX = "by_ori"
_TEXT_FIELDS = ("agency_id", "proposed_by", "proposed_at", "digest", "source", "confirmed_by",
                "confirmed_at", "closed_by", "closed_at", "close_reason", "note")


class AgenciesTable:
    """DynamoDB adapter for AgencyEntry values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put_new(self, entry: AgencyEntry) -> None:
        """Store a new proposal; AlreadyExists if the id is taken."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=to_item(entry),
                                    ConditionExpression="attribute_not_exists(agency_id)")
        except ClientError as error:
            raise translate(error, "write agency entry") from error

    def get(self, agency_id: str) -> AgencyEntry | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"agency_id": {"S": agency_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read agency entry") from error
        return None if item is None else from_item(item)

    def transition(self, entry: AgencyEntry, expected: EntryStatus) -> bool:
        """Store the entry's new state if it still has `expected`; False when it changed."""
        try:
            self._dynamodb.put_item(
                TableName=self.table, Item=to_item(entry),
                ConditionExpression="attribute_exists(agency_id) AND #status = :expected",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":expected": {"S": expected.value}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "update agency entry") from error
        return True

    def list_by_status(self, status: EntryStatus) -> list[AgencyEntry]:
        """One status's entries by name (the directory is hundreds of entries, not millions)."""
        return self._query({"IndexName": STATUS_INDEX,
                            "KeyConditionExpression": "#status = :status",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {":status": {"S": status.value}}})

    def with_ori(self, ori: str) -> list[AgencyEntry]:
        return self._query({"IndexName": ORI_INDEX, "KeyConditionExpression": "ori = :ori",
                            "ExpressionAttributeValues": {":ori": {"S": ori}}})

    def all_entries(self) -> list[AgencyEntry]:
        """Every entry of every status (the monthly audit), through the status index."""
        return [entry for status in EntryStatus for entry in self.list_by_status(status)]

    def _query(self, request: dict[str, Any]) -> list[AgencyEntry]:
        request = {"TableName": self.table, **request}
        found: list[AgencyEntry] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "list agency entries") from error
            found.extend(from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def to_item(entry: AgencyEntry) -> dict[str, Any]:
    facts = entry.facts
    item: dict[str, Any] = {name: {"S": getattr(entry, name)} for name in _TEXT_FIELDS
                            if getattr(entry, name)}
    item.update({
        "name": {"S": facts.name}, "name_key": {"S": facts.name.casefold()},
        "ori": {"S": facts.ori}, "agency_type": {"S": facts.agency_type.value},
        "level": {"S": facts.level.value}, "jurisdiction": {"S": facts.jurisdiction.value},
        "domains": {"L": [{"S": domain} for domain in facts.domains]},
        "status": {"S": entry.status.value},
        "proposal_seq": {"N": str(entry.proposal_seq)},
        "confirmation_seq": {"N": str(entry.confirmation_seq)},
    })
    for name in ("county", "city"):
        if getattr(facts, name):
            item[name] = {"S": getattr(facts, name)}
    return item


def from_item(item: dict[str, Any]) -> AgencyEntry:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    facts = AgencyFacts(
        name=text("name"), ori=text("ori"), agency_type=AgencyType(text("agency_type")),
        level=Level(text("level")), county=text("county"), city=text("city"),
        domains=tuple(value["S"] for value in item.get("domains", {}).get("L", [])),
        jurisdiction=Jurisdiction(text("jurisdiction")))
    return AgencyEntry(
        **{name: text(name) for name in _TEXT_FIELDS}, facts=facts,
        status=EntryStatus(text("status")),
        proposal_seq=int(item.get("proposal_seq", {}).get("N", "0")),
        confirmation_seq=int(item.get("confirmation_seq", {}).get("N", "0")))
