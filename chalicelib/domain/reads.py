"""Plate reads: what the ingest writes and officers search, and how search matches them."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from chalicelib.domain.plates import PlatePattern, edit_distance_at_most, fold_plate

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_READ_NAMESPACE = uuid.UUID("6f1c3c52-8a51-4c3e-9d0e-4b0c6f0a7e21")


def format_time(moment: datetime) -> str:
    """Canonical, sortable UTC text used in keys (second precision)."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def read_id_for(image_key: str, version_id: str | None, index: int) -> str:
    """Deterministic id: redelivering the same object writes the same reads, not new ones."""
    return str(uuid.uuid5(_READ_NAMESPACE, f"{image_key}|{version_id or ''}|{index}"))


def is_read_id(text: object) -> bool:
    """Whether text has the form read_id_for gives (a UUID in its canonical spelling)."""
    if not isinstance(text, str) or len(text) != 36:
        return False
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


@dataclass(frozen=True)
class Candidate:
    text: str
    confidence: float


@dataclass(frozen=True)
class Read:
    """One plate seen in one frame."""

    read_id: str
    plate: str
    captured_at: str
    camera_id: str
    confidence: float
    image_key: str
    expires_at: int | None
    candidates: tuple[Candidate, ...] = ()
    box: tuple[int, int, int, int] = (0, 0, 0, 0)
    image_version: str | None = None
    crop_key: str | None = None
    # Ingest-time SHA-256 of the frame and crop, and the crop's version (links pin it).
    image_sha256: str | None = None
    crop_version: str | None = None
    crop_sha256: str | None = None
    lat: float | None = None
    lon: float | None = None
    heading: float | None = None
    holds: tuple[str, ...] = ()
    # The issuing state read off the plate (two-letter code), only when the recognizer is sure.
    state: str | None = None
    state_confidence: float = 0.0

    @property
    def read_key(self) -> str:
        return f"{self.captured_at}#{self.read_id}"

    @property
    def day_bucket(self) -> str:
        return self.captured_at[:10]

    @property
    def camera_day(self) -> str:
        return f"{self.camera_id}#{self.captured_at[:10]}"


class SearchMode(StrEnum):
    EXACT = "exact"
    PARTIAL = "partial"
    FUZZY = "fuzzy"


@dataclass(frozen=True)
class GeoCircle:
    lat: float
    lon: float
    radius_m: float

    def contains(self, lat: float | None, lon: float | None) -> bool:
        if lat is None or lon is None:
            return False
        return haversine_m(self.lat, self.lon, lat, lon) <= self.radius_m


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    radius = 6_371_000.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class SearchQuery:
    """A validated search (see policy/search.py for the rules that produce it)."""

    mode: SearchMode
    text: str
    start: datetime | None
    end: datetime | None
    cameras: tuple[str, ...] = ()
    near: GeoCircle | None = None
    page_size: int = 50
    purpose: str = ""
    case_number: str = ""
    cursor: str | None = None
    pattern: PlatePattern | None = field(default=None, compare=False)
    # Keep only reads of this state, or whose state was not read (a plate whose state is
    # unknown is never left out).
    state: str = ""


def match_reason(query: SearchQuery, read: Read) -> str | None:
    """Why a read matches the query (shown to the officer), or None when it does not."""
    if query.mode is SearchMode.EXACT:
        return "exact plate" if read.plate == query.text else None
    if query.mode is SearchMode.PARTIAL:
        assert query.pattern is not None  # noqa: S101 - set by the search policy
        if query.pattern.matches(read.plate):
            return f"plate matches pattern {query.pattern.text}"
        # An alternative reading counts when the plate matches up to look-alike characters (the
        # plate index finds the plate); readings further off are fuzzy search's to find.
        if not PlatePattern(fold_plate(query.pattern.text)).matches(fold_plate(read.plate)):
            return None
        for candidate in read.candidates[1:]:
            if query.pattern.matches(candidate.text):
                return f"alternative reading {candidate.text} matches pattern {query.pattern.text}"
        return None
    return _fuzzy_reason(query.text, read)


def _fuzzy_reason(text: str, read: Read) -> str | None:
    if read.plate == text:
        return "exact plate"
    folded = fold_plate(text)
    if fold_plate(read.plate) == folded:
        return "same plate up to look-alike characters (O/0, D/0, I/1, B/8, Z/2, S/5)"
    for candidate in read.candidates[1:]:
        if fold_plate(candidate.text) == folded:
            return f"alternative reading {candidate.text}"
    if edit_distance_at_most(fold_plate(read.plate), folded, 1):
        return "one character different"
    return None


def in_window(read: Read, start: datetime | None, end: datetime | None) -> bool:
    moment = parse_time(read.captured_at)
    return (start is None or moment >= start) and (end is None or moment < end)


def days_between(start: datetime, end: datetime) -> list[str]:
    """Day partitions covering [start, end), newest first."""
    day = (end - timedelta(seconds=1)).astimezone(UTC).date()
    first = start.astimezone(UTC).date()
    days = []
    while day >= first:
        days.append(day.isoformat())
        day -= timedelta(days=1)
    return days
