"""Searching reads and viewing one read, each access recorded before any data is returned."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.domain.access import Caller
from chalicelib.domain.plate_index import FuzzyPlan, PartialPlan, fuzzy_plan, partial_plan
from chalicelib.domain.reads import (
    Read,
    SearchMode,
    SearchQuery,
    format_time,
    in_window,
    match_reason,
)
from chalicelib.policy.access import purpose_refusal
from chalicelib.policy.case_numbers import DEFAULT_CASE_NUMBER_RULE, CaseNumberRule
from chalicelib.policy.long_history import (
    AUTHORITY_SCHEMA,
    DEFAULT_EXTENDED_SEARCH_DAYS,
    AuthorityRefused,
    default_window,
)
from chalicelib.policy.search import SEARCH_WORK_BUDGET, SearchRefused, WorkBudget, build_query
from chalicelib.services import search_record
from chalicelib.services.auditing import entry_for
from chalicelib.services.pattern_search import (
    IndexEntries,
    Position,
    Work,
    search_page,
    stream_for,
)
from chalicelib.services.search_record import (
    ApprovalSource,
    Continuation,
    NoApprovals,
    SearchLog,
)

SEARCH_ACTION = "search_reads"
VIEW_ACTION = "view_read"
IMAGE_URL_SECONDS = 300  # at most five minutes: a presigned URL is a bearer credential

SEARCH_SCHEMA: dict[str, Any] = {
    "mode": {"type": "string", "enum": [mode.value for mode in SearchMode]},
    "plate": {"type": "string", "description": "plate, or partial plate with * and ?",
              "maxLength": 12},
    "from": {"type": "string", "format": "date-time"},
    "to": {"type": "string", "format": "date-time"},
    "cameras": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
    "near": {"type": "object", "properties": {"lat": {"type": "number"},
                                              "lon": {"type": "number"},
                                              "radius_m": {"type": "number"}}},
    "purpose": {"type": "string"},
    "case_number": {"type": "string"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 200},
    "cursor": {"type": "string"},
    "authority": AUTHORITY_SCHEMA,
    "state": {"type": "string", "description": "two-letter state code: reads of that state or "
              "whose state was not read", "maxLength": 2},
}


class ReadSource(Protocol):
    def newest_first(self, partition: Partition, low: str, high: str, stats: QueryStats,
                     page_items: int | None = ...,
                     first_page_items: int | None = ...) -> Iterator[Read]: ...

    def get(self, read_id: str) -> Read | None: ...


class ImageLinks(Protocol):
    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str: ...


@dataclass(frozen=True)
class SearchDependencies:
    reads: ReadSource
    audit: SearchLog
    images: ImageLinks  # frames, in the raw bucket
    crops: ImageLinks  # crops, in the derived bucket
    clock: Callable[[], datetime]
    index: IndexEntries | None = None  # the plate index; partial and fuzzy search need it
    budget: WorkBudget = SEARCH_WORK_BUDGET
    timer: Callable[[], float] = field(default=time.monotonic)
    approvals: ApprovalSource = field(default_factory=NoApprovals)
    case_numbers: CaseNumberRule = DEFAULT_CASE_NUMBER_RULE
    extended_search_days: int = DEFAULT_EXTENDED_SEARCH_DAYS


@dataclass(frozen=True)
class SearchHit:
    read: Read
    reason: str


@dataclass(frozen=True)
class SearchPage:
    """One page of results; `stopped_early` when the work budget, not a full page, ended it
    (the cursor then continues where it stopped)."""

    hits: tuple[SearchHit, ...]
    cursor: str | None
    examined: int
    stopped_early: bool = False
    examined_index: int = 0
    requests: int = 0
    # Which search this page belongs to (services/search_record.py): filled in when recorded.
    search_id: str = ""
    page_number: int = 1
    cumulative: int = 0


class ReadNotFound(LookupError):
    """No read with that id (or it was purged)."""


def search_reads(body: Mapping[str, Any], caller: Caller,
                 deps: SearchDependencies) -> SearchPage:
    """Validate, run and record a search or one of its pages; a refused one is recorded too."""
    now = deps.clock()
    purpose, case_number = _text(body.get("purpose")), _text(body.get("case_number"))
    continuation: Continuation | None = None
    elements = _query_elements(body)
    try:
        continuation = search_record.open_search(body.get("cursor"), caller, deps.audit)
        body = default_window(search_record.continued_body(body, continuation), now,
                              deps.extended_search_days)
        elements = _query_elements(body)
        search_record.check_same_query(elements, continuation)
        refusal = purpose_refusal(purpose, case_number, deps.case_numbers)
        if refusal is not None:
            raise SearchRefused(refusal.code, refusal.message)
        query = build_query(body, now)
        authority = search_record.authority_for(query, body.get("authority"), caller, now,
                                                deps.extended_search_days, deps.approvals)
    except AuthorityRefused as refused:
        deps.audit.append(search_record.refused_entry(caller, now, elements, purpose,
                                                      case_number, refused.refusal.code,
                                                      continuation))
        raise SearchRefused(refused.refusal.code, refused.refusal.message,
                            refused.refusal.status) from None
    except SearchRefused as refused:
        deps.audit.append(search_record.refused_entry(caller, now, elements, purpose,
                                                      case_number, refused.code, continuation))
        raise
    page = _run(query, deps)
    record = deps.audit.append(search_record.page_entry(
        caller, now, elements, query, len(page.hits), page.cursor, continuation, authority))
    return replace(page, cursor=search_record.outer_cursor(record, page.cursor),
                   search_id=continuation.search_id, page_number=continuation.page,
                   cumulative=record.entry.cumulative_results)


def view_read(read_id: str, purpose: str, case_number: str, caller: Caller,
              deps: SearchDependencies) -> tuple[Read, str, str | None]:
    """One read with short-lived image and crop URLs, after recording the access."""
    now = deps.clock()
    refusal = purpose_refusal(purpose, case_number, deps.case_numbers)
    elements = {"read_id": read_id[:64]}
    if refusal is not None:
        deps.audit.append(entry_for(caller, VIEW_ACTION, now, allowed=False, query=elements,
                                    purpose=purpose, case_number=case_number,
                                    refusal_code=refusal.code))
        raise SearchRefused(refusal.code, refusal.message)
    read = deps.reads.get(read_id)
    deps.audit.append(entry_for(
        caller, VIEW_ACTION, now, allowed=True,
        query={**elements, "plate": read.plate if read else ""}, purpose=purpose,
        case_number=case_number.upper(), result_count=1 if read else 0))
    if read is None:
        raise ReadNotFound(read_id)
    # Both links name the version the ingest stored: a later write under the key is not shown.
    image_url = deps.images.presigned_get(read.image_key, read.image_version, IMAGE_URL_SECONDS)
    crop_url = (deps.crops.presigned_get(read.crop_key, read.crop_version, IMAGE_URL_SECONDS)
                if read.crop_key else None)
    return read, image_url, crop_url


def _run(query: SearchQuery, deps: SearchDependencies) -> SearchPage:
    work = Work(deps.budget, deps.timer, deps.timer())
    if query.mode is SearchMode.EXACT:
        return _run_exact(query, deps, work)
    return _run_pattern(query, deps, work)


def _run_exact(query: SearchQuery, deps: SearchDependencies, work: Work) -> SearchPage:
    """A key query on the plate, newest first, one page of results per DynamoDB request."""
    fingerprint = _fingerprint(query)
    before = _decode_exact_cursor(query.cursor, fingerprint)
    low, high = _bounds(query)
    hits: list[SearchHit] = []
    reads = deps.reads.newest_first(Partition(None, "plate", query.text), low,
                                    before or high, work.reads, query.page_size)
    for read in reads:
        if before and read.read_key >= before:
            continue
        reason = _reason(query, read)
        if reason is not None:
            hits.append(SearchHit(read, reason))
        if len(hits) == query.page_size or work.exhausted():
            cursor = _encode_cursor({"g": 0, "b": read.read_key}, fingerprint)
            return SearchPage(tuple(hits), cursor, work.examined,
                              stopped_early=len(hits) < query.page_size,
                              requests=work.requests)
    return SearchPage(tuple(hits), None, work.examined, requests=work.requests)


def _run_pattern(query: SearchQuery, deps: SearchDependencies, work: Work) -> SearchPage:
    """Partial and fuzzy: the plate index names the plate-months that can match."""
    if query.start is None or query.end is None:
        raise SearchRefused("WINDOW_REQUIRED", "this search needs a time window")
    if deps.index is None:
        raise RuntimeError("partial and fuzzy search need the plate index")
    plan = _plan(query)
    fingerprint = _fingerprint(query)
    start = _decode_pattern_cursor(query.cursor, fingerprint)
    stream = stream_for(plan, query.start, query.end, deps.index)
    page = search_page(stream, deps.reads, _bounds(query), query.page_size,
                       lambda read: _reason(query, read), start, work)
    cursor = None
    if page.next is not None:
        cursor = _encode_cursor({"p": page.next.after, "e": page.next.group_end,
                                 "b": page.next.before}, fingerprint)
    return SearchPage(tuple(SearchHit(read, reason) for read, reason in page.hits), cursor,
                      work.examined, page.stopped_early, work.index.examined, work.requests)


def _plan(query: SearchQuery) -> PartialPlan | FuzzyPlan:
    if query.mode is SearchMode.FUZZY:
        return fuzzy_plan(query.text)
    plan = partial_plan(query.pattern) if query.pattern is not None else None
    if plan is None:  # the search policy refuses such patterns first
        raise SearchRefused("PATTERN_TOO_SCATTERED", "the pattern has no run to look up")
    return plan


def _bounds(query: SearchQuery) -> tuple[str, str]:
    return (format_time(query.start) if query.start else "0",
            format_time(query.end) if query.end else "9")


def _reason(query: SearchQuery, read: Read) -> str | None:
    if not in_window(read, query.start, query.end):
        return None
    if query.cameras and read.camera_id not in query.cameras:
        return None
    if query.near is not None and not query.near.contains(read.lat, read.lon):
        return None
    if query.state and read.state not in (None, query.state):
        return None
    return match_reason(query, read)


def _fingerprint(query: SearchQuery) -> str:
    parts = [query.mode.value, query.text, str(query.start), str(query.end),
             ",".join(query.cameras), str(query.near), str(query.page_size), query.state]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _encode_cursor(state: dict[str, Any], fingerprint: str) -> str:
    raw = json.dumps({**{name: value for name, value in state.items() if value is not None},
                      "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, fingerprint: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        owner = str(data["f"])
    except (ValueError, KeyError, TypeError):
        raise SearchRefused("CURSOR_INVALID", "cursor is not one this API returned") from None
    if owner != fingerprint:
        raise SearchRefused("CURSOR_INVALID", "cursor belongs to a different search")
    if not isinstance(data, dict) or not all(
            isinstance(data.get(name), str) for name in data if name in ("p", "e", "b")):
        raise SearchRefused("CURSOR_INVALID", "cursor is not one this API returned")
    return data


def _decode_exact_cursor(cursor: str | None, fingerprint: str) -> str | None:
    data = _decode_cursor(cursor, fingerprint)
    if data is None:
        return None
    if not isinstance(data.get("b"), str):
        raise SearchRefused("CURSOR_INVALID", "cursor is not one this API returned")
    return str(data["b"])


def _decode_pattern_cursor(cursor: str | None, fingerprint: str) -> Position:
    data = _decode_cursor(cursor, fingerprint)
    if data is None:
        return Position()
    return Position(after=data.get("p"), group_end=data.get("e"), before=data.get("b"))


def _query_elements(body: Mapping[str, Any]) -> dict[str, str]:
    """What the audit record keeps of a search: plate or pattern, mode, window, place."""
    elements = {name: _text(body.get(name)) for name in ("plate", "mode", "from", "to")}
    if body.get("cameras"):
        elements["cameras"] = ",".join(str(camera) for camera in body["cameras"])[:200]
    if body.get("near"):
        elements["near"] = json.dumps(body["near"], sort_keys=True, default=str)[:200]
    if body.get("state"):
        elements["state"] = _text(body.get("state"))[:2]
    return elements


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
