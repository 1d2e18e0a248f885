"""Officers' hold requests, kept in the holds table beside the holds (key hold_id = the
request's id) with statuses of their own, listed through the same by_status index (status +
review_date). A decision is a conditional write on the REQUESTED status, so it happens once."""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import error_code, translate
from chalicelib.domain.holds import HoldAsk, HoldAskStatus

STATUS_INDEX = "by_status"


class HoldAsksTable:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put_new(self, ask: HoldAsk) -> None:
        try:
            self._dynamodb.put_item(TableName=self.table, Item=to_item(ask),
                                    ConditionExpression="attribute_not_exists(hold_id)")
        except ClientError as error:
            raise translate(error, "write hold request") from error

    def get(self, ask_id: str) -> HoldAsk | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"hold_id": {"S": ask_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read hold request") from error
        if item is None or not str(item.get("status", {}).get("S", "")).startswith("hold_"):
            return None
        return from_item(item)

    def record_decision(self, ask: HoldAsk) -> bool:
        """Store the decision if the request is still waiting; False when it was decided."""
        try:
            self._dynamodb.put_item(
                TableName=self.table, Item=to_item(ask),
                ConditionExpression="attribute_exists(hold_id) AND #status = :requested",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":requested": {"S": HoldAskStatus.REQUESTED.value}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "record hold request decision") from error
        return True

    def waiting(self) -> list[HoldAsk]:
        """Requests waiting for an administrator, earliest review date first."""
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :status",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":status": {"S": HoldAskStatus.REQUESTED.value}},
        }
        found: list[HoldAsk] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "list hold requests") from error
            found.extend(from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def to_item(ask: HoldAsk) -> dict[str, Any]:
    item: dict[str, Any] = {
        "hold_id": {"S": ask.ask_id}, "case_number": {"S": ask.case_number},
        "reason": {"S": ask.reason}, "review_date": {"S": ask.review_date.isoformat()},
        "requested_by": {"S": ask.requested_by}, "requested_at": {"S": ask.requested_at},
        "read_ids": {"L": [{"S": read_id} for read_id in ask.read_ids]},
        "status": {"S": ask.status.value},
    }
    for name in ("note", "decided_by", "decided_at", "decision_reason"):
        if getattr(ask, name):
            item[name] = {"S": getattr(ask, name)}
    if ask.hold_id:
        item["placed_hold_id"] = {"S": ask.hold_id}
    return item


def from_item(item: dict[str, Any]) -> HoldAsk:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return HoldAsk(
        ask_id=text("hold_id"), case_number=text("case_number"), reason=text("reason"),
        review_date=date.fromisoformat(text("review_date")), requested_by=text("requested_by"),
        requested_at=text("requested_at"),
        read_ids=tuple(str(value["S"]) for value in item.get("read_ids", {}).get("L", [])),
        note=text("note"), status=HoldAskStatus(text("status")), decided_by=text("decided_by"),
        decided_at=text("decided_at"), decision_reason=text("decision_reason"),
        hold_id=text("placed_hold_id"))
