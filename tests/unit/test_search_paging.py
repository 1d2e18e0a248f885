"""How a search asks DynamoDB for pages: a key query by the results page, a window scan by 1 MB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.domain.reads import Read
from chalicelib.services.search import SearchDependencies, search_reads
from tests.unit.fakes import FakeAuditLog
from tests.unit.test_holds import caller, make_read

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class RecordingReads:
    """Every read matches; records which partitions were asked for, with which page size."""

    def __init__(self, reads: list[Read]) -> None:
        self.reads = sorted(reads, key=lambda read: read.read_key, reverse=True)
        self.requests: list[tuple[str, int | None]] = []

    def newest_first(self, partition: Partition, low: str, high: str, stats: QueryStats,
                     page_items: int | None = 200) -> Iterator[Read]:
        self.requests.append((partition.key_value, page_items))
        stats.examined += len(self.reads)
        return iter([read for read in self.reads if low <= read.read_key <= high])

    def get(self, read_id: str) -> Read | None:
        return None


class NoLinks:
    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str:
        raise AssertionError("a search hands out no image links")


def _search(body: dict[str, Any]) -> RecordingReads:
    reads = RecordingReads([make_read(f"r{index}", NOW - timedelta(minutes=index))
                            for index in range(5)])
    deps = SearchDependencies(reads=reads, audit=FakeAuditLog(), images=NoLinks(),
                              crops=NoLinks(), clock=lambda: NOW)
    search_reads({"purpose": "stolen_vehicle", "case_number": "2026-000001", **body},
                 caller(), deps)
    return reads


def test_an_exact_search_asks_for_one_results_page_per_request() -> None:
    reads = _search({"plate": "7ABC123", "page_size": 25})
    assert reads.requests == [("7ABC123", 25)]


def test_partial_and_fuzzy_searches_read_their_window_in_full_pages() -> None:
    window = {"from": (NOW - timedelta(days=1)).isoformat(), "to": NOW.isoformat()}
    for mode, plate in (("partial", "7AB*"), ("fuzzy", "7A8C123")):
        reads = _search({"mode": mode, "plate": plate, "page_size": 25, **window})
        assert reads.requests == [("2026-11-29", None), ("2026-11-28", None)]
