"""The alerts table: one item per (read, hotlist entry), open alerts listed through by_status."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import ObjectNotFound, error_code, translate
from chalicelib.domain.alerts import OPEN, STATUSES, VERIFY_INSTRUCTION, Alert, AlertNotOpen

STATUS_INDEX = "by_status"
MAX_PAGE = 100
_NUMBER_FIELDS = ("expires_at", "priority")
_OPTIONAL_TEXT = ("disposition", "disposition_by", "disposition_at")
_TEXT_FIELDS = ("alert_id", "read_id", "plate", "entry_id", "category", "case_number",
                "camera_id", "captured_at", "created_at", "status", "note", "instruction",
                "match", "matched_text", "entry_plate", "entry_state", "read_state")
# Only the index's key attributes may appear in a page token.
_TOKEN_KEYS = {"alert_id", "status", "created_at"}


class InvalidPageToken(ValueError):
    """A `start` token this adapter did not hand out."""


class AlertsTable:
    """DynamoDB adapter for Alert values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put(self, alert: Alert) -> bool:
        """Store a new alert; False when it already exists (a redelivered read), True otherwise."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=_to_item(alert),
                                    ConditionExpression="attribute_not_exists(alert_id)")
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "store alert") from error
        return True

    def get(self, alert_id: str) -> Alert | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"alert_id": {"S": alert_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read alert") from error
        return None if item is None else _from_item(item)

    def list_open(self, limit: int = 50,
                  start: str | None = None) -> tuple[list[Alert], str | None]:
        """Open alerts, newest first, and the token of the next page (None on the last)."""
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :open",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":open": {"S": OPEN}},
            "ScanIndexForward": False,
            "Limit": max(1, min(limit, MAX_PAGE)),
        }
        if start is not None:
            request["ExclusiveStartKey"] = _decode_token(start)
        try:
            response = self._dynamodb.query(**request)
        except ClientError as error:
            raise translate(error, "list open alerts") from error
        alerts = [_from_item(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return alerts, None if last is None else _encode_token(last)

    def count_created_between(self, start: str, end: str) -> int:
        """How many alerts (hotlist hits), open or closed, were raised with start <= created_at
        < end (ISO 8601 UTC), through the by_status index."""
        total = 0
        for status in STATUSES:
            request: dict[str, Any] = {
                "TableName": self.table, "IndexName": STATUS_INDEX, "Select": "COUNT",
                "KeyConditionExpression": ("#status = :status AND "
                                           "created_at BETWEEN :start AND :end"),
                "FilterExpression": "created_at < :end",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":status": {"S": status}, ":start": {"S": start},
                                              ":end": {"S": end}},
            }
            while True:
                try:
                    page = self._dynamodb.query(**request)
                except ClientError as error:
                    raise translate(error, "count alerts") from error
                total += int(page.get("Count", 0))
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return total

    def update_disposition(self, alert: Alert) -> None:
        """Store a disposed alert (domain `dispose`), only if it is still open.

        Raises AlertNotOpen when someone else closed it first, ObjectNotFound if it is gone.
        """
        values: dict[str, Any] = {
            ":open": {"S": OPEN},
            ":status": {"S": alert.status},
            ":disposition": {"S": alert.disposition or ""},
            ":by": {"S": alert.disposition_by or ""},
            ":at": {"S": alert.disposition_at or ""},
        }
        update = ("SET #status = :status, disposition = :disposition, disposition_by = :by, "
                  "disposition_at = :at")
        if alert.note:
            values[":note"] = {"S": alert.note}
            update += ", note = :note"
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key={"alert_id": {"S": alert.alert_id}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(alert_id) AND #status = :open",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                if self.get(alert.alert_id) is None:
                    raise ObjectNotFound("alert") from error
                raise AlertNotOpen("the alert is already closed") from error
            raise translate(error, "dispose alert") from error


def _encode_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def _decode_token(token: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidPageToken("start token is not one this service issued") from error
    valid = (isinstance(key, dict) and set(key) == _TOKEN_KEYS
             and all(isinstance(value, dict) and set(value) == {"S"}
                     and isinstance(value["S"], str) for value in key.values()))
    if not valid:
        raise InvalidPageToken("start token is not one this service issued")
    return key


def _to_item(alert: Alert) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in _TEXT_FIELDS + _OPTIONAL_TEXT:
        value = getattr(alert, name)
        if value:
            item[name] = {"S": str(value)}
    for name in _NUMBER_FIELDS:
        value = getattr(alert, name)
        if value is not None:
            item[name] = {"N": str(value)}
    if alert.state_mismatch:
        item["state_mismatch"] = {"BOOL": True}
    return item


def _from_item(item: dict[str, Any]) -> Alert:
    def text(name: str) -> str:
        return str(item[name]["S"]) if name in item else ""

    def optional(name: str) -> str | None:
        return str(item[name]["S"]) if name in item else None

    return Alert(
        alert_id=text("alert_id"), read_id=text("read_id"), plate=text("plate"),
        entry_id=text("entry_id"), category=text("category"), case_number=text("case_number"),
        camera_id=text("camera_id"), captured_at=text("captured_at"),
        created_at=text("created_at"), status=text("status") or OPEN,
        disposition=optional("disposition"), disposition_by=optional("disposition_by"),
        disposition_at=optional("disposition_at"), note=text("note"),
        instruction=text("instruction") or VERIFY_INSTRUCTION,
        expires_at=int(item["expires_at"]["N"]) if "expires_at" in item else None,
        match=text("match"), matched_text=text("matched_text"),
        entry_plate=text("entry_plate"), entry_state=text("entry_state"),
        priority=int(item["priority"]["N"]) if "priority" in item else 5,
        read_state=text("read_state"),
        state_mismatch=bool(item.get("state_mismatch", {}).get("BOOL", False)),
    )


__all__ = ["AlertNotOpen", "AlertsTable", "InvalidPageToken"]
