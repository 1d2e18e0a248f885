"""Hotlists: entries officers are alerted on, the rules that keep them lawful, and read matching.

Policy 428.3/428.4(a): hotlists serve stolen or wanted vehicles, stolen plates, missing persons
and warrants. What the State Auditor (report 2019-118) and later misuse reports show goes wrong
is answered here by rule, not by training alone:
- custom entries need a case number, a reason, who added them and a different approver, and they
  expire (30 days by default), so no one can quietly watch a plate for personal reasons;
- immigration-violator records (NCIC record type N) are never accepted: California agencies may
  not use their resources for immigration enforcement (Gov. Code 7284.6, SB 54);
- a downloaded list stops alerting once it is older than its freshness limit: a vehicle
  recovered yesterday must not be stopped today because our copy was never refreshed;
- wildcard entries need at least four known characters so one entry cannot alert on everything.

Matching is by key: exact entries are stored under their folded plate (O/0, I/1, B/8, ...) so one
key lookup per reading also finds OCR confusions; all wildcard entries share one key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

from chalicelib.domain.plates import (
    WILDCARD_ANY,
    WILDCARD_ONE,
    InvalidPlate,
    PlatePattern,
    fold_plate,
    normalize_plate,
)


class Category:
    """Why a plate is listed; the values stored in `HotlistEntry.category`."""

    STOLEN_VEHICLE = "stolen_vehicle"
    STOLEN_PLATE = "stolen_plate"
    WANTED = "wanted"
    MISSING_PERSON = "missing_person"
    WARRANT = "warrant"
    AMBER_ALERT = "amber_alert"
    FELONY_VEHICLE = "felony_vehicle"
    OTHER = "other"
    # Recognized only to be refused: never stored, never alerted on (SB 54).
    IMMIGRATION_VIOLATOR = "immigration_violator"


CATEGORIES = frozenset({
    Category.STOLEN_VEHICLE, Category.STOLEN_PLATE, Category.WANTED, Category.MISSING_PERSON,
    Category.WARRANT, Category.AMBER_ALERT, Category.FELONY_VEHICLE, Category.OTHER,
})

# Default priority per category: 1 is the most urgent (a child or a missing person first).
CATEGORY_PRIORITY: Mapping[str, int] = MappingProxyType({
    Category.AMBER_ALERT: 1,
    Category.MISSING_PERSON: 1,
    Category.WANTED: 2,
    Category.WARRANT: 2,
    Category.FELONY_VEHICLE: 2,
    Category.STOLEN_VEHICLE: 3,
    Category.STOLEN_PLATE: 3,
    Category.OTHER: 5,
})


class Source:
    """Where an entry came from; freshness limits are looked up by source."""

    NCIC = "ncic"
    CLEW = "clew"
    CUSTOM = "custom"
    CSV = "csv"


SOURCES = frozenset({Source.NCIC, Source.CLEW, Source.CUSTOM, Source.CSV})

# How old a loaded list may get before it stops alerting, by list name or else by source.
# NCIC and CLEW extracts are refreshed daily, so two days allows one missed refresh. Custom and
# comma-separated lists are entered by hand with their own expiry, so no freshness limit applies.
DEFAULT_FRESHNESS: Mapping[str, timedelta | None] = MappingProxyType({
    Source.NCIC: timedelta(days=2),
    Source.CLEW: timedelta(days=2),
    Source.CSV: None,
    Source.CUSTOM: None,
})

CUSTOM_DEFAULT_DAYS = 30
# A hand-entered entry is renewed deliberately, at least once a year, or it lapses.
CUSTOM_MAX_DAYS = 365
MIN_PATTERN_KNOWN_CHARACTERS = 4
PATTERN_MATCH_KEY = "pattern"
MAX_CASE_NUMBER_LENGTH = 40
MAX_REASON_LENGTH = 500
MAX_NAME_LENGTH = 128
_STATE = re.compile(r"^[A-Z]{2}$")
# Reasons that reveal an immigration purpose are refused like the category itself.
_IMMIGRATION_WORDS = re.compile(r"\b(immigra\w*|deport\w*|undocumented|illegal alien\w*)",
                                re.IGNORECASE)


class HowMatched:
    """How a read matched an entry, strongest first."""

    EXACT = "exact"
    CANDIDATE = "candidate"
    CONFUSION = "confusion"
    PATTERN = "pattern"


_HOW_RANK = {HowMatched.EXACT: 0, HowMatched.CANDIDATE: 1, HowMatched.CONFUSION: 2,
             HowMatched.PATTERN: 3}


class InvalidHotlistEntry(ValueError):
    """An entry the rules refuse; the message says which rule and how to fix it."""


@dataclass(frozen=True, slots=True)
class HotlistEntry:
    """One listed plate (or wildcard pattern) and what an officer needs to act on a hit."""

    entry_id: str
    plate: str
    is_pattern: bool
    state: str
    category: str
    source: str
    case_number: str
    reason: str
    added_by: str
    approved_by: str
    list_name: str
    listed_on: str
    loaded_at: str
    expires_at: int | None
    priority: int
    vehicle_year: str = ""
    vehicle_make: str = ""
    vehicle_model: str = ""
    vehicle_color: str = ""


@dataclass(frozen=True, slots=True)
class HotlistHit:
    """A read that matched an alerting entry: which text matched and how."""

    entry: HotlistEntry
    matched_text: str
    how: str


def entry_id_for(list_name: str, plate: str, state: str, case_number: str) -> str:
    """A stable id, so reloading a list overwrites its entries instead of duplicating them."""
    material = "\x1f".join((list_name, plate, state, case_number)).encode()
    return "he-" + hashlib.sha256(material).hexdigest()[:32]


def match_key(entry: HotlistEntry) -> str:
    """The by_match_key index value: the folded plate, or the shared key of wildcard entries."""
    return PATTERN_MATCH_KEY if entry.is_pattern else fold_plate(entry.plate)


def match_keys_for_read(plate_text: str, candidates: Iterable[str] = ()) -> list[str]:
    """The index keys to query for one read: its folded readings, then the wildcard key."""
    keys: list[str] = []
    for text in (plate_text, *candidates):
        plate = _plate_or_none(text)
        if plate is not None and fold_plate(plate) not in keys:
            keys.append(fold_plate(plate))
    keys.append(PATTERN_MATCH_KEY)
    return keys


def is_immigration_category(category: str) -> bool:
    """Whether a category names immigration enforcement, which is never accepted."""
    return "immigra" in category.strip().lower()


def mentions_immigration(text: str) -> bool:
    """Whether free text (a reason) reveals an immigration-enforcement purpose."""
    return _IMMIGRATION_WORDS.search(text) is not None


def parse_listed_plate(text: str) -> tuple[str, bool]:
    """(normalized plate or pattern text, is_pattern); patterns need four known characters."""
    if WILDCARD_ANY not in text and WILDCARD_ONE not in text:
        return normalize_plate(text), False
    pattern = PlatePattern.parse(text)
    if pattern.known_characters < MIN_PATTERN_KNOWN_CHARACTERS:
        raise InvalidPlate(
            f"a wildcard entry needs at least {MIN_PATTERN_KNOWN_CHARACTERS} known characters")
    return pattern.text, True


def normalize_state(text: str) -> str:
    """Two-letter state code in upper case, or "" when unknown; raise InvalidHotlistEntry."""
    state = text.strip().upper()
    if state and not _STATE.match(state):
        raise InvalidHotlistEntry("state must be a two-letter code or empty")
    return state


def custom_entry(*, plate: str, state: str, category: str, case_number: str, reason: str,
                 added_by: str, approved_by: str, now: datetime, list_name: str = Source.CUSTOM,
                 expires: datetime | None = None, priority: int | None = None,
                 source: str = Source.CUSTOM) -> HotlistEntry:
    """A hand-entered entry, validated against every custom-entry rule."""
    _require_aware(now)
    category = _custom_category(category)
    case_number = _required(case_number, "a case number", MAX_CASE_NUMBER_LENGTH)
    reason = _required(reason, "a reason", MAX_REASON_LENGTH)
    if mentions_immigration(reason):
        raise InvalidHotlistEntry(
            "immigration enforcement is not a permitted purpose (SB 54, policy 428.4(a))")
    added_by = _required(added_by, "who added it (added_by)", MAX_NAME_LENGTH)
    approved_by = _required(approved_by, "an approver (approved_by)", MAX_NAME_LENGTH)
    if added_by.casefold() == approved_by.casefold():
        raise InvalidHotlistEntry("the approver must be someone other than who added the entry")
    try:
        listed, is_pattern = parse_listed_plate(plate)
    except InvalidPlate as error:
        raise InvalidHotlistEntry(f"plate: {error}") from error
    state = normalize_state(state)
    return HotlistEntry(
        entry_id=entry_id_for(list_name, listed, state, case_number),
        plate=listed, is_pattern=is_pattern, state=state, category=category, source=source,
        case_number=case_number, reason=reason, added_by=added_by, approved_by=approved_by,
        list_name=list_name, listed_on=now.astimezone(UTC).date().isoformat(),
        loaded_at=now.astimezone(UTC).isoformat(), expires_at=custom_expiry(now, expires),
        priority=CATEGORY_PRIORITY[category] if priority is None else _priority(priority),
    )


def custom_expiry(now: datetime, expires: datetime | None) -> int:
    """Epoch expiry of a custom entry: 30 days by default, in the future, at most a year away."""
    _require_aware(now)
    if expires is None:
        return int((now + timedelta(days=CUSTOM_DEFAULT_DAYS)).timestamp())
    _require_aware(expires)
    if expires <= now:
        raise InvalidHotlistEntry("expiry must lie in the future")
    if expires > now + timedelta(days=CUSTOM_MAX_DAYS):
        raise InvalidHotlistEntry(f"expiry may be at most {CUSTOM_MAX_DAYS} days away")
    return int(expires.timestamp())


def is_alerting(entry: HotlistEntry, now: datetime,
                freshness_limits: Mapping[str, timedelta | None] = DEFAULT_FRESHNESS) -> bool:
    """Whether a hit on this entry should alert: not expired, list fresh, category permitted."""
    if is_immigration_category(entry.category):
        return False
    if entry.expires_at is not None and entry.expires_at <= int(now.timestamp()):
        return False
    limit = _freshness_limit(entry, freshness_limits)
    if limit is None:
        return True
    loaded = _loaded_time(entry)
    # An entry whose age cannot be told is treated as stale: alerting on it could stop a car
    # that was recovered long ago.
    return loaded is not None and now - loaded <= limit


def match_read(plate_text: str, candidates: Sequence[str], entries: Iterable[HotlistEntry],
               now: datetime,
               freshness: Mapping[str, timedelta | None] = DEFAULT_FRESHNESS) -> list[HotlistHit]:
    """Hits of one read (best reading + alternative readings) on alerting entries.

    One hit per entry, its strongest match; ordered by priority, match strength, entry id.
    """
    primary = _plate_or_none(plate_text)
    alternatives = [plate for plate in map(_plate_or_none, candidates)
                    if plate is not None and plate != primary]
    readings = ([primary] if primary is not None else []) + list(dict.fromkeys(alternatives))
    if not readings:
        return []
    best: dict[str, HotlistHit] = {}
    for entry in entries:
        if entry.entry_id in best or not is_alerting(entry, now, freshness):
            continue
        hit = _match_entry(entry, readings, primary_first=primary is not None)
        if hit is not None:
            best[entry.entry_id] = hit
    return sorted(best.values(),
                  key=lambda hit: (hit.entry.priority, _HOW_RANK[hit.how], hit.entry.entry_id))


def _match_entry(entry: HotlistEntry, readings: list[str],
                 primary_first: bool) -> HotlistHit | None:
    if entry.is_pattern:
        return _match_pattern(entry, readings)
    for index, reading in enumerate(readings):
        if reading == entry.plate:
            how = HowMatched.EXACT if index == 0 and primary_first else HowMatched.CANDIDATE
            return HotlistHit(entry, reading, how)
    folded = fold_plate(entry.plate)
    for reading in readings:
        if fold_plate(reading) == folded:
            return HotlistHit(entry, reading, HowMatched.CONFUSION)
    return None


def _match_pattern(entry: HotlistEntry, readings: list[str]) -> HotlistHit | None:
    pattern = PlatePattern(entry.plate)
    for reading in readings:
        if pattern.matches(reading):
            return HotlistHit(entry, reading, HowMatched.PATTERN)
    # Witnesses and OCR confuse the same characters, so a pattern also matches after folding.
    folded = PlatePattern(fold_plate(entry.plate))
    for reading in readings:
        if folded.matches(fold_plate(reading)):
            return HotlistHit(entry, reading, HowMatched.PATTERN)
    return None


def _plate_or_none(text: str) -> str | None:
    try:
        return normalize_plate(text)
    except InvalidPlate:
        return None


def _freshness_limit(entry: HotlistEntry,
                     limits: Mapping[str, timedelta | None]) -> timedelta | None:
    if entry.list_name in limits:
        return limits[entry.list_name]
    if entry.source in limits:
        return limits[entry.source]
    # A source nobody configured gets the strictest known limit rather than none.
    return DEFAULT_FRESHNESS.get(entry.source, timedelta(days=2))


def _loaded_time(entry: HotlistEntry) -> datetime | None:
    """When our copy was loaded; the source's listing date only when no load time is known."""
    try:
        loaded = datetime.fromisoformat(entry.loaded_at)
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(entry.listed_on), datetime.min.time(),
                                    tzinfo=UTC)
        except ValueError:
            return None
    return loaded if loaded.tzinfo is not None else loaded.replace(tzinfo=UTC)


def _custom_category(category: str) -> str:
    text = category.strip().lower()
    if is_immigration_category(text):
        raise InvalidHotlistEntry(
            "immigration-violator entries are never accepted (SB 54, policy 428.4(a))")
    if text not in CATEGORIES:
        raise InvalidHotlistEntry(
            f"category must be one of {', '.join(sorted(CATEGORIES))}")
    return text


def _required(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidHotlistEntry(f"a custom entry needs {what}")
    if len(text) > limit:
        raise InvalidHotlistEntry(f"{what} is longer than {limit} characters")
    return text


def _priority(priority: int) -> int:
    if not 1 <= priority <= 9:
        raise InvalidHotlistEntry("priority must be between 1 (most urgent) and 9")
    return priority


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise InvalidHotlistEntry("times must carry a time zone")
