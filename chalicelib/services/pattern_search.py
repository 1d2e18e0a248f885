"""Partial and fuzzy searches through the plate index, within a fixed work budget per request.

A search turns its pattern into index keys (domain/plate_index.py), reads the entries in a
fixed order, keeps those that can match, and takes the matching plate-months in groups of up to
MERGED_PLATES: each group's reads in the window come newest first, from key queries on the
reads table. Results therefore come month by month, newest month first, and within a month
newest first (in groups of MERGED_PLATES plates when more match).

Every request stops at its work budget (items examined, requests, seconds) and then answers
with what it found and a cursor: the position in the index order where it stopped, the end of
the group in progress and the last read it looked at. Each request moves that position forward,
so paging always ends.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.domain.plate_index import (
    HIGHEST,
    FuzzyPlan,
    PartialPlan,
    PlateMonth,
    months_between,
)
from chalicelib.domain.reads import Read
from chalicelib.policy.search import MERGED_PLATES, WorkBudget

# Index entries per DynamoDB request: small, so the budget is checked often.
INDEX_PAGE = 200


class IndexEntries(Protocol):
    """Sort keys of one index key, in order (adapters/plate_index_table.PlateIndexTable)."""

    def entries(self, key: str, low: str, high: str, descending: bool, stats: QueryStats,
                page_items: int | None = ...) -> Iterator[str]: ...


class PlateReads(Protocol):
    def newest_first(self, partition: Partition, low: str, high: str, stats: QueryStats,
                     page_items: int | None = ...,
                     first_page_items: int | None = ...) -> Iterator[Read]: ...


@dataclass
class Work:
    """What a request has spent, against its budget."""

    budget: WorkBudget
    timer: Callable[[], float]
    started: float
    index: QueryStats = field(default_factory=QueryStats)
    reads: QueryStats = field(default_factory=QueryStats)

    @property
    def examined(self) -> int:
        return self.index.examined + self.reads.examined

    @property
    def requests(self) -> int:
        return self.index.requests + self.reads.requests

    def exhausted(self) -> bool:
        return (self.examined >= self.budget.items or self.requests >= self.budget.requests
                or self.timer() - self.started >= self.budget.seconds)


@dataclass(frozen=True)
class Position:
    """Where a search stands: after index position `after`; inside the group that ends at
    `group_end`, below read key `before`."""

    after: str | None = None
    group_end: str | None = None
    before: str | None = None


Match = Callable[[Read], "str | None"]


@dataclass(frozen=True)
class PatternPage:
    """Reads found with why each matched, where to continue (None: done), and whether the
    work budget, not a full page, ended the request."""

    hits: tuple[tuple[Read, str], ...]
    next: Position | None
    stopped_early: bool


class CandidateStream(Protocol):
    def after(self, position: str | None, until: str | None,
              stats: QueryStats) -> Iterator[tuple[str, PlateMonth | None]]:
        """(position, plate-month or None when the entry cannot match), in index order,
        strictly after `position` and up to `until` included."""
        ...


class PartialStream:
    """Suffix entries of the pattern's run: months newest first, entries in sort order."""

    def __init__(self, plan: PartialPlan, months: list[str], index: IndexEntries) -> None:
        self._plan, self._months, self._index = plan, months, index

    def after(self, position: str | None, until: str | None,
              stats: QueryStats) -> Iterator[tuple[str, PlateMonth | None]]:
        start = _split(position)
        stop = _split(until)
        for month in self._months:
            if start is not None and month > start[0]:
                continue
            if stop is not None and month < stop[0]:
                return
            low = self._plan.low
            if start is not None and month == start[0]:
                low = max(low, start[1])
            high = self._plan.high
            if stop is not None and month == stop[0]:
                high = min(high, stop[1])
            for entry in self._index.entries(self._plan.key(month), low, high, False, stats,
                                             INDEX_PAGE):
                if start is not None and (month, entry) == start:
                    continue
                plate = self._plan.candidate(entry)
                yield f"{month}|{entry}", PlateMonth(plate, month) if plate else None


