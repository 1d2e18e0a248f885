"""make bench-search: load reads and their plate index into the local stack, then time searches.

Loads N reads (default 100,000) over 30 days, 20 cameras and N/5 distinct plates (so each plate
has about five reads whatever N is, and a search's matches stay the same as N grows) straight
into the reads table with BatchWriteItem, and their plate index entries the same way (the entries
the ingest would have written, computed by the same code). Each read carries ten readings like
the recognizer's: the plate, look-alike and one-edit variants, and 0-7 readings more than one
edit away (as often as the recognizer gave them on the 81 openalpr US frames), drawn from a few
per plate so that they recur as a camera's misreadings do.

Then it runs exact, partial (4 known characters + *), fuzzy (one character changed) and
alternative-reading searches over 7, 31 and 365-day windows through the HTTP API, as an officer
would (JWT and account checks, the audit record, the query), and prints p50/p95 latency and
items examined per search and per result, the index's write amplification and item sizes, and
one summary line.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import string
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
import requests
from botocore.config import Config

from bench.common import dynamodb_item_bytes, percentile, timed
from chalicelib.adapters.plate_index_table import entry_item, marker_item
from chalicelib.adapters.reads_table import to_item
from chalicelib.domain.plate_index import (
    alternative_key,
    entry_expiry,
    far_alternatives,
    marker_key,
    month_of,
    plate_keys,
)
from chalicelib.domain.plates import edit_distance_at_most, fold_plate
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from chalicelib.policy.long_history import DEFAULT_EXTENDED_SEARCH_DAYS
from chalicelib.services.index_migration import plate_months
from local_stack.api_client import WARRANT, ApiClient
from local_stack.seed import seed_users
from local_stack.stack import RunningStack

DAYS = 30
CAMERAS = 20
READS_PER_PLATE = 5
WINDOWS = (7, 31, 365)
CANDIDATES = 10
# Far readings (more than one edit from the plate, look-alikes folded) per read, as the
# recognizer gave them on the 81 openalpr US dev frames (166 reads): count -> reads.
FAR_READINGS_SEEN = {0: 39, 1: 24, 2: 35, 3: 29, 4: 21, 5: 11, 6: 4, 7: 3}
FAR_READINGS_PER_PLATE = 8
LOOK_ALIKES = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5",
               "2": "Z", "Z": "2", "D": "0"}
RETENTION_DAYS = 365


def plate_text(rng: random.Random) -> str:
    """California-like 1ABC234 plates."""
    return (rng.choice("123456789") + "".join(rng.choices(string.ascii_uppercase, k=3))
            + "".join(rng.choices(string.digits, k=3)))


def far_readings(plate: str) -> list[str]:
    """A plate's recurring misreadings more than one edit away (two characters changed, or
    one dropped and one changed), the same on every run."""
    rng = random.Random(plate)
    readings: list[str] = []
    alphabet = string.ascii_uppercase + string.digits
    while len(readings) < FAR_READINGS_PER_PLATE:
        chars = list(plate)
        if rng.random() < 0.3:
            del chars[rng.choice([0, len(chars) - 1])]
        for _ in range(2):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        text = "".join(chars)
        if not edit_distance_at_most(fold_plate(text), fold_plate(plate), 1) \
                and text not in readings:
            readings.append(text)
    return readings


def near_readings(plate: str, rng: random.Random, count: int) -> list[str]:
    """Look-alike swaps and one-edit variants (no index entry of their own)."""
    readings: list[str] = []
    for _ in range(200):
        if len(readings) == count:
            break
        chars = list(plate)
        at = rng.randrange(len(chars))
        kind = rng.random()
        if kind < 0.4 and chars[at] in LOOK_ALIKES:
            chars[at] = LOOK_ALIKES[chars[at]]
        elif kind < 0.7:
            del chars[rng.choice([0, len(chars) - 1])]
        else:
            chars[at] = rng.choice(string.ascii_uppercase + string.digits)
        text = "".join(chars)
        if text != plate and text not in readings:
            readings.append(text)
    return readings


def make_reads(count: int, plates: int, now: datetime, rng: random.Random) -> Iterator[Read]:
    pool = [plate_text(rng) for _ in range(plates)]
    weights = list(FAR_READINGS_SEEN.values())
    for index in range(count):
        captured = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        plate = rng.choice(pool)
        far_count = rng.choices(list(FAR_READINGS_SEEN), weights)[0]
        recurring = far_readings(plate)
        far: list[str] = []
        while len(far) < far_count:  # the first misreadings recur most (Zipf-like)
            text = recurring[min(int(rng.paretovariate(1.2)) - 1, len(recurring) - 1)]
            if text not in far:
                far.append(text)
        near = near_readings(plate, rng, CANDIDATES - 1 - len(far))
        candidates = (Candidate(plate, 0.9), *(Candidate(text, 0.01) for text in far + near))
        yield Read(read_id=read_id_for("bench", None, index), plate=plate,
                   captured_at=format_time(captured), camera_id=f"cam-{rng.randrange(CAMERAS)}",
                   confidence=0.9, image_key=f"cameras/bench/{index}.jpg",
                   expires_at=int((captured + timedelta(days=RETENTION_DAYS)).timestamp()),
                   candidates=candidates, lat=37.35, lon=-121.95)


@dataclass
class Loaded:
    """What was loaded, with the figures the cost document needs."""

    reads: int = 0
    read_bytes: list[int] = field(default_factory=list)
    index_items: int = 0
    index_bytes: list[int] = field(default_factory=list)
    ingest_index_writes: int = 0  # what the ingest path would have written, in arrival order
    purge_index_writes: int = 0  # what the purge of every read would delete or update
    purge_index_lookups: int = 0
    plate_months: int = 0
    far_readings: int = 0
    sample: list[Read] = field(default_factory=list)


class IngestModel:
    """Counts the plate index writes `services.plate_index.index_read` makes, read by read in
    arrival order (tests/unit/test_bench_model.py checks the two agree)."""

    def __init__(self) -> None:
        self.indexed: dict[tuple[str, str], set[str]] = {}
        self.writes = 0

    def add(self, read: Read) -> None:
        key = (read.plate, month_of(read.captured_at))
        alternatives = far_alternatives(read)
        known = self.indexed.get(key)
        if known is None:
            self.indexed[key] = set(alternatives)
            self.writes += len(plate_keys(*key)) + len(alternatives) + 1
        elif not alternatives <= known:
            self.writes += len(alternatives - known) + 1
            known |= alternatives


def purge_writes(reads: list[Read]) -> tuple[int, int]:
    """(index items deleted or updated, index reads) when these reads expire in capture order,
    as `services.plate_index.forget_reads` does it (tests/unit/test_bench_model.py checks)."""
    writes = lookups = 0
    for (plate, month), group in plate_months(reads).items():
        group = sorted(group, key=lambda read: read.captured_at)
        listed = set().union(*(far_alternatives(read) for read in group))
        for position, read in enumerate(group):
            remaining = group[position + 1:]
            lookups += 1  # the plate-month's remaining reads, one consistent query
            if not remaining:
                lookups += 1  # the marker
                writes += len(plate_keys(plate, month)) + len(listed) + 1
                continue
            orphans = far_alternatives(read) - set().union(
                *(far_alternatives(other) for other in remaining))
            if orphans:
                writes += len(orphans) + 1  # their entries, and the marker's list
                listed -= orphans
    return writes, lookups


def load(stack: RunningStack, count: int, plates: int, rng: random.Random,
         threads: int) -> Loaded:
    env = stack.environment
    reads_table, index_table = env["PLATEKEEPER_READS_TABLE"], env["PLATEKEEPER_PLATE_INDEX_TABLE"]
    loaded = Loaded()
    model = IngestModel()
    stored: list[Read] = []
    for read in sorted(make_reads(count, plates, stack.clock(), rng),
                       key=lambda item: item.captured_at):
        model.add(read)
        stored.append(read)
    loaded.ingest_index_writes = model.writes
    loaded.purge_index_writes, loaded.purge_index_lookups = purge_writes(stored)
    loaded.sample = rng.sample(stored, min(len(stored), 2_000))

    def read_items() -> Iterator[dict[str, Any]]:
        for read in stored:
            item = to_item(read)
            if len(loaded.read_bytes) < 5_000:
                loaded.read_bytes.append(dynamodb_item_bytes(item))
            loaded.reads += 1
            yield item

    def index_items() -> Iterator[dict[str, Any]]:
        for (plate, month), group in plate_months(stored).items():
            loaded.plate_months += 1
            alternatives = sorted(set().union(*(far_alternatives(read) for read in group)))
            loaded.far_readings += len(alternatives)
            expires = entry_expiry(month, RETENTION_DAYS)
            items = [entry_item(key, plate, expires) for key in [
                *plate_keys(plate, month),
                *(alternative_key(text, plate, month) for text in alternatives)]]
            items.append(marker_item(marker_key(plate, month), plate, alternatives, expires))
            for item in items:
                if len(loaded.index_bytes) < 20_000:
                    loaded.index_bytes.append(dynamodb_item_bytes(item))
                loaded.index_items += 1
                yield item

    _batch_write(reads_table, read_items(), threads)
    _batch_write(index_table, index_items(), threads)
    return loaded


def _batch_write(table: str, items: Iterator[dict[str, Any]], threads: int) -> None:
    def write(batch: list[dict[str, Any]]) -> None:
        client: Any = boto3.client("dynamodb")
        pending = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})

    def batches() -> Iterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append(item)
            if len(batch) == 25:
                yield batch
                batch = []
        if batch:
            yield batch

    with ThreadPoolExecutor(max_workers=threads) as executor:
        for _ in executor.map(write, batches()):
            pass


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    examined: int = 0
    index_examined: int = 0
    requests: int = 0
    results: int = 0
    stopped_early: int = 0

    @property
    def per_result(self) -> float:
        return self.examined / self.results if self.results else float("nan")


def search_kinds(sample: list[Read], rng: random.Random) -> dict[str, Callable[[], dict[str, Any]]]:
    with_far = [read for read in sample if far_alternatives(read)]

    def exact() -> dict[str, Any]:
        return {"plate": rng.choice(sample).plate}

    def partial() -> dict[str, Any]:
        return {"mode": "partial", "plate": rng.choice(sample).plate[:4] + "*"}

    def fuzzy() -> dict[str, Any]:
        text = rng.choice(sample).plate
        return {"mode": "fuzzy", "plate": text[:-1] + ("0" if text[-1] != "0" else "1")}

    def alternative() -> dict[str, Any]:
        read = rng.choice(with_far)
        return {"mode": "fuzzy", "plate": rng.choice(read.candidates[1:1 + len(
            far_alternatives(read))]).text}

    return {"exact": exact, "partial (4 known + *)": partial,
            "fuzzy (1 character changed)": fuzzy, "fuzzy (an alternative reading)": alternative}


def warm_up(stack: RunningStack, officer: ApiClient, read: Read, window: dict[str, Any]) -> None:
    """moto sorts a whole table on the first query after writes (DynamoDB does not), which the
    timings must not include: one query per loaded table with a long timeout and no retries
    (a retried query would start a second sort), then one search of each kind."""
    client: Any = boto3.client("dynamodb", config=Config(read_timeout=3600,
                                                         retries={"max_attempts": 1}))
    env = stack.environment
    client.query(TableName=env["PLATEKEEPER_READS_TABLE"], Limit=1,
                 KeyConditionExpression="plate = :plate",
                 ExpressionAttributeValues={":plate": {"S": read.plate}})
    client.query(TableName=env["PLATEKEEPER_PLATE_INDEX_TABLE"], Limit=1,
                 KeyConditionExpression="#key = :key", ExpressionAttributeNames={"#key": "key"},
                 ExpressionAttributeValues={":key": {"S": marker_key(read.plate, "0").key}})
    for body in ({"plate": read.plate}, {"mode": "partial", "plate": read.plate[:4] + "*"},
                 {"mode": "fuzzy", "plate": read.plate}):
        for _ in range(10):
            try:
                if officer.search(**body, **window).json()["work"]["stopped_early"] is False:
                    break
            except requests.Timeout:
                continue
        else:
            raise SystemExit("bench-search: the local stack did not answer a search in 10 tries")


def run(count: int, plates: int, searches: int, timeout: float, seed: int,
        threads: int) -> None:
    rng = random.Random(seed)
    print(f"bench-search: load average at start {_load()}")
    with RunningStack(pump_in_background=False) as stack:
        env = stack.environment
        users = {user.username: user for user in seed_users(
            env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
            stack.clock().date())}
        officer = ApiClient(stack.api_url, timeout=timeout).login(
            "officer.demo", users["officer.demo"].password)
        loaded, load_ms = timed(lambda: load(stack, count, plates, rng, threads))
        print(f"bench-search: loaded {loaded.reads} reads ({DAYS} days, {CAMERAS} cameras, "
              f"{plates} distinct plates) and {loaded.index_items} plate index items in "
              f"{load_ms / 1000:.0f} s; load average {_load()}")
        _print_sizes(loaded)
        now = stack.clock()
        _, warm_up_ms = timed(lambda: warm_up(stack, officer, loaded.sample[0], {
            "from": (now - timedelta(days=364)).isoformat(), "to": now.isoformat(),
            "authority": WARRANT}))
        print(f"bench-search: first search after loading (moto orders the tables): "
              f"{warm_up_ms / 1000:.1f} s, not counted")
        figures = _search_all(officer, stack, loaded, searches, rng)
        print(f"bench-search: load average at the end {_load()}")
    _print_summary(count, figures)


def _search_all(officer: ApiClient, stack: RunningStack, loaded: Loaded, searches: int,
                rng: random.Random) -> dict[tuple[str, int], Figures]:
    figures: dict[tuple[str, int], Figures] = {}
    print("\n| search | window (days) | searches | p50 ms | p95 ms | items examined per "
          "search (index + reads) | DynamoDB requests per search | results per search | "
          "examined per result | stopped early |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, body in search_kinds(loaded.sample, rng).items():
        for days in WINDOWS:
            now = stack.clock()
            window = {"from": (now - timedelta(days=days) + timedelta(minutes=1)).isoformat(),
                      "to": (now + timedelta(minutes=1)).isoformat(),
                      **({"authority": WARRANT} if days > DEFAULT_EXTENDED_SEARCH_DAYS else {})}
            found = figures[(name, days)] = Figures()
            for _ in range(searches):
                fields = {**body(), "page_size": 200, **window}
                response, elapsed = timed(lambda f=fields: officer.search(**f))  # type: ignore[misc]
                if response.status_code != 200:
                    raise SystemExit(f"bench-search: a {name} search failed: "
                                     f"{response.status_code} {response.text[:200]}")
                page = response.json()
                found.latencies.append(elapsed)
                found.examined += page["examined"]
                found.index_examined += page["work"]["index_items"]
                found.requests += page["work"]["requests"]
                found.results += len(page["results"])
                found.stopped_early += bool(page["work"]["stopped_early"])
            print(f"| {name} | {days} | "
                  f"{searches} | {statistics.median(found.latencies):.0f} | "
                  f"{percentile(found.latencies, 0.95):.0f} | "
                  f"{found.examined / searches:.1f} ({found.index_examined / searches:.1f} + "
                  f"{(found.examined - found.index_examined) / searches:.1f}) | "
                  f"{found.requests / searches:.1f} | {found.results / searches:.1f} | "
                  f"{found.per_result:.1f} | {found.stopped_early} |")
    return figures


def _print_sizes(loaded: Loaded) -> None:
    read_size = statistics.mean(loaded.read_bytes)
    index_size = statistics.mean(loaded.index_bytes)
    read_wru = 4 * _wru(read_size)  # the table and its three GSIs (projection ALL)
    index_writes = loaded.ingest_index_writes / loaded.reads
    print(f"bench-search: reads {read_size:.0f} bytes each on average ({_wru(read_size)} WRU per "
          f"write, x4 with the three GSIs); index items {index_size:.0f} bytes on average "
          f"({_wru(index_size)} WRU per write)")
    print(f"bench-search: {loaded.plate_months} plate-months "
          f"({loaded.reads / loaded.plate_months:.2f} reads each), {loaded.far_readings} far "
          f"alternative readings indexed ({loaded.far_readings / loaded.plate_months:.2f} per "
          "plate-month)")
    print(f"bench-search: plate index items stored per read "
          f"{loaded.index_items / loaded.reads:.2f}; index writes the ingest makes per read "
          f"{index_writes:.2f} (+1 consistent marker read); write amplification in items "
          f"{1 + index_writes:.2f}x, in WRU {(read_wru + index_writes) / read_wru:.2f}x "
          f"(a read is {read_wru} WRU with its GSIs)")
    print(f"bench-search: purging them takes per read "
          f"{loaded.purge_index_writes / loaded.reads:.2f} index deletes or updates and "
          f"{loaded.purge_index_lookups / loaded.reads:.2f} consistent reads (TTL deletes of "
          "the reads themselves are free)")


def _wru(size: float) -> int:
    return max(1, math.ceil(size / 1024))


def _print_summary(count: int, figures: dict[tuple[str, int], Figures]) -> None:
    def p95(prefix: str) -> float:
        return max(percentile(found.latencies, 0.95) for (name, _), found in figures.items()
                   if name.startswith(prefix))

    per_result = max(found.per_result for found in figures.values() if found.results)
    print(f"\nbench-search: reads={count} exact_p95_ms={p95('exact'):.0f} "
          f"partial_p95_ms={p95('partial'):.0f} fuzzy_p95_ms={p95('fuzzy'):.0f} "
          f"examined_per_result_max={per_result:.1f}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--plates", type=int, default=None,
                        help=f"distinct plates (default reads / {READS_PER_PLATE})")
    parser.add_argument("--searches", type=int, default=20,
                        help="searches of each kind and window")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for one search's answer")
    parser.add_argument("--threads", type=int, default=4, help="loading threads")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.monotonic()
    run(args.reads, args.plates or max(1, args.reads // READS_PER_PLATE), args.searches,
        args.timeout, args.seed, args.threads)
    print(f"bench-search: {time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    main()
