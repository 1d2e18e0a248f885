"""Building the plate index for reads already stored, and checking that index and reads agree.

`build_index` walks the reads table page by page and indexes each page's plate-months the way
the ingest does (writing only what is missing, so it can run while the ingest runs and can be
run again); after each page it reports the key to resume from. `check_index` compares both
directions: every plate-month of the reads has its entries, far alternative readings, holds
and a TTL no earlier than its reads'; every index item belongs to a plate-month that still has
reads (and an alternative entry to a reading one of them has). With `repair`, it fixes what it
found: the missing is written again, orphans are deleted, TTLs set right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.plate_index import (
    ALTERNATIVE_KIND,
    DELETION_PREFIX,
    HIGHEST,
    IndexKey,
    entries_of,
    entry_expiry,
    far_alternatives,
    indexable,
    marker_key,
    month_of,
)
from chalicelib.domain.reads import Read
from chalicelib.services.plate_index import IndexDependencies, IndexWork, index_plate_month

ResumeKey = dict[str, Any]


class CheckableIndex(Protocol):
    """What the check reads besides the maintenance calls (adapters/plate_index_table)."""

    def get_many(self, keys: Sequence[IndexKey]) -> dict[IndexKey, Any]: ...

    def scan(self) -> Iterator[Any]: ...

    def delete(self, keys: Sequence[IndexKey]) -> int: ...


ReadPages = Iterable[tuple[list[Read], ResumeKey | None]]


def build_index(pages: ReadPages, deps: IndexDependencies,
                after_page: Callable[[int, IndexWork, ResumeKey | None], None]) -> IndexWork:
    """Index every page's reads; `after_page(reads in page, work so far, resume key)`."""
    total = IndexWork()
    for reads, resume in pages:
        for (plate, month), group in plate_months(reads).items():
            total.add(index_plate_month(plate, month, group, deps))
        after_page(len(reads), total, resume)
    return total


@dataclass
class PlateMonthState:
    """What the reads of one plate-month require of the index."""

    alternatives: set[str] = field(default_factory=set)
    holds: set[str] = field(default_factory=set)
    latest_expiry: int = 0
    reads: int = 0


@dataclass
class CheckReport:
    reads: int = 0
    plate_months: int = 0
    index_items: int = 0
    entries_missing: int = 0
    alternatives_unlisted: int = 0
    holds_mismatched: int = 0
    expiry_wrong: int = 0
    orphans: int = 0
    repaired: int = 0

    @property
    def agrees(self) -> bool:
        return not (self.entries_missing or self.alternatives_unlisted or self.holds_mismatched
                    or self.expiry_wrong or self.orphans)


def check_index(pages: ReadPages, index: CheckableIndex, deps: IndexDependencies,
                repair: bool = False,
                progress: Callable[[int], None] = lambda count: None) -> CheckReport:
    """Compare the reads table and the plate index in both directions (see the module doc)."""
    report = CheckReport()
    states: dict[tuple[str, str], PlateMonthState] = {}
    for reads, _ in pages:
        for item in reads:
            report.reads += 1
            if indexable(item.plate):
                _require(states.setdefault((item.plate, month_of(item.captured_at)),
                                           PlateMonthState()), item)
        progress(len(reads))
    report.plate_months = len(states)
    to_reindex: set[tuple[str, str]] = set()
    for (plate, month), state in states.items():
        if _check_plate_month(plate, month, state, index, deps, report):
            to_reindex.add((plate, month))
    orphans = _orphans(index, states, report)
    if repair:
        for plate, month in sorted(to_reindex):
            report.repaired += _repair(plate, month, states[(plate, month)], deps)
        if orphans:
            report.repaired += index.delete(orphans)
    return report


def plate_months(reads: Iterable[Read]) -> dict[tuple[str, str], list[Read]]:
    groups: dict[tuple[str, str], list[Read]] = {}
    for item in reads:
        if indexable(item.plate):
            groups.setdefault((item.plate, month_of(item.captured_at)), []).append(item)
    return groups


def _require(state: PlateMonthState, item: Read) -> None:
    state.reads += 1
    state.alternatives |= far_alternatives(item)
    state.holds |= set(item.holds)
    state.latest_expiry = max(state.latest_expiry, item.expires_at or 0)


def _check_plate_month(plate: str, month: str, state: PlateMonthState, index: CheckableIndex,
                       deps: IndexDependencies, report: CheckReport) -> bool:
    """Count what is wrong with one plate-month; True when it needs repair."""
    expected = entries_of(plate, month, state.alternatives)
    stored = index.get_many(expected)
    missing = sum(key not in stored for key in expected)
    report.entries_missing += missing
    marker = stored.get(marker_key(plate, month))
    unlisted = len(state.alternatives - set(marker.marker.alternatives)) if marker else 0
    report.alternatives_unlisted += unlisted
    mismatched = marker is not None and set(marker.marker.holds) != state.holds
    report.holds_mismatched += mismatched
    wrong = sum(not _expiry_right(entry.expires_at, state, month, deps)
                for entry in stored.values())
    report.expiry_wrong += wrong
    return bool(missing or unlisted or mismatched or wrong)


def _expiry_right(expires_at: int | None, state: PlateMonthState, month: str,
                  deps: IndexDependencies) -> bool:
    """Held: no TTL. Otherwise a TTL no earlier than any read of the month (a read's TTL of
    None without a hold is the retention check's to find)."""
    if state.holds:
        return expires_at is None
    return expires_at is not None and expires_at >= state.latest_expiry


def _orphans(index: CheckableIndex, states: dict[tuple[str, str], PlateMonthState],
             report: CheckReport) -> list[IndexKey]:
    found: list[IndexKey] = []
    for entry in index.scan():
        report.index_items += 1
        month = _month_of_key(entry.index_key)
        state = states.get((entry.plate, month))
        if state is not None and not _unread_alternative(entry.index_key, state):
            continue
        report.orphans += 1
        found.append(entry.index_key)
    return found


def _month_of_key(key: IndexKey) -> str:
    if key.key.startswith(DELETION_PREFIX):
        return key.entry[:7]
    return key.key[-7:]


def _unread_alternative(key: IndexKey, state: PlateMonthState) -> bool:
    """An alternative reading's entry that no read of its month has any more."""
    if not key.key.startswith(DELETION_PREFIX):
        return False
    _, text, kind, _ = key.entry.split("#", 3)
    return kind == ALTERNATIVE_KIND and text not in state.alternatives


def _repair(plate: str, month: str, state: PlateMonthState, deps: IndexDependencies) -> int:
    """Index the plate-month's reads again (the missing entries, alternatives and holds), take
    stale holds off its marker, then give every entry the TTL its reads need."""
    reads = deps.reads.of_plate(plate, month, month + HIGHEST)
    work = index_plate_month(plate, month, reads, deps)
    marker = deps.index.marker(plate, month)
    stale = set(marker.holds) - state.holds if marker else set()
    if stale:
        deps.index.remove_from_marker(plate, month, holds=stale)
        work.items_written += 1
    expires = None if state.holds else max(entry_expiry(month, deps.retention_days),
                                           state.latest_expiry)
    work.items_written += deps.index.put(entries_of(plate, month, state.alternatives)[:-1],
                                         plate, expires)
    if expires is not None and deps.index.restore_marker_expiry(plate, month, expires):
        work.items_written += 1
    return work.items_written
