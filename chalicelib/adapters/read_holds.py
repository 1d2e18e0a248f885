"""Holds on read items: a held read loses its TTL and lists the hold ids in its `holds` set.

Each change is one UpdateItem on the read's key (plate + read_key), conditional on the read still
existing so a purged read is never recreated as a stub. Attribute names go through expression
attribute names (`hold`-like words are reserved in DynamoDB).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import ObjectNotFound, error_code, translate
from chalicelib.domain.reads import Read


def read_key_of(read: Read) -> dict[str, Any]:
    return {"plate": {"S": read.plate}, "read_key": {"S": read.read_key}}


def mark_held(dynamodb: Any, table: str, read: Read, hold_id: str) -> None:
    """Remove the read's TTL and add `hold_id` to its holds; ObjectNotFound if it is gone."""
    try:
        dynamodb.update_item(
            TableName=table, Key=read_key_of(read),
            UpdateExpression="REMOVE #expires ADD #holds :ids",
            ConditionExpression="attribute_exists(#key)",
            ExpressionAttributeNames={"#expires": "expires_at", "#holds": "holds",
                                      "#key": "read_key"},
            ExpressionAttributeValues={":ids": {"SS": [hold_id]}})
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            raise ObjectNotFound("read (purged)") from error
        raise translate(error, "hold read") from error


def mark_released(dynamodb: Any, table: str, read: Read, hold_id: str,
                  new_expires_at: int | None) -> tuple[str, ...]:
    """Drop `hold_id` from the read; when no hold remains, restore its TTL. Returns the holds
    still on the read. ObjectNotFound if the read is gone."""
    try:
        response = dynamodb.update_item(
            TableName=table, Key=read_key_of(read),
            UpdateExpression="DELETE #holds :ids",
            ConditionExpression="attribute_exists(#key)",
            ExpressionAttributeNames={"#holds": "holds", "#key": "read_key"},
            ExpressionAttributeValues={":ids": {"SS": [hold_id]}},
            ReturnValues="ALL_NEW")
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            raise ObjectNotFound("read (purged)") from error
        raise translate(error, "release read") from error
    remaining = tuple(sorted(response.get("Attributes", {}).get("holds", {}).get("SS", [])))
    if not remaining and new_expires_at is not None:
        _restore_expiry(dynamodb, table, read, new_expires_at)
    return remaining


def _restore_expiry(dynamodb: Any, table: str, read: Read, expires_at: int) -> None:
    """SET the TTL unless a hold arrived in the meantime (then the read stays held)."""
    try:
        dynamodb.update_item(
            TableName=table, Key=read_key_of(read),
            UpdateExpression="SET #expires = :expires",
            ConditionExpression="attribute_exists(#key) AND attribute_not_exists(#holds)",
            ExpressionAttributeNames={"#expires": "expires_at", "#holds": "holds",
                                      "#key": "read_key"},
            ExpressionAttributeValues={":expires": {"N": str(expires_at)}})
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return
        raise translate(error, "restore read expiry") from error


class ReadHoldsTable:
    """The functions above bound to one reads table (satisfies services.holds.ReadHolds)."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def mark_held(self, read: Read, hold_id: str) -> None:
        mark_held(self._dynamodb, self.table, read, hold_id)

    def mark_released(self, read: Read, hold_id: str,
                      new_expires_at: int | None) -> tuple[str, ...]:
        return mark_released(self._dynamodb, self.table, read, hold_id, new_expires_at)
