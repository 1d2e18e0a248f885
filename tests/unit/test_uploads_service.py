"""Listing rejected and duplicate uploads (services/uploads.py) with fakes."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.uploads import UploadException, UploadOutcome
from chalicelib.services.uploads import (
    UploadsDependencies,
    UploadsRefused,
    list_exceptions,
    listing_view,
    parse_query,
)
from tests.unit.fakes import FakeAuditLog, FakeExceptions
from tests.unit.test_holds import caller

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def event(camera: str, at: datetime, outcome: UploadOutcome, index: int) -> UploadException:
    return UploadException(f"e{index}", camera, f"cameras/{camera}/x{index}.jpg", "v1", outcome,
                           "no upload ticket was issued for this object key",
                           at.strftime("%Y-%m-%dT%H:%M:%SZ"))


@pytest.fixture
def deps() -> UploadsDependencies:
    exceptions = FakeExceptions()
    for index, (camera, hours, outcome) in enumerate([
            ("cam-1", 1, UploadOutcome.REJECTED), ("cam-1", 2, UploadOutcome.DUPLICATE),
            ("cam-2", 30, UploadOutcome.REJECTED), ("cam-2", 24 * 40, UploadOutcome.REJECTED)]):
        exceptions.record(event(camera, NOW - timedelta(hours=hours), outcome, index), 0)
    return UploadsDependencies(exceptions=exceptions, audit=FakeAuditLog(), clock=lambda: NOW)


def test_the_last_week_by_default_newest_first_with_daily_counts(
        deps: UploadsDependencies) -> None:
    listing = list_exceptions({}, caller(), deps)
    view = listing_view(listing)
    assert [(row["camera_id"], row["outcome"]) for row in view["exceptions"]] == [
        ("cam-1", "rejected"), ("cam-1", "duplicate"), ("cam-2", "rejected")]
    assert view["daily_counts"] == [
        {"day": "2026-11-29", "camera_id": "cam-1", "rejected": 1, "duplicate": 1},
        {"day": "2026-11-28", "camera_id": "cam-2", "rejected": 1, "duplicate": 0}]
    assert isinstance(deps.audit, FakeAuditLog)
    assert deps.audit.actions() == ["list_upload_exceptions"]


def test_filters_by_camera_and_outcome(deps: UploadsDependencies) -> None:
    view = listing_view(list_exceptions({"camera_id": "cam-1", "outcome": "duplicate"},
                                        caller(), deps))
    assert [row["outcome"] for row in view["exceptions"]] == ["duplicate"]
    assert {row["camera_id"] for row in view["daily_counts"]} == {"cam-1"}


def test_a_limit_says_when_more_match(deps: UploadsDependencies) -> None:
    listing = list_exceptions({"limit": "1"}, caller(), deps)
    assert len(listing.exceptions) == 1 and listing.truncated


@pytest.mark.parametrize(("params", "code"), [
    ({"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "WINDOW_INVALID"),
    ({"from": "2026-11-29T12:00:00Z", "to": "2026-11-28T12:00:00Z"}, "WINDOW_INVALID"),
    ({"from": "yesterday"}, "TIME_INVALID"),
    ({"camera_id": "../etc"}, "CAMERA_ID_INVALID"),
    ({"outcome": "accepted"}, "OUTCOME_INVALID"),
])
def test_bad_listings_are_refused_and_recorded(deps: UploadsDependencies,
                                               params: dict[str, str], code: str) -> None:
    with pytest.raises(UploadsRefused) as refused:
        list_exceptions(params, caller(), deps)
    assert refused.value.code == code
    assert isinstance(deps.audit, FakeAuditLog)
    assert deps.audit.chain[-1].entry.refusal_code == code


def test_the_window_is_at_most_31_days() -> None:
    query = parse_query({"from": "2026-10-29T12:00:00Z"}, NOW)
    assert query.end - query.start == timedelta(days=31)
