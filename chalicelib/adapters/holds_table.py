"""The holds table: one item per hold (key hold_id), listed by status through the by_status index,
ordered by review date, so overdue holds are one query (`status` is a DynamoDB reserved word)."""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import error_code, translate
from chalicelib.domain.holds import Hold, HoldStatus

STATUS_INDEX = "by_status"


class HoldsTable:
    """DynamoDB adapter for Hold values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put(self, hold: Hold) -> None:
        """Write a new hold; AlreadyExists if the id is taken."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=to_item(hold),
                                    ConditionExpression="attribute_not_exists(hold_id)")
        except ClientError as error:
            raise translate(error, "write hold") from error

    def get(self, hold_id: str) -> Hold | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"hold_id": {"S": hold_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read hold") from error
        # Hold requests share the table (adapters/hold_asks.py) under statuses of their own.
        if item is None or item.get("status", {}).get("S") not in set(HoldStatus):
            return None
        return from_item(item)

    def update(self, hold: Hold) -> bool:
        """Record a released hold; False when it was no longer active (someone else was first)."""
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key={"hold_id": {"S": hold.hold_id}},
                UpdateExpression=("SET #status = :status, released_by = :by, "
                                  "released_at = :at"),
                ConditionExpression="attribute_exists(hold_id) AND #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":status": {"S": hold.status.value},
                    ":by": {"S": hold.released_by},
                    ":at": {"S": hold.released_at},
                    ":active": {"S": HoldStatus.ACTIVE.value},
                })
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "update hold") from error
        return True

    def list_by_status(self, status: HoldStatus, review_before: date | None = None) -> list[Hold]:
        """Holds with this status, earliest review date first (optionally only those before)."""
        condition = "#status = :status"
        values: dict[str, Any] = {":status": {"S": status.value}}
        if review_before is not None:
            condition += " AND review_date < :before"
            values[":before"] = {"S": review_before.isoformat()}
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": STATUS_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
            "ScanIndexForward": True,
        }
        holds: list[Hold] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "list holds") from error
            holds.extend(from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return holds
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def to_item(hold: Hold) -> dict[str, Any]:
    item: dict[str, Any] = {
        "hold_id": {"S": hold.hold_id},
        "case_number": {"S": hold.case_number},
        "reason": {"S": hold.reason},
        "requested_by": {"S": hold.requested_by},
        "approved_by": {"S": hold.approved_by},
        "created_at": {"S": hold.created_at},
        "review_date": {"S": hold.review_date.isoformat()},
        "status": {"S": hold.status.value},
        # A list, not a string set: order is kept and an empty list is allowed.
        "read_ids": {"L": [{"S": read_id} for read_id in hold.read_ids]},
    }
    optional = {"released_by": hold.released_by, "released_at": hold.released_at,
                "note": hold.note}
    for name, text in optional.items():
        if text:
            item[name] = {"S": text}
    return item


def from_item(item: dict[str, Any]) -> Hold:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return Hold(
        hold_id=text("hold_id"),
        case_number=text("case_number"),
        reason=text("reason"),
        requested_by=text("requested_by"),
        approved_by=text("approved_by"),
        created_at=text("created_at"),
        review_date=date.fromisoformat(text("review_date")),
        status=HoldStatus(text("status")),
        released_by=text("released_by"),
        released_at=text("released_at"),
        read_ids=tuple(str(entry["S"]) for entry in item.get("read_ids", {}).get("L", [])),
        note=text("note"),
    )

