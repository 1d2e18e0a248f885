"""What the ingest refused or dropped as a repeat, for the administrators (428.3.1(c) monitoring).

A rejected upload is a camera misbehaving, misconfigured or in hostile hands; a duplicate is a
camera (or its operator) sending the same frame twice. Both are listed with camera, time and
reason, filterable by camera and outcome, with per-camera daily counts; every listing is itself
recorded in the access record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.cameras import CAMERA_ID
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import days_between, format_time
from chalicelib.domain.times import TimeInvalid, parse_zoned_time
from chalicelib.domain.uploads import (
    MAX_EXCEPTION_WINDOW_DAYS,
    DailyCount,
    UploadException,
    UploadOutcome,
)
from chalicelib.services.auditing import AuditWriter, entry_for

LIST_ACTION = "list_upload_exceptions"
DEFAULT_WINDOW_DAYS = 7
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


class UploadsRefused(Refused):
    """A listing request the rules do not allow (bad window, camera id or outcome)."""


class ExceptionSource(Protocol):
    """adapters/uploads_tables.UploadExceptionsTable."""

    def for_camera(self, camera_id: str, start: str, end: str, limit: int,
                   outcome: UploadOutcome | None = None) -> list[UploadException]: ...

    def for_day(self, day: str, start: str, end: str, limit: int,
                outcome: UploadOutcome | None = None) -> list[UploadException]: ...

    def counts(self, day: str) -> list[DailyCount]: ...


@dataclass(frozen=True)
class UploadsDependencies:
    exceptions: ExceptionSource
    audit: AuditWriter
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class ExceptionQuery:
    start: datetime
    end: datetime
    camera_id: str | None = None
    outcome: UploadOutcome | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class ExceptionListing:
    query: ExceptionQuery
    exceptions: tuple[UploadException, ...]
    daily_counts: tuple[DailyCount, ...]
    truncated: bool


def parse_query(params: Mapping[str, str], now: datetime) -> ExceptionQuery:
    """The listing asked for: a window of at most 31 days (default the last 7), a camera and an
    outcome (both optional), at most MAX_LIMIT rows."""
    try:
        end = parse_zoned_time(params.get("to"), "to") or now
        start = parse_zoned_time(params.get("from"), "from") or end - timedelta(
            days=DEFAULT_WINDOW_DAYS)
    except TimeInvalid as error:
        raise UploadsRefused("TIME_INVALID", str(error)) from None
    if start >= end or end - start > timedelta(days=MAX_EXCEPTION_WINDOW_DAYS):
        raise UploadsRefused("WINDOW_INVALID", "from must be before to, at most "
                             f"{MAX_EXCEPTION_WINDOW_DAYS} days apart")
    camera = params.get("camera_id") or None
    if camera is not None and not CAMERA_ID.match(camera):
        raise UploadsRefused("CAMERA_ID_INVALID", "camera_id is not a camera id")
    outcome_text = params.get("outcome") or None
    try:
        outcome = UploadOutcome(outcome_text) if outcome_text else None
    except ValueError:
        raise UploadsRefused("OUTCOME_INVALID", "outcome must be rejected or duplicate") from None
    limit_text = params.get("limit", "")
    limit = min(max(int(limit_text), 1), MAX_LIMIT) if limit_text.isdigit() else DEFAULT_LIMIT
    return ExceptionQuery(start, end, camera, outcome, limit)


def list_exceptions(params: Mapping[str, str], caller: Caller,
                    deps: UploadsDependencies) -> ExceptionListing:
    """Rejected and duplicate uploads in the window, newest first, and per-camera daily counts;
    the listing (or its refusal) is recorded."""
    now = deps.clock()
    elements = {name: str(params.get(name, ""))[:64] for name in ("from", "to", "camera_id",
                                                                   "outcome")}
    try:
        query = parse_query(params, now)
    except UploadsRefused as refused:
        deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=False,
                                    refusal_code=refused.code, query=elements))
        raise
    # Events are stamped to the second: the end's own second is in the window.
    low, high = format_time(query.start), format_time(query.end) + "#~"
    days = days_between(query.start, query.end)
    found = _events(query, days, low, high, deps.exceptions)
    counts = [count for day in days for count in deps.exceptions.counts(day)
              if query.camera_id in (None, count.camera_id)]
    truncated = len(found) > query.limit
    listing = ExceptionListing(query, tuple(found[:query.limit]),
                               tuple(sorted(counts, key=lambda c: (c.day, c.camera_id),
                                            reverse=True)), truncated)
    deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=True,
                                result_count=len(listing.exceptions), query=elements))
    return listing


def _events(query: ExceptionQuery, days: list[str], low: str, high: str,
            source: ExceptionSource) -> list[UploadException]:
    """Up to limit + 1 events (one more tells whether there are more), newest first."""
    wanted = query.limit + 1
    if query.camera_id is not None:
        return source.for_camera(query.camera_id, low, high, wanted, query.outcome)
    found: list[UploadException] = []
    for day in days:  # newest day first; stop once enough are in hand
        found.extend(source.for_day(day, low, high, wanted - len(found), query.outcome))
        if len(found) >= wanted:
            break
    return found


def listing_view(listing: ExceptionListing) -> dict[str, Any]:
    query = listing.query
    return {
        "from": format_time(query.start), "to": format_time(query.end),
        "camera_id": query.camera_id, "outcome": query.outcome.value if query.outcome else None,
        "exceptions": [{"camera_id": event.camera_id, "at": event.at,
                        "outcome": event.outcome.value, "reason": event.reason,
                        "object_key": event.object_key, "version_id": event.version_id,
                        "duplicate_of": event.duplicate_of or None}
                       for event in listing.exceptions],
        "daily_counts": [{"day": count.day, "camera_id": count.camera_id,
                          "rejected": count.rejected, "duplicate": count.duplicate}
                         for count in listing.daily_counts],
        "truncated": listing.truncated,
    }
