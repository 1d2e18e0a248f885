"""How a search asks DynamoDB for reads: an exact search by the results page on its plate's key;
partial and fuzzy searches only on the keys of the plates the plate index names, never on a
day or camera-day partition of the window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.domain.reads import Read
from chalicelib.services.plate_index import IndexDependencies, index_read
from chalicelib.services.search import SearchDependencies, search_reads
from local_stack.api_client import search_body
from tests.unit.fakes import FakeAuditLog, FakePlateIndex, FakePlateReads
from tests.unit.test_holds import caller, make_read

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class RecordingReads(FakePlateReads):
    """Records which partitions were asked for, with which page sizes."""

    def __init__(self, reads: list[Read]) -> None:
        super().__init__()
        for read in reads:
            self.put_new(read)
        self.requests: list[tuple[str | None, str, int | None, int | None]] = []

    def newest_first(self, partition: Partition, low: str, high: str, stats: QueryStats,
                     page_items: int | None = 200,
                     first_page_items: int | None = None) -> Iterator[Read]:
        self.requests.append((partition.index, partition.key_value, page_items,
                              first_page_items))
        return super().newest_first(partition, low, high, stats, page_items, first_page_items)


class NoLinks:
    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str:
        raise AssertionError("a search hands out no image links")


def _search(body: dict[str, Any]) -> RecordingReads:
    stored = [make_read(f"r{index}", NOW - timedelta(minutes=index)) for index in range(5)]
    reads = RecordingReads(stored)
    index = FakePlateIndex()
    for read in stored:
        index_read(read, IndexDependencies(index, reads, 365, lambda: NOW))
    deps = SearchDependencies(reads=reads, audit=FakeAuditLog(), images=NoLinks(),
                              crops=NoLinks(), clock=lambda: NOW, index=index)
    search_reads(search_body(**body), caller(), deps)
    return reads


def test_an_exact_search_asks_for_one_results_page_per_request() -> None:
    reads = _search({"plate": "7ABC123", "page_size": 25})
    assert reads.requests == [(None, "7ABC123", 25, None)]


def test_partial_and_fuzzy_searches_read_only_the_matching_plates_keys() -> None:
    window = {"from": (NOW - timedelta(days=300)).isoformat(), "to": NOW.isoformat(),
              "authority": {"kind": "warrant", "reference": "SW-2026-0042"}}
    for mode, plate in (("partial", "7AB*"), ("fuzzy", "7A8C123"), ("partial", "9ZZ*")):
        reads = _search({"mode": mode, "plate": plate, "page_size": 25, **window})
        expected = [] if plate.startswith("9") else [(None, "7ABC123", 25, 25)]
        assert reads.requests == expected
