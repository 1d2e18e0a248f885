"""Hotlists as lists: each list's alert level, its loads (imports) and whether it is stale.

Entries carry the name of the list they belong to ("custom" for hand-entered ones, the list name
given at import otherwise). A list's alert level (high or normal) is a setting of the list;
see domain/alerts.alert_level for how it combines with each entry's numeric priority. A list
is stale when its newest load is older than its source's freshness limit (NCIC and CLEW
extracts: two days): its entries stop alerting (domain/hotlist.is_alerting), and the lists page
says so, so that somebody reloads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.alerts import LEVELS, Level
from chalicelib.domain.hotlist import DEFAULT_FRESHNESS, Source

MAX_LOADS_SHOWN = 10


class InvalidListSetting(ValueError):
    """A list setting the rules refuse."""


@dataclass(frozen=True)
class ListSettings:
    list_name: str
    level: str
    changed_by: str
    changed_at: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise InvalidListSetting(f"priority must be one of {', '.join(LEVELS)}")


@dataclass(frozen=True)
class ListLoad:
    """One import of a list file: what it read, kept and filtered out."""

    list_name: str
    load_id: str
    loaded_at: str
    file_format: str
    source: str
    total_lines: int
    accepted: int
    filtered_immigration: int
    skipped: tuple[tuple[str, int], ...]
    requested_by: str
    approved_by: str


@dataclass(frozen=True)
class ListSummary:
    """A list as the lists page shows it."""

    list_name: str
    source: str
    level: str
    level_set_by: str
    last_loaded_at: str | None
    entries_last_load: int | None
    age_hours: float | None
    freshness_limit_hours: float | None
    stale: bool
    loads: tuple[ListLoad, ...]


def freshness_limit(list_name: str, source: str,
                    limits: Mapping[str, timedelta | None] = DEFAULT_FRESHNESS
                    ) -> timedelta | None:
    """How old the list may get before its entries stop alerting (None: no limit)."""
    if list_name in limits:
        return limits[list_name]
    return limits.get(source, timedelta(days=2))


def summarize(settings: Iterable[ListSettings], loads: Iterable[ListLoad],
              now: datetime) -> list[ListSummary]:
    """One summary per list named by a setting or a load, by name."""
    level_of = {item.list_name: item for item in settings}
    loads_of: dict[str, list[ListLoad]] = {}
    for load in loads:
        loads_of.setdefault(load.list_name, []).append(load)
    summaries = []
    for name in sorted(set(level_of) | set(loads_of)):
        history = sorted(loads_of.get(name, []), key=lambda load: load.loaded_at, reverse=True)
        newest = history[0] if history else None
        source = newest.source if newest else Source.CUSTOM
        limit = freshness_limit(name, source)
        age = _age(newest.loaded_at, now) if newest else None
        setting = level_of.get(name)
        summaries.append(ListSummary(
            list_name=name, source=source,
            level=setting.level if setting else Level.NORMAL,
            level_set_by=setting.changed_by if setting else "",
            last_loaded_at=newest.loaded_at if newest else None,
            entries_last_load=newest.accepted if newest else None,
            age_hours=None if age is None else round(age.total_seconds() / 3600, 1),
            freshness_limit_hours=None if limit is None else limit.total_seconds() / 3600,
            stale=limit is not None and (age is None or age > limit),
            loads=tuple(history[:MAX_LOADS_SHOWN])))
    return summaries


def _age(loaded_at: str, now: datetime) -> timedelta | None:
    try:
        return now - datetime.fromisoformat(loaded_at)
    except (ValueError, TypeError):
        return None
