"""Request times: ISO 8601 with a zone, in UTC, or a clear refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.times import TimeInvalid, parse_zoned_time


def test_zoned_times_come_back_in_utc() -> None:
    assert parse_zoned_time("2026-11-29T10:00:00-08:00", "from") == datetime(
        2026, 11, 29, 18, 0, tzinfo=UTC)
    assert parse_zoned_time("2026-11-29T18:00:00Z", "from") == datetime(
        2026, 11, 29, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, ""])
def test_an_absent_time_is_none(value: object) -> None:
    assert parse_zoned_time(value, "to") is None


@pytest.mark.parametrize(("value", "message"), [
    ("2026-11-29T18:00:00", "to needs a time zone"),
    ("yesterday", "to must be an ISO 8601 time with a time zone"),
    (1764439200, "to must be an ISO 8601 time"),
    ("2026-11-29T18:00:00Z" + " " * 40, "to must be an ISO 8601 time"),
])
def test_anything_else_is_refused_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(TimeInvalid, match=message):
        parse_zoned_time(value, "to")
