"""Keeping the plate index in step with the reads table (domain/plate_index.py says what it holds).

- Written: each read's entries are written before the read itself (`IndexedReads`), so a read
  that exists is always findable; a failure leaves at most entries without a read, which a
  search ignores and the next delivery of the frame completes.
- Purged: when a read leaves the reads table (TTL, the daily retention check, any delete), its
  plate-month loses the read's far alternative readings no other read of that month has, and,
  with its last read, every entry (`forget_reads`, from the reads stream).
- Held: a hold takes the TTL off the plate-month's entries and records the hold on its marker;
  releasing the last hold on it gives the TTL back.
- Expired: every entry carries the TTL of the last read its month can hold (the month's end plus
  retention), so DynamoDB deletes it even if a purge event were lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.holds import expiry_after_release
from chalicelib.domain.plate_index import (
    HIGHEST,
    IndexKey,
    Marker,
    alternative_key,
    entry_expiry,
    far_alternatives,
    indexable,
    marker_key,
    month_of,
    plate_keys,
)
from chalicelib.domain.reads import Read, parse_time


class IndexStore(Protocol):
    """The plate index table (adapters/plate_index_table.PlateIndexTable)."""

    def marker(self, plate: str, month: str) -> Marker | None: ...

    def create_marker(self, plate: str, month: str, alternatives: Iterable[str],
                      expires_at: int | None) -> bool: ...

    def add_to_marker(self, plate: str, month: str, alternatives: Iterable[str] = (),
                      holds: Iterable[str] = ()) -> Marker: ...

    def remove_from_marker(self, plate: str, month: str, alternatives: Iterable[str] = (),
                           holds: Iterable[str] = ()) -> Marker | None: ...

    def restore_marker_expiry(self, plate: str, month: str, expires_at: int) -> bool: ...

    def put(self, keys: Sequence[IndexKey], plate: str, expires_at: int | None) -> int: ...

    def delete(self, keys: Sequence[IndexKey]) -> int: ...


class PlateReads(Protocol):
    """A plate's reads by key (adapters/reads_table.ReadsTable)."""

    def of_plate(self, plate: str, low: str, high: str) -> list[Read]: ...


class ReadWriter(Protocol):
    def put_new(self, read: Read) -> bool: ...


@dataclass(frozen=True)
class IndexDependencies:
    index: IndexStore
    reads: PlateReads
    retention_days: int
    clock: Callable[[], datetime]


@dataclass
class IndexWork:
    """What one maintenance call did to the index (counts only)."""

    markers_read: int = 0
    items_written: int = 0
    items_deleted: int = 0

    def add(self, other: IndexWork) -> IndexWork:
        self.markers_read += other.markers_read
        self.items_written += other.items_written
        self.items_deleted += other.items_deleted
        return self


class IndexedReads:
    """The ingest's read writer: indexes each read, then writes it."""

    def __init__(self, reads: ReadWriter, deps: IndexDependencies) -> None:
        self._reads = reads
        self._deps = deps

    def put_new(self, read: Read) -> bool:
        index_read(read, self._deps)
        return self._reads.put_new(read)


def index_read(read: Read, deps: IndexDependencies) -> IndexWork:
    """Make sure the read's plate-month, and each of its far alternative readings, is indexed:
    one marker read, and writes only for what is not indexed yet."""
    return index_plate_month(read.plate, month_of(read.captured_at), [read], deps)


def index_plate_month(plate: str, month: str, reads: Sequence[Read],
                      deps: IndexDependencies) -> IndexWork:
    """Index reads of one plate and month (the migration passes many at once)."""
    work = IndexWork()
    if not indexable(plate):
        return work  # not plate text (the recognizer never emits such); found by exact search
    alternatives = frozenset().union(*(far_alternatives(read) for read in reads))
    holds = frozenset().union(*(read.holds for read in reads))
    expires = entry_expiry(month, deps.retention_days)
    marker = deps.index.marker(plate, month)
    work.markers_read += 1
    if marker is None:
        work.items_written += deps.index.put(
            [*plate_keys(plate, month), *_alternative_keys(alternatives, plate, month)],
            plate, None if holds else expires)
        if deps.index.create_marker(plate, month, alternatives, None if holds else expires):
            work.items_written += 1
            if holds:
                work.add(_hold(plate, month, holds, alternatives, deps))
            return work
        marker = deps.index.marker(plate, month)  # another writer created it meanwhile
        work.markers_read += 1
        if marker is None:
            marker = deps.index.add_to_marker(plate, month, alternatives)
            work.items_written += 1
    missing = alternatives - marker.alternatives
    if missing:
        held = bool(marker.holds or holds)
        work.items_written += deps.index.put(_alternative_keys(missing, plate, month), plate,
                                             None if held else expires)
        deps.index.add_to_marker(plate, month, missing)
        work.items_written += 1
    if not holds <= marker.holds:
        work.add(_hold(plate, month, holds, alternatives | marker.alternatives, deps))
    return work


