"""The ingest path's bookkeeping tables: upload tickets, frame fingerprints, upload exceptions.

* tickets (key object_key): every presigned POST issued, and the one object version that used it;
* fingerprints (key fingerprint = camera id # SHA-256): the first upload of each frame's bytes
  per camera, so the same frame sent again is recognised with one conditional write;
* exceptions (partition `camera#<id>`, sort `<time>#<event id>`; index by_day): rejected and
  duplicate uploads, plus one counter item per day and camera (partition `day#<day>`), written in
  one transaction with the event and a marker keyed by the event id (partition `event#<id>`),
  so that a redelivered message never lists or counts twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import AlreadyExists, error_code, translate
from chalicelib.domain.uploads import (
    DailyCount,
    UploadException,
    UploadOutcome,
    UploadTicket,
    version_label,
)

BY_DAY_INDEX = "by_day"


class UploadTicketsTable:
    """DynamoDB adapter for UploadTicket values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put(self, ticket: UploadTicket) -> None:
        try:
            self._dynamodb.put_item(TableName=self.table, Item=_ticket_item(ticket),
                                    ConditionExpression="attribute_not_exists(object_key)")
        except ClientError as error:
            raise translate(error, "record upload ticket") from error

    def get(self, object_key: str) -> UploadTicket | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"object_key": {"S": object_key}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read upload ticket") from error
        return None if item is None else _ticket_from_item(item)

    def mark_used(self, object_key: str, version_id: str | None, at: str) -> bool:
        """Record that this version used the ticket; False when another version already did.
        Idempotent for the same version (a redelivered notification)."""
        version = version_label(version_id)
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key={"object_key": {"S": object_key}},
                UpdateExpression="SET used_version = :version, used_at = if_not_exists("
                                 "used_at, :at)",
                ConditionExpression="attribute_exists(object_key) AND "
                                    "(attribute_not_exists(used_version) OR "
                                    "used_version = :version)",
                ExpressionAttributeValues={":version": {"S": version}, ":at": {"S": at}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "mark upload ticket used") from error
        return True


def _ticket_item(ticket: UploadTicket) -> dict[str, Any]:
    item: dict[str, Any] = {
        "object_key": {"S": ticket.object_key},
        "ticket_id": {"S": ticket.ticket_id},
        "camera_id": {"S": ticket.camera_id},
        "content_type": {"S": ticket.content_type},
        "content_length": {"N": str(ticket.content_length)},
        "metadata": {"S": json.dumps(dict(ticket.metadata), sort_keys=True)},
        "issued_at": {"S": ticket.issued_at.isoformat()},
        "expires_at": {"S": ticket.expires_at.isoformat()},
        "purge_at": {"N": str(ticket.purge_epoch)},
    }
    if ticket.used_version:
        item["used_version"] = {"S": ticket.used_version}
    if ticket.used_at:
        item["used_at"] = {"S": ticket.used_at}
    return item


def _ticket_from_item(item: Mapping[str, Any]) -> UploadTicket:
    return UploadTicket(
        ticket_id=str(item["ticket_id"]["S"]),
        camera_id=str(item["camera_id"]["S"]),
        object_key=str(item["object_key"]["S"]),
        content_type=str(item["content_type"]["S"]),
        content_length=int(item["content_length"]["N"]),
        metadata={str(name): str(value)
                  for name, value in json.loads(item["metadata"]["S"]).items()},
        issued_at=datetime.fromisoformat(item["issued_at"]["S"]),
        expires_at=datetime.fromisoformat(item["expires_at"]["S"]),
        used_version=item.get("used_version", {}).get("S"),
        used_at=item.get("used_at", {}).get("S"),
    )


class FrameFingerprints:
    """The first (image key, version) of each frame's bytes per camera."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def claim(self, camera_id: str, sha256: str, image_key: str, version_id: str | None,
              expires_at: int) -> tuple[str, str]:
        """Claim these bytes for this upload; returns the (key, version) that holds them, which
        is this upload's own unless the camera sent the same bytes before."""
        fingerprint = f"{camera_id}#{sha256}"
        version = version_label(version_id)
        try:
            self._dynamodb.put_item(
                TableName=self.table,
                Item={"fingerprint": {"S": fingerprint}, "image_key": {"S": image_key},
                      "version_id": {"S": version}, "expires_at": {"N": str(expires_at)}},
                ConditionExpression="attribute_not_exists(fingerprint)")
            return image_key, version
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise translate(error, "record frame fingerprint") from error
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"fingerprint": {"S": fingerprint}},
                                           ConsistentRead=True)["Item"]
        except (ClientError, KeyError) as error:
            if isinstance(error, ClientError):
                raise translate(error, "read frame fingerprint") from error
            raise AlreadyExists("frame fingerprint vanished meanwhile") from None
        return str(item["image_key"]["S"]), str(item["version_id"]["S"])


