"""Times arriving in requests: ISO 8601 with a time zone, kept in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Longer text is no time this API writes (and would only make the parser work harder).
MAX_TIME_TEXT = 40


class TimeInvalid(ValueError):
    """The text is not an ISO 8601 time with a time zone; the message says which."""


def parse_zoned_time(value: Any, name: str) -> datetime | None:
    """`value` as a UTC datetime; None when absent or empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TIME_TEXT:
        raise TimeInvalid(f"{name} must be an ISO 8601 time with a time zone")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TimeInvalid(f"{name} must be an ISO 8601 time with a time zone") from None
    if moment.tzinfo is None:
        raise TimeInvalid(f"{name} needs a time zone (e.g. Z or -08:00)")
    return moment.astimezone(UTC)
