"""DynamoDB stream records: which ones are deletions made by TTL (the purge trigger)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


def is_ttl_removal(record: Mapping[str, Any]) -> bool:
    """True for a REMOVE that DynamoDB's TTL process made, not a user or the application."""
    identity = record.get("userIdentity") or {}
    return (
        record.get("eventName") == "REMOVE"
        and identity.get("type") == "Service"
        and identity.get("principalId") == TTL_PRINCIPAL
    )


def old_string(record: Mapping[str, Any], attribute: str) -> str | None:
    """A string attribute of the item as it was before the change."""
    value = record.get("dynamodb", {}).get("OldImage", {}).get(attribute, {})
    text = value.get("S") if isinstance(value, Mapping) else None
    return str(text) if text is not None else None


def removed_items(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The old images of the items the records removed, whoever removed them."""
    images = []
    for record in records:
        image = record.get("dynamodb", {}).get("OldImage")
        if record.get("eventName") == "REMOVE" and isinstance(image, Mapping) and image:
            images.append(image)
    return images
