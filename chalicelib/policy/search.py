"""Search rules: policy 428.4(c) (partial plates, canvass) within bounds that keep cost and
bulk surveillance in check. Each function raises SearchRefused with a clear message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Refused
from chalicelib.domain.plate_index import partial_plan
from chalicelib.domain.plates import InvalidPlate, PlatePattern, normalize_plate
from chalicelib.domain.reads import GeoCircle, SearchMode, SearchQuery
from chalicelib.domain.states import STATE_CODES
from chalicelib.domain.times import TimeInvalid, parse_zoned_time

# The longest window a partial or fuzzy search may cover. The plate index makes its cost follow
# the plates that match, not the window, so a year (the retention period) is allowed; rules for
# long histories (a legal authority) apply on top of this limit.
MAX_PATTERN_WINDOW_DAYS = 365
MAX_PATTERN_WINDOW = timedelta(days=MAX_PATTERN_WINDOW_DAYS)
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_CAMERAS = 50
MAX_RADIUS_M = 50_000
MIN_KNOWN_CHARACTERS = 3
MAX_CURSOR_LENGTH = 512


@dataclass(frozen=True)
class WorkBudget:
    """The most one search request may do before it answers with what it has and a cursor:
    DynamoDB items examined, DynamoDB requests, and seconds, all well inside API Gateway's
    29-second limit."""

    items: int
    requests: int
    seconds: float


SEARCH_WORK_BUDGET = WorkBudget(items=2_000, requests=150, seconds=5.0)
# Matching plates whose reads one request merges newest first; more come in later groups.
# The budget's requests must leave room for a group's first queries (tests/unit keep it so).
MERGED_PLATES = 25


class SearchRefused(Refused):
    """A search request the rules do not allow; code and message go back to the officer."""


def build_query(body: Mapping[str, Any], now: datetime) -> SearchQuery:
    """Validate a search request body into a SearchQuery (purpose is checked separately)."""
    mode = _mode(body.get("mode", "exact"))
    start, end = _window(body.get("from"), body.get("to"), now)
    if mode is not SearchMode.EXACT and (start is None or end is None):
        raise SearchRefused("WINDOW_REQUIRED",
                            "partial and fuzzy searches need a time window (from and to)")
    if start is not None and end is not None and mode is not SearchMode.EXACT \
            and end - start > MAX_PATTERN_WINDOW:
        raise SearchRefused("WINDOW_TOO_LONG",
                            f"partial and fuzzy searches cover at most {MAX_PATTERN_WINDOW_DAYS} "
                            "days")
    text, pattern = _plate_or_pattern(mode, body.get("plate"))
    return SearchQuery(
        mode=mode, text=text, start=start, end=end, cameras=_cameras(body.get("cameras")),
        near=_near(body.get("near")), page_size=_page_size(body.get("page_size")),
        purpose=str(body.get("purpose") or ""), case_number=str(body.get("case_number") or ""),
        cursor=_cursor(body.get("cursor")), pattern=pattern, state=_state(body.get("state")))


def _mode(value: Any) -> SearchMode:
    try:
        return SearchMode(str(value))
    except ValueError:
        raise SearchRefused("MODE_INVALID", "mode must be exact, partial or fuzzy") from None


def _plate_or_pattern(mode: SearchMode, value: Any) -> tuple[str, PlatePattern | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise SearchRefused("PLATE_REQUIRED", "give the plate (or partial plate) to search for")
    if not isinstance(value, str):
        raise SearchRefused("PLATE_INVALID", "plate must be text, e.g. \"7ABC123\" or \"7AB*\"")
    try:
        if mode is SearchMode.PARTIAL:
            pattern = PlatePattern.parse(value)
            if pattern.is_exact:
                raise SearchRefused("PATTERN_HAS_NO_WILDCARD",
                                    "a partial search needs * or ?; use an exact search instead")
            if pattern.known_characters < MIN_KNOWN_CHARACTERS:
                raise SearchRefused("PATTERN_TOO_BROAD",
                                    f"a partial plate needs at least {MIN_KNOWN_CHARACTERS} "
                                    "known characters")
            if partial_plan(pattern) is None:
                raise SearchRefused("PATTERN_TOO_SCATTERED",
                                    "a partial plate needs three known characters in a row, or "
                                    "two at its start or end (7AB*, *234, *ABC*, 7AB?234)")
            return pattern.text, pattern
        plate = normalize_plate(value)
        if mode is SearchMode.FUZZY and len(plate) < MIN_KNOWN_CHARACTERS:
            raise SearchRefused("PATTERN_TOO_BROAD",
                                f"a fuzzy search needs at least {MIN_KNOWN_CHARACTERS} characters")
        return plate, None
    except InvalidPlate as error:
        raise SearchRefused("PLATE_INVALID", str(error)) from error


def _window(start: Any, end: Any, now: datetime) -> tuple[datetime | None, datetime | None]:
    parsed_start, parsed_end = _moment(start, "from"), _moment(end, "to")
    if parsed_start is not None and parsed_end is not None and parsed_start >= parsed_end:
        raise SearchRefused("WINDOW_INVALID", "from must be before to")
    if parsed_end is not None and parsed_end > now + timedelta(days=1):
        parsed_end = now + timedelta(days=1)
    return parsed_start, parsed_end


def _moment(value: Any, name: str) -> datetime | None:
    try:
        return parse_zoned_time(value, name)
    except TimeInvalid as error:
        raise SearchRefused("TIME_INVALID", str(error)) from None


def _cameras(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SearchRefused("CAMERAS_INVALID", "cameras must be a list of camera ids")
    if len(value) > MAX_CAMERAS:
        raise SearchRefused("CAMERAS_INVALID", f"name at most {MAX_CAMERAS} cameras")
    return tuple(sorted(set(value)))


def _near(value: Any) -> GeoCircle | None:
    if value is None:
        return None
    try:
        circle = GeoCircle(float(value["lat"]), float(value["lon"]), float(value["radius_m"]))
    except (KeyError, TypeError, ValueError):
        raise SearchRefused("PLACE_INVALID",
                            "near needs lat, lon and radius_m as numbers") from None
    if not (-90 <= circle.lat <= 90 and -180 <= circle.lon <= 180
            and 0 < circle.radius_m <= MAX_RADIUS_M):
        raise SearchRefused("PLACE_INVALID",
                            f"near: lat/lon out of range or radius not in 1-{MAX_RADIUS_M} m")
    return circle


def _page_size(value: Any) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PAGE_SIZE:
        raise SearchRefused("PAGE_SIZE_INVALID", f"page_size must be 1-{MAX_PAGE_SIZE}")
    return value


def _state(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value.strip().upper() not in STATE_CODES:
        raise SearchRefused("STATE_INVALID", "state must be a two-letter US state code")
    return value.strip().upper()


def _cursor(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_CURSOR_LENGTH:
        raise SearchRefused("CURSOR_INVALID", "cursor is not one this API returned")
    return value