class FuzzyStream:
    """Deletion entries of the plate and its deletions, merged: newest month first."""

    def __init__(self, plan: FuzzyPlan, months: list[str], index: IndexEntries) -> None:
        self._plan, self._months, self._index = plan, months, index

    def after(self, position: str | None, until: str | None,
              stats: QueryStats) -> Iterator[tuple[str, PlateMonth | None]]:
        high = position if position is not None else self._months[0] + HIGHEST
        low = until if until is not None else self._months[-1]
        streams = [self._index.entries(key, low, high, True, stats, INDEX_PAGE)
                   for key in self._plan.keys]
        previous = position
        for entry in heapq.merge(*streams, reverse=True):
            if entry == previous:
                continue  # the same plate-month under another key, or the position itself
            previous = entry
            yield entry, self._plan.candidate(entry)


def stream_for(plan: PartialPlan | FuzzyPlan, start: datetime, end: datetime,
               index: IndexEntries) -> CandidateStream:
    months = months_between(start, end)
    if isinstance(plan, PartialPlan):
        return PartialStream(plan, months, index)
    return FuzzyStream(plan, months, index)


def search_page(stream: CandidateStream, reads: PlateReads, window: tuple[str, str],
                page_size: int, match: Match, start: Position, work: Work) -> PatternPage:
    """One page: up to `page_size` reads that `match` gives a reason for, from `start` on;
    `window` bounds the read keys (low, high)."""
    found: list[tuple[Read, str]] = []
    position = start
    while True:
        group, group_end, complete = _group(stream, position, work)
        if not group:
            if complete:
                return PatternPage(tuple(found), None, False)
            return PatternPage(tuple(found), Position(after=group_end), True)
        stop = _merge(group, reads, window, page_size, match, position.before, found, work)
        if stop is not None:
            full = len(found) >= page_size
            return PatternPage(tuple(found),
                               Position(position.after, group_end, stop), not full)
        if complete:
            return PatternPage(tuple(found), None, False)
        position = Position(after=group_end)
        if work.exhausted():
            return PatternPage(tuple(found), position, True)


def _group(stream: CandidateStream, position: Position,
           work: Work) -> tuple[list[PlateMonth], str | None, bool]:
    """The plate-months of the group at `position`: (group, where it ends, whether the index
    has nothing after it). A group in progress is read again up to its recorded end."""
    group: list[PlateMonth] = []
    last = position.after
    if position.group_end is not None:
        for _, candidate in stream.after(position.after, position.group_end, work.index):
            if candidate is not None:
                group.append(candidate)
        return group, position.group_end, False
    for entry_position, candidate in stream.after(position.after, None, work.index):
        last = entry_position
        if candidate is not None:
            group.append(candidate)
        if len(group) >= MERGED_PLATES or work.exhausted():
            return group, last, False
    return group, last, True


def _merge(group: list[PlateMonth], reads: PlateReads, window: tuple[str, str],
           page_size: int, match: Match, before: str | None,
           found: list[tuple[Read, str]], work: Work) -> str | None:
    """Add the group's reads newest first until the page is full or the budget is spent;
    returns the read key to continue below, or None when the group is done."""
    first_page = min(page_size, math.ceil(page_size / len(group)) + 1)
    streams = []
    for candidate in group:
        low = max(window[0], candidate.month)
        high = min(window[1], candidate.month + HIGHEST)
        if before is not None:
            high = min(high, before)
        streams.append(reads.newest_first(Partition(None, "plate", candidate.plate), low, high,
                                          work.reads, page_size, first_page))
    for read in heapq.merge(*streams, key=lambda item: item.read_key, reverse=True):
        if before is not None and read.read_key >= before:
            continue
        reason = match(read)
        if reason is not None:
            found.append((read, reason))
        if len(found) >= page_size or work.exhausted():
            return read.read_key
    return None


def _split(position: str | None) -> tuple[str, str] | None:
    if position is None:
        return None
    month, _, entry = position.partition("|")
    return month, entry
