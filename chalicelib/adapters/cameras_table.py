"""The cameras table: one item per camera, holding its credential hash (never the credential)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import AlreadyExists, ObjectNotFound, error_code, translate
from chalicelib.domain.cameras import Camera, default_interval


class CredentialChanged(RuntimeError):
    """The camera's credential was rotated by someone else meanwhile; reload and retry."""


class CamerasTable:
    """DynamoDB adapter for Camera values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put(self, camera: Camera) -> None:
        """Register a new camera; AlreadyExists if the id is taken."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=_to_item(camera),
                                    ConditionExpression="attribute_not_exists(camera_id)")
        except ClientError as error:
            raise translate(error, "register camera") from error

    def get(self, camera_id: str) -> Camera | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"camera_id": {"S": camera_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read camera") from error
        return None if item is None else _from_item(item)

    def update(self, camera: Camera, expected_credential_id: str) -> None:
        """Store a changed camera (rotated, revoked, switched on or off).

        Conditional on the credential the caller read, so two concurrent rotations cannot leave
        an administrator holding a credential that was silently replaced.
        Raises ObjectNotFound for an unknown camera, CredentialChanged on a lost race.
        """
        try:
            self._dynamodb.put_item(
                TableName=self.table, Item=_to_item(camera),
                ConditionExpression="attribute_exists(camera_id) AND credential_id = :expected",
                ExpressionAttributeValues={":expected": {"S": expected_credential_id}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                if self.get(camera.camera_id) is None:
                    raise ObjectNotFound("camera") from error
                raise CredentialChanged("camera credential changed meanwhile") from error
            raise translate(error, "update camera") from error

    def list_all(self) -> list[Camera]:
        """Every camera (a small table: tens to hundreds of items)."""
        cameras: list[Camera] = []
        request: dict[str, Any] = {"TableName": self.table}
        while True:
            try:
                response = self._dynamodb.scan(**request)
            except ClientError as error:
                raise translate(error, "list cameras") from error
            cameras.extend(_from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return sorted(cameras, key=lambda camera: camera.camera_id)
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _to_item(camera: Camera) -> dict[str, Any]:
    item: dict[str, Any] = {
        "camera_id": {"S": camera.camera_id},
        "name": {"S": camera.name},
        "agency": {"S": camera.agency},
        "kind": {"S": camera.kind},
        "active": {"BOOL": camera.active},
        "credential_hash": {"S": camera.credential_hash},
        "credential_id": {"S": camera.credential_id},
        "created_at": {"S": camera.created_at},
    }
    for name in ("lat", "lon", "heading"):
        value = getattr(camera, name)
        if value is not None:
            # repr keeps every digit of the float; DynamoDB numbers are exact decimals.
            item[name] = {"N": repr(float(value))}
    for name in ("rotated_at", "revoked_at"):
        value = getattr(camera, name)
        if value:
            item[name] = {"S": value}
    # Stored either way, so "not watched" set by an administrator differs from "never set".
    interval = camera.expected_interval_minutes
    item["expected_interval_minutes"] = ({"N": str(interval)} if interval is not None
                                         else {"NULL": True})
    return item


def _from_item(item: dict[str, Any]) -> Camera:
    def number(name: str) -> float | None:
        return float(item[name]["N"]) if name in item else None

    def optional(name: str) -> str | None:
        return str(item[name]["S"]) if name in item else None

    kind = str(item["kind"]["S"])
    stored_interval = item.get("expected_interval_minutes")
    if stored_interval is None:  # registered before cameras had one: the kind's default
        interval = default_interval(kind)
    else:
        interval = int(stored_interval["N"]) if "N" in stored_interval else None
    return Camera(
        camera_id=str(item["camera_id"]["S"]),
        name=str(item["name"]["S"]),
        agency=str(item["agency"]["S"]),
        kind=kind,
        lat=number("lat"),
        lon=number("lon"),
        heading=number("heading"),
        active=bool(item["active"]["BOOL"]),
        credential_hash=str(item["credential_hash"]["S"]),
        credential_id=str(item["credential_id"]["S"]),
        created_at=str(item["created_at"]["S"]),
        rotated_at=optional("rotated_at"),
        revoked_at=optional("revoked_at"),
        expected_interval_minutes=interval,
    )


__all__ = ["AlreadyExists", "CamerasTable", "CredentialChanged", "ObjectNotFound"]