class UploadExceptionsTable:
    """Rejected and duplicate uploads, listed by camera or by day, with daily counters."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def record(self, event: UploadException, expires_at: int) -> bool:
        """Write the event and count it, once: False when it was already recorded."""
        counter = "rejected" if event.outcome is UploadOutcome.REJECTED else "duplicate"
        try:
            self._dynamodb.transact_write_items(TransactItems=[
                # The marker, keyed by the event id alone, is what makes a redelivery a no-op.
                {"Put": {"TableName": self.table,
                         "Item": {"partition": {"S": f"event#{event.event_id}"},
                                  "sort": {"S": "-"},
                                  "expires_at": {"N": str(expires_at)}},
                         "ConditionExpression": "attribute_not_exists(#partition)",
                         "ExpressionAttributeNames": {"#partition": "partition"}}},
                {"Put": {"TableName": self.table, "Item": _event_item(event, expires_at)}},
                {"Update": {
                    "TableName": self.table,
                    "Key": {"partition": {"S": f"day#{event.day}"},
                            "sort": {"S": event.camera_id}},
                    "UpdateExpression": "ADD #counter :one SET expires_at = :expires",
                    "ExpressionAttributeNames": {"#counter": counter},
                    "ExpressionAttributeValues": {":one": {"N": "1"},
                                                  ":expires": {"N": str(expires_at)}}}},
            ])
        except ClientError as error:
            if _already_recorded(error):
                return False
            raise translate(error, "record upload exception") from error
        return True

    def for_camera(self, camera_id: str, start: str, end: str, limit: int,
                   outcome: UploadOutcome | None = None) -> list[UploadException]:
        """A camera's events with start <= time < end, newest first."""
        return list(self._query(outcome, {
            "KeyConditionExpression": "#partition = :partition AND sort BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#partition": "partition"},
            "ExpressionAttributeValues": {":partition": {"S": f"camera#{camera_id}"},
                                          ":low": {"S": start}, ":high": {"S": end}},
        }, limit))

    def for_day(self, day: str, start: str, end: str, limit: int,
                outcome: UploadOutcome | None = None) -> list[UploadException]:
        """Every camera's events of one UTC day with start <= time < end, newest first."""
        return list(self._query(outcome, {
            "IndexName": BY_DAY_INDEX,
            "KeyConditionExpression": "event_day = :day AND sort BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":day": {"S": day}, ":low": {"S": start},
                                          ":high": {"S": end}},
        }, limit))

    def counts(self, day: str) -> list[DailyCount]:
        """Each camera's counters for one day (one small partition)."""
        request: dict[str, Any] = {
            "TableName": self.table, "ConsistentRead": True,
            "KeyConditionExpression": "#partition = :partition",
            "ExpressionAttributeNames": {"#partition": "partition"},
            "ExpressionAttributeValues": {":partition": {"S": f"day#{day}"}}}
        found: list[DailyCount] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "count upload exceptions") from error
            found.extend(DailyCount(day, str(item["sort"]["S"]),
                                    int(item.get("rejected", {}).get("N", "0")),
                                    int(item.get("duplicate", {}).get("N", "0")))
                         for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _query(self, outcome: UploadOutcome | None, request: dict[str, Any],
               limit: int) -> Iterator[UploadException]:
        request = {"TableName": self.table, "ScanIndexForward": False, "Limit": limit,
                   **request}
        if outcome is not None:
            request["FilterExpression"] = "outcome = :outcome"
            request["ExpressionAttributeValues"] = {**request["ExpressionAttributeValues"],
                                                    ":outcome": {"S": outcome.value}}
        returned = 0
        while returned < limit:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "list upload exceptions") from error
            for item in page.get("Items", []):
                if returned >= limit:
                    return
                returned += 1
                yield _event_from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _already_recorded(error: ClientError) -> bool:
    """A cancelled transaction whose event Put found its item: the event was recorded before."""
    if error_code(error) != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return str(reasons[0].get("Code", "")) == "ConditionalCheckFailed"
    return "ConditionalCheckFailed" in str(error)


def _event_item(event: UploadException, expires_at: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "partition": {"S": f"camera#{event.camera_id}"},
        "sort": {"S": f"{event.at}#{event.event_id}"},
        "event_day": {"S": event.day},
        "event_id": {"S": event.event_id},
        "camera_id": {"S": event.camera_id},
        "object_key": {"S": event.object_key},
        "version_id": {"S": event.version_id},
        "outcome": {"S": event.outcome.value},
        "reason": {"S": event.reason},
        "at": {"S": event.at},
        "expires_at": {"N": str(expires_at)},
    }
    if event.duplicate_of:
        item["duplicate_of"] = {"S": event.duplicate_of}
    return item


def _event_from_item(item: Mapping[str, Any]) -> UploadException:
    return UploadException(
        event_id=str(item["event_id"]["S"]), camera_id=str(item["camera_id"]["S"]),
        object_key=str(item["object_key"]["S"]), version_id=str(item["version_id"]["S"]),
        outcome=UploadOutcome(item["outcome"]["S"]), reason=str(item["reason"]["S"]),
        at=str(item["at"]["S"]), duplicate_of=str(item.get("duplicate_of", {}).get("S", "")))


__all__ = ["FrameFingerprints", "UploadExceptionsTable", "UploadTicketsTable"]
