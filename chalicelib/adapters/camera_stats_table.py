"""The camera stats table: per-camera hourly counters, the last frame, outages. No plates.

Partition `camera_id`, sort `item`:
* `hour#YYYY-MM-DDTHH`: frames, reads, no_reads, rejected, duplicates, hits (atomic ADDs by the
  ingest; TTL `expires_at` after STATS_KEEP_DAYS);
* `seen`: `last_frame_at`, only ever moved forward (conditional write);
* `status`: `state` (online/offline) and the open outage's start, changed only by conditional
  transactions, so two health checks running at once announce an outage once;
* `outage#<started_at>`: one per outage, `ended_at` set when frames resume.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import error_code, translate
from chalicelib.domain.camera_health import (
    STATS_KEEP_DAYS,
    HourCounts,
    Outage,
    hour_of,
    parse_stamp,
)
from chalicelib.domain.reads import format_time

HOUR_PREFIX = "hour#"
OUTAGE_PREFIX = "outage#"
SEEN = "seen"
STATUS = "status"
COUNTERS = tuple(f.name for f in fields(HourCounts) if f.name != "hour")
_BATCH_GET = 100


class CameraStatsTable:
    """DynamoDB adapter for camera health figures."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    # ------------------------------------------------------------------ written by the ingest
    def count(self, camera_id: str, at: datetime, **amounts: int) -> None:
        """Add to the camera's counters of the hour `at` falls in."""
        amounts = {name: value for name, value in amounts.items() if value}
        unknown = set(amounts) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown counters {sorted(unknown)}")
        if not amounts:
            return
        expires = int((at + timedelta(days=STATS_KEEP_DAYS)).timestamp())
        values: dict[str, Any] = {f":{name}": {"N": str(value)} for name, value in amounts.items()}
        values[":expires"] = {"N": str(expires)}
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key=_key(camera_id, HOUR_PREFIX + hour_of(at)),
                UpdateExpression=("ADD " + ", ".join(f"#{name} :{name}" for name in amounts)
                                  + " SET expires_at = :expires"),
                ExpressionAttributeNames={f"#{name}": name for name in amounts},
                ExpressionAttributeValues=values)
        except ClientError as error:
            raise translate(error, "count camera activity") from error

    def saw_frame(self, camera_id: str, at: datetime) -> None:
        """Move the camera's last frame time forward to `at` (never back)."""
        stamp = format_time(at)
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key=_key(camera_id, SEEN),
                UpdateExpression="SET last_frame_at = :at",
                ConditionExpression="attribute_not_exists(last_frame_at) OR last_frame_at < :at",
                ExpressionAttributeValues={":at": {"S": stamp}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return  # a later frame was already recorded
            raise translate(error, "record camera frame") from error

    # ------------------------------------------------------------------ read by the health views
    def hours(self, camera_id: str, first_hour: str, last_hour: str) -> list[HourCounts]:
        """The camera's hourly counters from first_hour to last_hour (inclusive)."""
        rows = []
        for item in self._query(camera_id, "#item BETWEEN :low AND :high",
                                {":low": {"S": HOUR_PREFIX + first_hour},
                                 ":high": {"S": HOUR_PREFIX + last_hour}}):
            rows.append(HourCounts(
                hour=str(item["item"]["S"]).removeprefix(HOUR_PREFIX),
                **{name: int(item[name]["N"]) if name in item else 0 for name in COUNTERS}))
        return rows

    def last_frames(self, camera_ids: Sequence[str]) -> dict[str, datetime]:
        """When each camera's last accepted frame arrived (cameras that never sent one are
        left out)."""
        found: dict[str, datetime] = {}
        ids = list(dict.fromkeys(camera_ids))
        for start in range(0, len(ids), _BATCH_GET):
            keys = [_key(camera_id, SEEN) for camera_id in ids[start:start + _BATCH_GET]]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                try:
                    response = self._dynamodb.batch_get_item(RequestItems=request)
                except ClientError as error:
                    raise translate(error, "read camera last frames") from error
                for item in response.get("Responses", {}).get(self.table, []):
                    moment = parse_stamp(item.get("last_frame_at", {}).get("S"))
                    if moment is not None:
                        found[str(item["camera_id"]["S"])] = moment
                request = response.get("UnprocessedKeys") or {}
        return found

    def open_outages(self, camera_ids: Sequence[str]) -> dict[str, str]:
        """The start of each camera's outage in progress, as the status items record it."""
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(camera_ids))
        for start in range(0, len(ids), _BATCH_GET):
            keys = [_key(camera_id, STATUS) for camera_id in ids[start:start + _BATCH_GET]]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                try:
                    response = self._dynamodb.batch_get_item(RequestItems=request)
                except ClientError as error:
                    raise translate(error, "read camera status") from error
                for item in response.get("Responses", {}).get(self.table, []):
                    if item.get("state", {}).get("S") == "offline":
                        found[str(item["camera_id"]["S"])] = str(item["outage_started_at"]["S"])
                request = response.get("UnprocessedKeys") or {}
        return found

    def outages(self, camera_id: str) -> list[Outage]:
        """Every recorded outage of the camera, oldest first."""
        return [_outage(camera_id, item) for item in self._query(
            camera_id, "begins_with(#item, :prefix)", {":prefix": {"S": OUTAGE_PREFIX}})]

    # ------------------------------------------------------------------ the health check
    def begin_outage(self, outage: Outage) -> bool:
        """Mark the camera offline and record the outage, unless it is already offline.
        True when this call made the change (so its notice is sent once)."""
        status = {**_key(outage.camera_id, STATUS), "state": {"S": "offline"},
                  "outage_started_at": {"S": outage.started_at},
                  "changed_at": {"S": outage.detected_at}}
        record = {**_key(outage.camera_id, OUTAGE_PREFIX + outage.started_at),
                  "started_at": {"S": outage.started_at},
                  "detected_at": {"S": outage.detected_at}}
        return self._transact("begin camera outage", [
            {"Put": {"TableName": self.table, "Item": status,
                     "ConditionExpression": "attribute_not_exists(#state) OR #state <> :offline",
                     "ExpressionAttributeNames": {"#state": "state"},
                     "ExpressionAttributeValues": {":offline": {"S": "offline"}}}},
            {"Put": {"TableName": self.table, "Item": record,
                     "ConditionExpression": "attribute_not_exists(camera_id)"}},
        ])

    def end_outage(self, camera_id: str, started_at: str, ended_at: str, reason: str,
                   changed_at: str) -> bool:
        """Mark the camera back (or no longer watched) and close its outage; True when this
        call made the change."""
        return self._transact("end camera outage", [
            {"Update": {"TableName": self.table, "Key": _key(camera_id, STATUS),
                        "UpdateExpression": "SET #state = :online, changed_at = :changed "
                                            "REMOVE outage_started_at",
                        "ConditionExpression": "#state = :offline AND outage_started_at = :start",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {":online": {"S": "online"},
                                                      ":offline": {"S": "offline"},
                                                      ":start": {"S": started_at},
                                                      ":changed": {"S": changed_at}}}},
            {"Update": {"TableName": self.table, "Key": _key(camera_id,
                                                             OUTAGE_PREFIX + started_at),
                        "UpdateExpression": "SET ended_at = :end, end_reason = :reason",
                        "ConditionExpression": "attribute_exists(camera_id) AND "
                                               "attribute_not_exists(ended_at)",
                        "ExpressionAttributeValues": {":end": {"S": ended_at},
                                                      ":reason": {"S": reason}}}},
        ])

    # ------------------------------------------------------------------ helpers
    def _transact(self, what: str, items: list[dict[str, Any]]) -> bool:
        try:
            self._dynamodb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                reasons = error.response.get("CancellationReasons", [])
                if any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons):
                    return False
            raise translate(error, what) from error
        return True

    def _query(self, camera_id: str, condition: str,
               values: dict[str, Any]) -> Iterable[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": f"camera_id = :camera AND {condition}",
            "ExpressionAttributeNames": {"#item": "item"},
            "ExpressionAttributeValues": {":camera": {"S": camera_id}, **values},
        }
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "read camera stats") from error
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _key(camera_id: str, item: str) -> dict[str, Any]:
    return {"camera_id": {"S": camera_id}, "item": {"S": item}}


def _outage(camera_id: str, item: dict[str, Any]) -> Outage:
    def text(name: str) -> str:
        return str(item[name]["S"]) if name in item else ""

    return Outage(camera_id=camera_id, started_at=text("started_at"),
                  detected_at=text("detected_at"), ended_at=text("ended_at") or None,
                  end_reason=text("end_reason"))


__all__ = ["CameraStatsTable"]
