"""The plate index: its entries, its upkeep (write, purge, hold, expiry), and searches through it
finding exactly what reading every read of the window would find, page by page, within budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.plate_index import (
    entry_expiry,
    far_alternatives,
    fuzzy_plan,
    marker_key,
    month_of,
    months_between,
    partial_plan,
    plate_keys,
)
from chalicelib.domain.plates import PlatePattern
from chalicelib.domain.reads import Candidate, Read, format_time, in_window, match_reason
from chalicelib.policy.long_history import DEFAULT_EXTENDED_SEARCH_DAYS
from chalicelib.policy.search import MERGED_PLATES, SEARCH_WORK_BUDGET, WorkBudget, build_query
from chalicelib.services.plate_index import (
    IndexDependencies,
    IndexedReads,
    forget_reads,
    hold_reads,
    index_read,
    release_reads,
)
from chalicelib.services.search import SearchDependencies, search_reads
from local_stack.api_client import search_body
from tests.unit.fakes import FakeAuditLog, FakePlateIndex, FakePlateReads
from tests.unit.test_holds import caller

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RETENTION = 365


class NoLinks:
    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str:
        raise AssertionError("a search hands out no image links")


def read(read_id: str, plate: str, captured: datetime, alternatives: tuple[str, ...] = (),
         holds: tuple[str, ...] = ()) -> Read:
    return Read(read_id=read_id, plate=plate, captured_at=format_time(captured),
                camera_id="cam-1", confidence=0.9, image_key=f"cameras/cam-1/{read_id}.jpg",
                expires_at=None if holds else int((captured + timedelta(days=RETENTION))
                                                  .timestamp()),
                candidates=(Candidate(plate, 0.9),
                            *(Candidate(text, 0.01) for text in alternatives)),
                holds=holds)


class Store:
    """The reads table and the plate index, kept together as the product keeps them."""

    def __init__(self) -> None:
        self.index = FakePlateIndex()
        self.reads = FakePlateReads()
        self.deps = IndexDependencies(self.index, self.reads, RETENTION, lambda: NOW)
        self.writer = IndexedReads(self.reads, self.deps)

    def add(self, *reads: Read) -> None:
        for item in reads:
            self.writer.put_new(item)

    def purge(self, *read_ids: str) -> None:
        forget_reads([self.reads.remove(read_id) for read_id in read_ids], self.deps)

    def search(self, budget: WorkBudget = SEARCH_WORK_BUDGET, **fields: Any) -> dict[str, Any]:
        """Every page of a search: the hits in order, the pages and whether any stopped early."""
        deps = SearchDependencies(reads=self.reads, audit=FakeAuditLog(), images=NoLinks(),
                                  crops=NoLinks(), clock=lambda: NOW, index=self.index,
                                  budget=budget, timer=lambda: 0.0)
        body = search_body(**fields)
        hits, pages, early, examined = [], 0, False, 0
        while True:
            page = search_reads(body, caller(), deps)
            pages += 1
            hits.extend(page.hits)
            early = early or page.stopped_early
            examined += page.examined
            if page.cursor is None:
                return {"hits": hits, "pages": pages, "early": early, "examined": examined}
            body = {**body, "cursor": page.cursor}
            assert pages < 10_000, "paging never ended"


def window(days: int) -> dict[str, Any]:
    """The last `days` days, up to a minute from now (reads captured at NOW included), with the
    warrant any window over the extended-search limit needs (policy/long_history.py)."""
    end = NOW + timedelta(minutes=1)
    return {"from": (end - timedelta(days=days)).isoformat(), "to": end.isoformat(),
            **(WARRANT if days > DEFAULT_EXTENDED_SEARCH_DAYS else {})}


WARRANT = {"authority": {"kind": "warrant", "reference": "SW-2026-0042"}}


# ---------------------------------------------------------------------- the entries
def test_a_plate_month_has_one_suffix_and_one_deletion_entry_per_character() -> None:
    keys = plate_keys("7ABC123", "2026-11")
    suffixes = [key for key in keys if key.key.startswith("S#")]
    deletion_keys = [key for key in keys if key.key.startswith("D#")]
    assert [key.key for key in suffixes] == [
        "S#^7A#2026-11", "S#7A8#2026-11", "S#A8C#2026-11", "S#8C1#2026-11", "S#C12#2026-11",
        "S#123#2026-11", "S#23$#2026-11"]
    assert suffixes[0].entry == "8C123$#7ABC123"
    assert len(deletion_keys) == 7 and marker_key("7ABC123", "2026-11") not in keys
    assert marker_key("7ABC123", "2026-11").key == "D#7A8C123"


def test_only_alternative_readings_more_than_one_edit_away_get_an_entry() -> None:
    seen = read("r1", "7ABC123", NOW, alternatives=("7A8C123", "7ABC12", "7ABC1Z4", "ZZZ999"))
    # 7A8C123 folds to the plate; 7ABC12 and 7ABC1Z4 are one edit away (Z/2 folded)
    assert far_alternatives(seen) == {"222999"}


def test_months_and_expiry() -> None:
    assert months_between(NOW - timedelta(days=365), NOW) == [
        f"{year}-{month:02d}" for year, month in [(2026, m) for m in range(11, 0, -1)]
        + [(2025, 12), (2025, 11)]]
    assert month_of("2026-11-29T12:00:00Z") == "2026-11"
    assert entry_expiry("2026-11", 365) == int(datetime(2027, 12, 1, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(("pattern", "run"), [
    ("7AB*", "^7A8"), ("*123", "123$"), ("*ABC*", "A8C"), ("7AB?123", "^7A8"),
    ("?A?C123", "C123$"), ("7A*23", "^7A"), ("7?B?1?3", None), ("*A?C*", None)])
def test_a_partial_pattern_is_looked_up_by_its_longest_run(pattern: str,
                                                           run: str | None) -> None:
    plan = partial_plan(PlatePattern.parse(pattern))
    assert (plan.run if plan else None) == run


def test_fuzzy_keys_are_the_folded_plate_and_its_deletions() -> None:
    assert fuzzy_plan("8OB").keys == ["D#808", "D#08", "D#88", "D#80"]


# ---------------------------------------------------------------------- upkeep
def test_writes_happen_once_per_plate_month_and_new_far_alternative() -> None:
    store = Store()
    first = index_read(read("r1", "7ABC123", NOW), store.deps)
    assert (first.markers_read, first.items_written) == (1, 15)  # 14 entries + the marker
    store.reads.put_new(read("r1", "7ABC123", NOW))
    again = index_read(read("r2", "7ABC123", NOW - timedelta(hours=1)), store.deps)
    assert (again.markers_read, again.items_written) == (1, 0)
    alternative = index_read(read("r3", "7ABC123", NOW, alternatives=("ZZZ999",)), store.deps)
    assert alternative.items_written == 2  # its entry, and the marker's list
    other_month = index_read(read("r4", "7ABC123", NOW - timedelta(days=40)), store.deps)
    assert other_month.items_written == 15


def test_the_last_read_of_a_plate_month_takes_every_entry_with_it() -> None:
    store = Store()
    store.add(read("r1", "7ABC123", NOW, alternatives=("ZZZ999",)),
              read("r2", "7ABC123", NOW - timedelta(hours=2), alternatives=("XXX111",)),
              read("r3", "5XYZ999", NOW))
    before = len(store.index.items)
    store.purge("r1")
    assert len(store.index.items) == before - 1  # only r1's far alternative went
    assert store.search(mode="fuzzy", plate="ZZZ999", **window(3))["hits"] == []
    store.purge("r2")
    left = {item["plate"] for item in store.index.items.values()}
    assert left == {"5XYZ999"}


def test_entries_expire_with_their_month_unless_a_hold_covers_a_read() -> None:
    store = Store()
    old = NOW - timedelta(days=200)
    held, free = read("r1", "7ABC123", old), read("r2", "6DEF456", old)
    store.add(held, free)
    hold_reads([held], "hold-1", store.deps)
    month = month_of(held.captured_at)
    store.index.expire(entry_expiry(month, RETENTION) + 1)
    assert {item["plate"] for item in store.index.items.values()} == {"7ABC123"}
    found = store.search(mode="partial", plate="7AB*", **window(300))["hits"]
    assert [hit.read.read_id for hit in found] == ["r1"]
    release_reads([held], "hold-1", store.deps)
    assert all(item["expires_at"] is not None for item in store.index.items.values())
    store.index.expire(entry_expiry(month, RETENTION) + 1)
    assert store.index.items == {}


def test_a_release_keeps_entries_another_hold_still_needs() -> None:
    store = Store()
    first, second = read("r1", "7ABC123", NOW), read("r2", "7ABC123", NOW - timedelta(hours=1))
    store.add(first, second)
    hold_reads([first], "hold-1", store.deps)
    hold_reads([second], "hold-2", store.deps)
    release_reads([first], "hold-1", store.deps)
    assert all(item["expires_at"] is None for item in store.index.items.values())


def test_a_failed_ingest_leaves_no_read_without_its_entries() -> None:
    store = Store()

    class Failing(FakePlateIndex):
        def put(self, *args: Any, **kwargs: Any) -> int:
            raise RuntimeError("throttled")

    store.index = Failing()
    failing = IndexedReads(store.reads, IndexDependencies(store.index, store.reads, RETENTION,
                                                          lambda: NOW))
    with pytest.raises(RuntimeError):
        failing.put_new(read("r1", "7ABC123", NOW))
    assert store.reads.reads == {}


# ---------------------------------------------------------------------- searching
def test_partial_and_fuzzy_find_plates_look_alikes_and_alternative_readings_over_a_year() -> None:
    store = Store()
    store.add(read("r1", "7ABC123", NOW - timedelta(days=300)),
              read("r2", "7A8C128", NOW - timedelta(days=2)),
              read("r3", "1XYZ999", NOW - timedelta(days=100), alternatives=("7ABD123",)),
              read("r4", "5QQQ555", NOW - timedelta(days=1)))
    partial = store.search(mode="partial", plate="7AB*", **window(365))["hits"]
    assert [(hit.read.read_id, hit.reason) for hit in partial] == [
        ("r1", "plate matches pattern 7AB*")]  # 7A8C128 folds alike but reads 8, not B
    fuzzy = store.search(mode="fuzzy", plate="7ABD123", **window(365))["hits"]
    assert [(hit.read.read_id, hit.reason) for hit in fuzzy] == [
        ("r3", "alternative reading 7ABD123"),
        ("r1", "one character different")]


def test_a_search_examines_what_matches_not_what_the_window_holds() -> None:
    store = Store()
    for index in range(2_000):
        store.add(read(f"n{index}", f"{index % 9 + 1}QQ{index:04d}",
                       NOW - timedelta(hours=index % 2000)))
    store.add(*(read(f"m{index}", "7ABC123", NOW - timedelta(days=index * 30))
                for index in range(12)))
    for fields in ({"mode": "partial", "plate": "7ABC*"},
                   {"mode": "fuzzy", "plate": "7A8C12"}):
        found = store.search(page_size=200, **fields, **window(365))
        assert len(found["hits"]) == 12
        assert found["examined"] <= 2 * 12 + 12  # an index entry and a read per plate-month


def test_the_budget_ends_a_request_early_and_the_cursor_continues() -> None:
    store = Store()
    store.add(*(read(f"r{index}", f"7AB{index:04d}", NOW - timedelta(hours=index))
                for index in range(60)))
    tight = WorkBudget(items=10, requests=MERGED_PLATES + 30, seconds=60)
    paged = store.search(budget=tight, mode="partial", plate="7AB*", page_size=50,
                         **window(30))
    assert paged["early"] and paged["pages"] > 2
    assert sorted(hit.read.read_id for hit in paged["hits"]) == sorted(
        f"r{index}" for index in range(60))


def test_the_budget_leaves_room_for_a_group_of_plates() -> None:
    assert SEARCH_WORK_BUDGET.requests > 2 * MERGED_PLATES + 20


PLATE_CHARS = "AB8O0D1IZ2"


@st.composite
def stored_reads(draw: Any) -> list[Read]:
    plates = draw(st.lists(st.text(PLATE_CHARS, min_size=3, max_size=7), min_size=1,
                           max_size=8, unique=True))
    reads = []
    for index in range(draw(st.integers(1, 25))):
        plate = draw(st.sampled_from(plates))
        alternatives = tuple(draw(st.lists(st.text(PLATE_CHARS, min_size=3, max_size=6),
                                           max_size=2)))
        hours = draw(st.integers(0, 24 * 120))
        reads.append(read(f"r{index:03d}", plate, NOW - timedelta(hours=hours), alternatives))
    return reads


@st.composite
def search_fields(draw: Any, known: list[str]) -> dict[str, Any]:
    """A partial or fuzzy search, mostly around a plate or reading that is stored."""
    base = draw(st.sampled_from(known) | st.text(PLATE_CHARS, min_size=3, max_size=6))
    if draw(st.booleans()):  # fuzzy: the text itself, or one character changed
        if draw(st.booleans()):
            at = draw(st.integers(0, len(base) - 1))
            base = base[:at] + draw(st.sampled_from(PLATE_CHARS + "X")) + base[at + 1:]
        fields = {"mode": "fuzzy", "plate": base}
    else:
        chars = [draw(st.sampled_from([char, char, char, "?"])) for char in base]
        if draw(st.booleans()) or "?" not in chars:
            chars.insert(draw(st.integers(0, len(chars))), "*")
        fields = {"mode": "partial", "plate": "".join(chars)}
    days = draw(st.sampled_from([7, 31, 125, 365]) | st.integers(1, 365))
    return {**fields, **window(days), "page_size": draw(st.integers(1, 6))}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reads=stored_reads(), data=st.data(), items=st.integers(1, 40))
def test_index_search_finds_exactly_what_reading_the_whole_window_finds(
        reads: list[Read], data: st.DataObject, items: int) -> None:
    known = sorted({candidate.text for item in reads for candidate in item.candidates})
    fields = data.draw(search_fields(known))
    store = Store()
    store.add(*reads)
    try:
        query = build_query(fields, NOW)
    except Exception:  # noqa: BLE001 - a refused pattern has nothing to compare
        return
    expected = {item.read_id for item in reads if in_window(item, query.start, query.end)
                and match_reason(query, item) is not None}
    found = store.search(budget=WorkBudget(items, MERGED_PLATES + 40, 60.0), **fields)
    ids = [hit.read.read_id for hit in found["hits"]]
    assert len(ids) == len(set(ids)), "a read came twice"
    assert set(ids) == expected
    unbounded = store.search(budget=WorkBudget(10**6, 10**6, 60.0), **{**fields,
                                                                       "page_size": 200})
    keys = [hit.read.read_key for hit in unbounded["hits"]]
    assert keys == sorted(keys, reverse=True)  # few plates: newest first throughout
