"""The plate index: plate content -> the plates, month by month, that hold it.

A partial or fuzzy plate cannot be a key of the reads table, but the distinct plates of a month
are far fewer than its reads and plates are short. So each (plate, UTC month) that has reads
gets a few small index entries, on the look-alike-folded plate (`fold_plate`); a search turns
its pattern into one or a few index keys, keeps the entries that can match, and then asks the
reads table for those plates' reads in its window, by key. What a search examines follows the
plates that match, not the reads of the window.

Entries of one plate and month (pure key arithmetic here; the adapter stores them):
- suffix entries, for partial patterns: every suffix of "^" + folded plate + "$" that is at
  least three characters long (one per character of the plate). The key is "S#", the suffix's
  first three characters and the month; the sort key starts with the rest of the suffix. A
  pattern's longest run of known characters (the plate's start and end count as one) is then
  one key and a sort-key prefix, and the entries found contain the whole run.
- deletion entries, for fuzzy search: the folded plate itself and each of its one-character
  deletions, keyed "D#" + that text; the sort key starts with the month, so any window is one
  query per key. Two texts are at most one edit apart only if their deletion sets meet
  (symmetric deletion), so the query's own deletions find every plate one edit away.
- the zero-deletion entry (the folded plate itself) is the plate-month's marker: it is written
  last, and lists the far alternative readings indexed for the plate that month and the holds
  on its reads.
- an alternative reading of a read more than one edit from the read's plate gets one entry of
  its own, keyed like a zero-deletion entry and pointing at the read's plate. Closer readings
  are found through the plate's own deletion entries, so they cost nothing.

Entries carry no data beyond the plate and the month, and expire with the month's reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain.plates import (
    MAX_PLATE_LENGTH,
    PLATE_ALPHABET,
    WILDCARD_ANY,
    PlatePattern,
    edit_distance_at_most,
    fold_plate,
)
from chalicelib.domain.reads import Read

START, END = "^", "$"
GRAM = 3  # suffix keys are the suffix's first three characters
SUFFIX_PREFIX, DELETION_PREFIX = "S#", "D#"
PLATE_KIND, ALTERNATIVE_KIND = "p", "a"
# Sorts after every character a key or sort key holds (A-Z, 0-9, ^, $, #, -).
HIGHEST = "~"
_RUNS = re.compile(r"[^*?]+")


@dataclass(frozen=True, order=True)
class IndexKey:
    """One index item's key: partition `key`, sort key `entry`."""

    key: str
    entry: str


@dataclass(frozen=True)
class PlateMonth:
    """A plate (the reads table's partition) whose reads of one month may match a search."""

    plate: str
    month: str


@dataclass(frozen=True)
class Marker:
    """What the index holds for one plate-month besides its computable entries."""

    alternatives: frozenset[str]
    holds: frozenset[str]
    expires_at: int | None


def month_of(captured_at: str) -> str:
    """The UTC month (YYYY-MM) of a capture time in the reads table's format."""
    return captured_at[:7]


