"""make bench-search: load reads into the local stack, then time searches through the API.

Loads N reads (default 100,000) over 30 days and 20 cameras straight into the reads table,
then runs exact, partial and fuzzy searches over a 7-day window through the HTTP API (so the
figures include sign-in checks and the audit record) and prints p50/p95 latency and how many
items DynamoDB examined per item returned.
"""

from __future__ import annotations

import argparse
import random
import string
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import boto3
import requests

from bench.common import summary_row, timed
from chalicelib.adapters.reads_table import to_item
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from local_stack.api_client import ApiClient
from local_stack.seed import seed_users
from local_stack.stack import RunningStack

DAYS = 30
WINDOW_DAYS = 7
CAMERAS = 20
PLATE_POOL = 20_000


def plate(rng: random.Random) -> str:
    """California-like 1ABC234 plates."""
    return (rng.choice("123456789") + "".join(rng.choices(string.ascii_uppercase, k=3))
            + "".join(rng.choices(string.digits, k=3)))


def load_reads(stack: RunningStack, count: int, rng: random.Random) -> tuple[list[str], int]:
    """Write `count` reads; returns the plate pool and how many reads fall in the last 7 days."""
    pool = [plate(rng) for _ in range(PLATE_POOL)]
    now = stack.clock()
    table = stack.environment["PLATEKEEPER_READS_TABLE"]
    items = []
    in_window = 0
    for index in range(count):
        captured = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        in_window += captured >= now - timedelta(days=WINDOW_DAYS)
        text = rng.choice(pool)
        read = Read(read_id=read_id_for("bench", None, index), plate=text,
                    captured_at=format_time(captured), camera_id=f"cam-{rng.randrange(CAMERAS)}",
                    confidence=0.9, image_key=f"cameras/bench/{index}.jpg",
                    expires_at=int((captured + timedelta(days=365)).timestamp()),
                    candidates=(Candidate(text, 0.9),), lat=37.35, lon=-121.95)
        items.append({"PutRequest": {"Item": to_item(read)}})
    batches = [items[start:start + 25] for start in range(0, len(items), 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        client: Any = boto3.client("dynamodb")
        pending = {table: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})

    with ThreadPoolExecutor(max_workers=4) as pool_executor:
        list(pool_executor.map(write, batches))
    return pool, in_window


def warm_up(officer: ApiClient, text: str) -> None:
    """Search until one answers within the client's timeout (the first may not, on moto)."""
    for _ in range(10):
        try:
            officer.search(plate=text)
            return
        except requests.Timeout:
            continue
    raise SystemExit("bench-search: the local stack did not answer a search in 10 tries")


def run(count: int, searches: int, broad_searches: int, timeout: float, seed: int) -> None:
    rng = random.Random(seed)
    with RunningStack(pump_in_background=False) as stack:
        env = stack.environment
        users = {user.username: user for user in seed_users(
            env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
            stack.clock().date())}
        officer = ApiClient(stack.api_url, timeout=timeout).login(
            "officer.demo", users["officer.demo"].password)
        ((pool, in_window), load_ms) = timed(lambda: load_reads(stack, count, rng))
        print(f"bench-search: loaded {count} reads in {load_ms / 1000:.1f} s "
              f"({DAYS} days, {CAMERAS} cameras, {PLATE_POOL} distinct plates; "
              f"{in_window} in the last {WINDOW_DAYS} days)")
        # moto (not DynamoDB) sorts a table once after writes; keep that out of the timings.
        _, warm_up_ms = timed(lambda: warm_up(officer, pool[0]))
        print(f"bench-search: first search after loading (moto orders the table): "
              f"{warm_up_ms / 1000:.1f} s, not counted")
        now = stack.clock()
        window = {"from": (now - timedelta(days=WINDOW_DAYS)).isoformat(),
                  "to": (now + timedelta(minutes=1)).isoformat()}
        kinds = {
            "exact": lambda text: {"plate": text, **window},
            "partial (4 known + *)": lambda text: {"mode": "partial", "plate": text[:4] + "*",
                                                   **window},
            "fuzzy (O/0 I/1 ... + 1 edit)": lambda text: {
                "mode": "fuzzy", "plate": text[:-1] + ("0" if text[-1] != "0" else "1"),
                **window},
        }
        print("\n| search over a 7-day window | searches | p50 ms | p95 ms | "
              "examined per returned |")
        print("|---|---|---|---|---|")
        for name, body in kinds.items():
            latencies, examined, returned = [], 0, 0
            for _ in range(searches if name == "exact" else broad_searches):
                response, elapsed = timed(lambda body=body: officer.search(  # type: ignore[misc]
                    page_size=200, **body(rng.choice(pool))))
                if response.status_code != 200:
                    raise SystemExit(f"bench-search: a {name} search failed: "
                                     f"{response.status_code} {response.text[:200]}")
                page = response.json()
                latencies.append(elapsed)
                examined += page["examined"]
                returned += len(page["results"])
            ratio = examined / returned if returned else float("inf")
            print(summary_row(name, latencies,
                              f"{ratio:.1f} ({examined} examined, {returned} returned)"))
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=20, help="exact searches")
    # Each partial or fuzzy search tests every read of its window: on moto that is about a
    # millisecond per read, so they are fewer and may take minutes each.
    parser.add_argument("--broad-searches", type=int, default=5,
                        help="partial searches, and as many fuzzy ones")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for one search's answer")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run(args.reads, args.searches, args.broad_searches, args.timeout, args.seed)


if __name__ == "__main__":
    main()
