"""bench-search reports the ingest's plate index writes from a model; it must count what
`index_read` writes, read by read, and its reads must look like the recognizer's."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bench.common import dynamodb_item_bytes
from bench.search import CANDIDATES, IngestModel, make_reads, purge_writes
from chalicelib.domain.plate_index import far_alternatives
from chalicelib.services.plate_index import IndexDependencies, forget_reads, index_read
from tests.unit.fakes import FakePlateIndex, FakePlateReads

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_the_benchmark_counts_the_index_writes_the_ingest_makes() -> None:
    reads = sorted(make_reads(400, 60, NOW, random.Random(3)), key=lambda read: read.captured_at)
    index = FakePlateIndex()
    deps = IndexDependencies(index, FakePlateReads(), 365, lambda: NOW)
    model = IngestModel()
    written = 0
    for read in reads:
        written += index_read(read, deps).items_written
        model.add(read)
    assert model.writes == written == index.writes


def test_benchmark_reads_carry_ten_readings_some_far_from_the_plate() -> None:
    reads = list(make_reads(500, 100, NOW, random.Random(5)))
    assert all(len(read.candidates) == CANDIDATES for read in reads)
    far = sum(len(far_alternatives(read)) for read in reads) / len(reads)
    assert 1.5 < far < 2.5  # the recognizer gave 2.2 on the openalpr US frames


def test_item_sizes_follow_the_dynamodb_rules() -> None:
    assert dynamodb_item_bytes({"id": {"S": "abc"}, "n": {"N": "12345"}}) == 2 + 3 + 1 + 4
    assert dynamodb_item_bytes({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}) == 1 + 3 + 3 + 3


def test_the_benchmark_counts_what_the_purge_deletes() -> None:
    reads = sorted(make_reads(300, 40, NOW, random.Random(4)), key=lambda read: read.captured_at)
    stored = FakePlateReads()
    index = FakePlateIndex()
    deps = IndexDependencies(index, stored, 365, lambda: NOW)
    for read in reads:
        index_read(read, deps)
        stored.put_new(read)
    expected_writes, expected_lookups = purge_writes(reads)
    writes = 0
    for read in reads:
        work = forget_reads([stored.remove(read.read_id)], deps)
        writes += work.items_deleted + work.items_written
    assert index.items == {}
    assert writes == expected_writes
    assert expected_lookups == len(reads) + len({(read.plate, read.captured_at[:7])
                                                 for read in reads})
