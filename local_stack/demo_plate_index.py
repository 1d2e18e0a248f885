"""Demo steps for the plate index (`demo: search-year`, `demo: index-purged`): partial and fuzzy
searches over a whole year examine what matches, an alternative reading is found by fuzzy
search, and after the purge the index holds entries only for the plates of held reads."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3

from chalicelib.adapters.reads_table import from_item
from chalicelib.domain.plate_index import far_alternatives
from chalicelib.domain.plates import fold_plate
from local_stack.api_client import WARRANT

if TYPE_CHECKING:
    from local_stack.demo import Demo

CASE = "2026-000901"


class IndexStepFailed(AssertionError):
    """The plate index did not do what the step shows."""


def search_year(demo: Demo) -> str:
    """A year-long partial search and a fuzzy search on an alternative reading, as an officer."""
    officer = demo.clients["officer.demo"]
    reads = [from_item(item) for item in _scan(demo.env["PLATEKEEPER_READS_TABLE"])]
    if not reads:
        raise IndexStepFailed("no reads to search")
    target = max(reads, key=lambda read: len(read.plate))
    now = demo.stack.clock() + timedelta(minutes=5)
    year = {"from": (now - timedelta(days=365)).isoformat(), "to": now.isoformat(),
            "authority": WARRANT}
    pattern = target.plate[:3] + "*"
    partial = officer.search(mode="partial", plate=pattern, case_number=CASE,
                             purpose="crime_scene_canvass", **year).json()
    if not any(row["read_id"] == target.read_id for row in partial.get("results", [])):
        raise IndexStepFailed(f"partial {pattern} over a year did not find {target.plate}")
    found = f"partial {pattern} over 365 days: {len(partial['results'])} reads, " \
            f"{partial['examined']} items examined ({partial['work']['index_items']} in the index)"
    with_far = [read for read in reads if far_alternatives(read)]
    if not with_far:
        return found + "; no read had an alternative reading more than one edit away"
    read = with_far[0]
    far = far_alternatives(read)
    reading = next(candidate.text for candidate in read.candidates[1:]
                   if fold_plate(candidate.text) in far)
    fuzzy = officer.search(mode="fuzzy", plate=reading, case_number=CASE,
                           purpose="criminal_investigation", **year).json()
    hits = [row for row in fuzzy.get("results", []) if row["read_id"] == read.read_id]
    if not hits:
        raise IndexStepFailed(f"fuzzy {reading} did not find the read of {read.plate}")
    return (f"{found}; fuzzy {reading} found {read.plate} ({hits[0]['matched_because']}), "
            f"{fuzzy['examined']} items examined")


def index_purged(demo: Demo) -> str:
    """After the purge step's year: only the held reads' plates are left in the index."""
    held = {from_item(item).plate for item in _scan(demo.env["PLATEKEEPER_READS_TABLE"])}
    indexed = {item["plate"]["S"] for item in _scan(demo.env["PLATEKEEPER_PLATE_INDEX_TABLE"])}
    if indexed - held:
        raise IndexStepFailed(f"{len(indexed - held)} purged plates still in the index")
    if held - indexed:
        raise IndexStepFailed(f"{len(held - indexed)} held plates lost from the index")
    return (f"the plate index holds entries for {len(indexed)} plates, exactly those of the "
            f"{len(held)} held reads' plates; every purged read's entries are gone")


def _scan(table: str) -> list[dict[str, Any]]:
    dynamodb: Any = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return items
