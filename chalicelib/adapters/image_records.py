"""The images table: one record per uploaded object, written before and after processing."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import AlreadyExists, translate
from chalicelib.domain.images import ImageRecord, ImageStatus, StoredCopy


class ImageRecords:
    """DynamoDB adapter for ImageRecord values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def get(self, image_key: str) -> ImageRecord | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"image_key": {"S": image_key}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read image record") from error
        return None if item is None else _from_item(item)

    def claim(self, record: ImageRecord) -> None:
        """Write a RECEIVED record unless the object was already processed or rejected.

        Raises AlreadyExists when a finished record is there, which makes redelivery a no-op.
        """
        try:
            self._dynamodb.put_item(
                TableName=self.table, Item=_to_item(record),
                ConditionExpression="attribute_not_exists(image_key) OR #status = :received",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":received": {"S": ImageStatus.RECEIVED}},
            )
        except ClientError as error:
            raise translate(error, "claim image record") from error

    def finish(self, record: ImageRecord) -> None:
        """Replace the record with its final state (processed or rejected)."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=_to_item(record))
        except ClientError as error:
            raise translate(error, "finish image record") from error

    def record_unclaimed(self, record: ImageRecord) -> bool:
        """Write a rejected or duplicate upload's record unless the key already has a record
        other than an earlier refusal of this same version (a replayed ticket must not overwrite
        the frame it replays, nor a late refusal a processed frame); False when it has."""
        try:
            self._dynamodb.put_item(
                TableName=self.table, Item=_to_item(record),
                ConditionExpression="attribute_not_exists(image_key) OR "
                                    "(version_id = :version AND #status IN (:rejected, :dup))",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":version": {"S": record.version_id or ""},
                                           ":rejected": {"S": ImageStatus.REJECTED},
                                           ":dup": {"S": ImageStatus.DUPLICATE}})
        except ClientError as error:
            mapped = translate(error, "record refused upload")
            if isinstance(mapped, AlreadyExists):
                return False
            raise mapped from error
        return True

    def delete(self, image_key: str) -> None:
        try:
            self._dynamodb.delete_item(TableName=self.table,
                                       Key={"image_key": {"S": image_key}})
        except ClientError as error:
            raise translate(error, "delete image record") from error


def _to_item(record: ImageRecord) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name, value in asdict(record).items():
        if name == "crops":
            if record.crops:
                item["crops"] = {"L": [{"M": {"key": {"S": copy.key},
                                              "version_id": {"S": copy.version_id or ""},
                                              "sha256": {"S": copy.sha256}}}
                                       for copy in record.crops]}
            continue
        if value is None or value == "" or value == ():
            continue
        if isinstance(value, bool):
            item[name] = {"BOOL": value}
        elif isinstance(value, int):
            item[name] = {"N": str(value)}
        elif isinstance(value, (list, tuple)):
            item[name] = {"SS": sorted(value)}
        else:
            item[name] = {"S": str(value)}
    return item


def _from_item(item: dict[str, Any]) -> ImageRecord:
    def text(name: str, default: str = "") -> str:
        return str(item[name]["S"]) if name in item else default

    def number(name: str) -> int | None:
        return int(item[name]["N"]) if name in item else None

    return ImageRecord(
        image_key=text("image_key"),
        camera_id=text("camera_id"),
        version_id=text("version_id") or None,
        status=text("status"),
        captured_at=text("captured_at"),
        received_at=text("received_at"),
        expires_at=number("expires_at"),
        size=number("size") or 0,
        content_type=text("content_type"),
        reason=text("reason"),
        read_ids=tuple(sorted(item.get("read_ids", {}).get("SS", []))),
        plates_found=number("plates_found") or 0,
        sha256=text("sha256"),
        crops=tuple(StoredCopy(str(entry["M"]["key"]["S"]),
                               str(entry["M"]["version_id"]["S"]) or None,
                               str(entry["M"]["sha256"]["S"]))
                    for entry in item.get("crops", {}).get("L", [])),
        duplicate_of=text("duplicate_of"),
    )


__all__ = ["AlreadyExists", "ImageRecords"]