def forget_reads(reads: Iterable[Read], deps: IndexDependencies) -> IndexWork:
    """After reads left the reads table: drop what only they kept in the index."""
    work = IndexWork()
    for read in reads:
        work.add(_forget(read, deps))
    return work


def hold_reads(reads: Sequence[Read], hold_id: str, deps: IndexDependencies) -> IndexWork:
    """A hold covers these reads: their plate-months keep their entries until it is released."""
    work = IndexWork()
    for (plate, month), group in _plate_months(reads).items():
        alternatives = frozenset().union(*(far_alternatives(read) for read in group))
        work.add(_hold(plate, month, {hold_id}, alternatives, deps))
    return work


def release_reads(reads: Sequence[Read], hold_id: str, deps: IndexDependencies) -> IndexWork:
    """A hold on these reads was released: plate-months no other hold covers get their TTL back,
    late enough for every read of theirs (a released read may get days of grace)."""
    work = IndexWork()
    now = deps.clock()
    for (plate, month), group in _plate_months(reads).items():
        marker = deps.index.remove_from_marker(plate, month, holds={hold_id})
        work.items_written += 1
        if marker is None or marker.holds:
            continue
        expires = max(entry_expiry(month, deps.retention_days), *(
            expiry_after_release(parse_time(read.captured_at), deps.retention_days, now)
            for read in group))
        keys = [*plate_keys(plate, month),
                *_alternative_keys(marker.alternatives, plate, month)]
        work.items_written += deps.index.put(keys, plate, expires)
        if deps.index.restore_marker_expiry(plate, month, expires):
            work.items_written += 1
        else:  # a hold arrived meanwhile: it keeps the entries
            work.items_written += deps.index.put(keys, plate, None)
    return work


def _forget(read: Read, deps: IndexDependencies) -> IndexWork:
    work = IndexWork()
    if not indexable(read.plate):
        return work
    month = month_of(read.captured_at)
    remaining = [other for other in deps.reads.of_plate(read.plate, month, month + HIGHEST)
                 if other.read_id != read.read_id]
    if not remaining:
        marker = deps.index.marker(read.plate, month)
        work.markers_read += 1
        alternatives = far_alternatives(read) | (marker.alternatives if marker else frozenset())
        work.items_deleted += deps.index.delete(
            [*plate_keys(read.plate, month),
             *_alternative_keys(alternatives, read.plate, month)])
        work.items_deleted += deps.index.delete([marker_key(read.plate, month)])  # last
        return work
    still_read = frozenset().union(*(far_alternatives(other) for other in remaining))
    orphans = far_alternatives(read) - still_read
    if orphans:
        work.items_deleted += deps.index.delete(_alternative_keys(orphans, read.plate, month))
        deps.index.remove_from_marker(read.plate, month, alternatives=orphans)
        work.items_written += 1
    return work


def _hold(plate: str, month: str, holds: Iterable[str], alternatives: Iterable[str],
          deps: IndexDependencies) -> IndexWork:
    """Record the holds on the marker (which drops its TTL), then rewrite the entries without
    one; this also restores any entry that went missing."""
    marker = deps.index.add_to_marker(plate, month, alternatives, holds)
    keys = [*plate_keys(plate, month), *_alternative_keys(marker.alternatives, plate, month)]
    return IndexWork(items_written=1 + deps.index.put(keys, plate, None))


def _alternative_keys(alternatives: Iterable[str], plate: str, month: str) -> list[IndexKey]:
    return [alternative_key(text, plate, month) for text in sorted(alternatives)]


def _plate_months(reads: Iterable[Read]) -> dict[tuple[str, str], list[Read]]:
    groups: dict[tuple[str, str], list[Read]] = {}
    for read in reads:
        if indexable(read.plate):
            groups.setdefault((read.plate, month_of(read.captured_at)), []).append(read)
    return groups