def months_between(start: datetime, end: datetime) -> list[str]:
    """Months covering [start, end), newest first."""
    last = (end - timedelta(seconds=1)).astimezone(UTC)
    first = start.astimezone(UTC)
    year, month = last.year, last.month
    months = []
    while (year, month) >= (first.year, first.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def month_end(month: str) -> datetime:
    """The first moment after `month` (UTC)."""
    year, number = int(month[:4]), int(month[5:7])
    year, number = (year, number + 1) if number < 12 else (year + 1, 1)
    return datetime(year, number, 1, tzinfo=UTC)


def entry_expiry(month: str, retention_days: int) -> int:
    """TTL of a month's entries: when the month's last possible read expires."""
    return int((month_end(month) + timedelta(days=retention_days)).timestamp())


def indexable(text: str) -> bool:
    """Plate text the index can hold (the recognizer's alphabet, at most a plate's length)."""
    return 0 < len(text) <= MAX_PLATE_LENGTH and set(text) <= PLATE_ALPHABET


def deletions(text: str) -> list[str]:
    """Each one-character deletion of `text`, once, in position order."""
    return list(dict.fromkeys(text[:index] + text[index + 1:] for index in range(len(text))))


def marker_key(plate: str, month: str) -> IndexKey:
    """The plate-month's zero-deletion entry, which is also its marker."""
    folded = fold_plate(plate)
    return IndexKey(DELETION_PREFIX + folded, _deletion_entry(month, folded, PLATE_KIND, plate))


def plate_keys(plate: str, month: str) -> list[IndexKey]:
    """The suffix and deletion entries of a plate-month, without its marker."""
    folded = fold_plate(plate)
    padded = START + folded + END
    keys = [IndexKey(f"{SUFFIX_PREFIX}{padded[index:index + GRAM]}#{month}",
                     f"{padded[index + GRAM:]}#{plate}")
            for index in range(len(padded) - GRAM + 1)]
    keys += [IndexKey(DELETION_PREFIX + deleted, _deletion_entry(month, folded, PLATE_KIND, plate))
             for deleted in deletions(folded) if deleted != folded]
    return keys


def alternative_key(folded_alternative: str, plate: str, month: str) -> IndexKey:
    """The entry of one far alternative reading of a plate's read."""
    return IndexKey(DELETION_PREFIX + folded_alternative,
                    _deletion_entry(month, folded_alternative, ALTERNATIVE_KIND, plate))


def far_alternatives(read: Read) -> frozenset[str]:
    """The read's alternative readings, folded, that are more than one edit from its plate:
    the only ones that need entries of their own."""
    plate = fold_plate(read.plate)
    return frozenset(
        folded for folded in (fold_plate(candidate.text) for candidate in read.candidates[1:])
        if indexable(folded) and not edit_distance_at_most(folded, plate, 1))


def entries_of(plate: str, month: str, alternatives: Iterable[str]) -> list[IndexKey]:
    """Every entry of a plate-month with these far alternatives, the marker last."""
    return [*plate_keys(plate, month),
            *(alternative_key(text, plate, month) for text in sorted(set(alternatives))),
            marker_key(plate, month)]


def _deletion_entry(month: str, text: str, kind: str, plate: str) -> str:
    return f"{month}#{text}#{kind}#{plate}"


# ------------------------------------------------------------------------ searching
@dataclass(frozen=True)
class PartialPlan:
    """How a partial pattern is looked up: the suffix key of its longest known run."""

    pattern: PlatePattern  # the pattern, folded
    run: str  # its longest run of known characters, with ^/$ where it is anchored

    def key(self, month: str) -> str:
        return f"{SUFFIX_PREFIX}{self.run[:GRAM]}#{month}"

    @property
    def low(self) -> str:
        """Sort keys of the key's entries that continue the run lie in [low, high]."""
        return self.run[GRAM:]

    @property
    def high(self) -> str:
        return self.run[GRAM:] + HIGHEST

    def candidate(self, entry: str) -> str | None:
        """The plate an entry of `key(month)` stands for, if it can match the pattern: once per
        plate (at the run's first occurrence), and only if the folded plate matches."""
        rest, _, plate = entry.rpartition("#")
        padded = START + fold_plate(plate) + END
        if padded.find(self.run) != len(padded) - GRAM - len(rest):
            return None
        return plate if self.pattern.matches(padded[1:-1]) else None


def partial_plan(pattern: PlatePattern) -> PartialPlan | None:
    """The lookup of a partial pattern, or None when it has no run of three known characters
    (the plate's start or end counting as one), which no index key can find."""
    folded = fold_plate(pattern.text)
    padded = ("" if folded.startswith(WILDCARD_ANY) else START) + folded + (
        "" if folded.endswith(WILDCARD_ANY) else END)
    runs = [match.group() for match in _RUNS.finditer(padded)]
    usable = [run for run in runs if len(run) >= GRAM]
    if not usable:
        return None
    # Longest first; on a tie, more real characters (fewer anchors), then the earliest.
    run = max(usable, key=lambda text: (len(text), -text.count(START) - text.count(END)))
    return PartialPlan(PlatePattern(folded), run)


@dataclass(frozen=True)
class FuzzyPlan:
    """How a fuzzy plate is looked up: its folded text and each of its deletions."""

    folded: str

    @property
    def keys(self) -> list[str]:
        return [DELETION_PREFIX + text for text in dict.fromkeys([self.folded,
                                                                 *deletions(self.folded)])]

    def candidate(self, entry: str) -> PlateMonth | None:
        """The plate-month an entry stands for, if it matches: a plate within one edit of the
        query (look-alikes folded), or a far alternative reading equal to it whose plate is
        not itself a match (that plate's own entry covers it)."""
        month, text, kind, plate = entry.split("#", 3)
        if kind == PLATE_KIND:
            return PlateMonth(plate, month) if edit_distance_at_most(text, self.folded, 1) \
                else None
        if text != self.folded or edit_distance_at_most(fold_plate(plate), self.folded, 1):
            return None
        return PlateMonth(plate, month)


def fuzzy_plan(plate: str) -> FuzzyPlan:
    return FuzzyPlan(fold_plate(plate))

