"""make bench-load: concurrent cameras and officers against the whole local stack.

Several camera clients (threads) upload N synthetic frames (default 1,000) through the real path
(POST /uploads -> presigned POST -> S3 -> SQS -> event pump -> ingest: validate, recognize,
write reads) while officers search through the API. Prints upload and ingest throughput,
upload and search latencies (p50/p95), and compares what was uploaded with what the images and
reads tables hold: frames lost and reads duplicated must both be 0, or the command exits 1.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import string
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote_plus

import boto3
import requests

from bench.common import percentile, timed
from chalicelib.camera import CameraClient, UploadFailed
from local_stack.api_client import ApiClient
from local_stack.seed import seed_users
from local_stack.stack import RunningStack
from local_stack.synthetic import render_frame

# Modest frames keep recognition cheap; the plate keeps the proportions of a 1280 px frame.
FRAME_SIZE = (640, 360)
PLATE_WIDTH = 120


@dataclass
class Figures:
    """What the threads measured (lists are appended to from several threads: GIL-safe)."""

    upload_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    uploaded_keys: list[str] = field(default_factory=list)
    upload_failures: list[str] = field(default_factory=list)
    search_errors: list[str] = field(default_factory=list)  # status code or exception


def plate_text(rng: random.Random) -> str:
    return (rng.choice("123456789") + "".join(rng.choices(string.ascii_uppercase, k=3))
            + "".join(rng.choices(string.digits, k=3)))


def render(text: str) -> bytes:
    buffer = io.BytesIO()
    render_frame(text, size=FRAME_SIZE, plate_width=PLATE_WIDTH).save(buffer, format="JPEG",
                                                                      quality=85)
    return buffer.getvalue()


def camera_worker(stack: RunningStack, credential: str, frames: list[bytes],
                  figures: Figures) -> None:
    """One camera: ask for a ticket, POST the frame, next frame; no pause."""
    client = CameraClient(requests.Session(), stack.api_url, credential)
    for frame in frames:
        started = time.perf_counter()
        try:
            ticket = client.request_upload("image/jpeg", len(frame),
                                           stack.clock().isoformat(timespec="milliseconds"))
            client.send(ticket, "frame.jpg", frame, "image/jpeg")
        except UploadFailed as error:
            figures.upload_failures.append(str(error))
            continue
        figures.upload_ms.append((time.perf_counter() - started) * 1000)
        figures.uploaded_keys.append(ticket.key)


def officer_worker(officer: ApiClient, plates: list[str], stack: RunningStack,
                   figures: Figures, stop: threading.Event, rng: random.Random,
                   pause: float) -> None:
    """An officer searching while cameras upload: exact plates and partial patterns."""
    while not stop.wait(pause):
        now = stack.clock()
        text = rng.choice(plates)
        body: dict[str, Any] = {"plate": text}
        if rng.random() < 0.5:
            body = {"mode": "partial", "plate": text[:4] + "*",
                    "from": (now - timedelta(hours=2)).isoformat(),
                    "to": (now + timedelta(minutes=1)).isoformat()}
        try:
            response, elapsed = timed(lambda body=body: officer.search(  # type: ignore[misc]
                page_size=50, **body))
        except requests.RequestException as error:  # no answer: an error, and search on
            figures.search_errors.append(type(error).__name__)
            continue
        figures.search_ms.append(elapsed)
        if response.status_code != 200:
            figures.search_errors.append(str(response.status_code))


def scan(table: str, *attributes: str) -> list[dict[str, Any]]:
    dynamodb: Any = boto3.client("dynamodb")
    names = {f"#a{index}": name for index, name in enumerate(attributes)}
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names):
        items.extend(page["Items"])
    return items


def finished_images(stack: RunningStack, keys: set[str]) -> dict[str, dict[str, Any]]:
    table = stack.environment["PLATEKEEPER_IMAGES_TABLE"]
    return {item["image_key"]["S"]: item
            for item in scan(table, "image_key", "status", "plates_found", "read_ids")
            if item["image_key"]["S"] in keys
            and item["status"]["S"] in ("processed", "rejected", "duplicate")}


def queued_messages(stack: RunningStack) -> int:
    """Messages waiting in the ingest queue or being handled (a cheap call, unlike a scan)."""
    sqs: Any = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.environment["PLATEKEEPER_INGEST_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(value) for value in attributes.values())


def wait_for_ingest(stack: RunningStack, keys: set[str], timeout: float) -> float:
    """Seconds until every uploaded frame is finished (or the timeout).

    The images table is scanned only once the queue is empty: a scan of 1,000 records every
    few seconds would take moto's CPU from the ingest it measures."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if queued_messages(stack) == 0 and len(finished_images(stack, keys)) >= len(keys):
            break
        time.sleep(2)
    return time.perf_counter() - started


def dead_lettered_keys(stack: RunningStack) -> set[str]:
    sqs: Any = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.environment["PLATEKEEPER_INGEST_DLQ_URL"],
        AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    if int(attributes["ApproximateNumberOfMessages"]) == 0:
        return set()
    keys: set[str] = set()
    messages = sqs.receive_message(QueueUrl=stack.environment["PLATEKEEPER_INGEST_DLQ_URL"],
                                   MaxNumberOfMessages=10, VisibilityTimeout=0)
    for message in messages.get("Messages", []):
        try:
            keys.update(unquote_plus(record["s3"]["object"]["key"])
                        for record in json.loads(message["Body"]).get("Records", []))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return keys


@dataclass(frozen=True)
class Reconciliation:
    uploaded: int
    processed: int
    rejected: int
    dead_lettered: int
    lost: int
    reads: int
    duplicated: int


def reconcile(stack: RunningStack, keys: list[str]) -> Reconciliation:
    """Compare the uploaded keys with the images and reads tables."""
    wanted = set(keys)
    images = finished_images(stack, wanted)
    processed = {key: item for key, item in images.items() if item["status"]["S"] == "processed"}
    dead = dead_lettered_keys(stack) & wanted
    lost = len(wanted - set(images) - dead)
    reads = [item for item in scan(stack.environment["PLATEKEEPER_READS_TABLE"],
                                   "read_id", "image_key") if item["image_key"]["S"] in wanted]
    read_ids = [item["read_id"]["S"] for item in reads]
    expected = sum(int(item.get("plates_found", {}).get("N", "0")) for item in processed.values())
    claimed = {read_id for item in processed.values()
               for read_id in item.get("read_ids", {}).get("SS", [])}
    duplicated = (len(read_ids) - len(set(read_ids)) + max(0, len(reads) - expected)
                  + len(set(read_ids) - claimed) + (len(keys) - len(wanted)))
    return Reconciliation(len(wanted), len(processed), len(images) - len(processed), len(dead),
                          lost, len(reads), duplicated)


def run(images: int, cameras: int, officers: int, seed: int, timeout: float,
        search_pause: float) -> int:
    rng = random.Random(seed)
    plates = [plate_text(rng) for _ in range(images)]
    frames, render_ms = timed(lambda: [render(text) for text in plates])
    print(f"bench-load: rendered {images} frames {FRAME_SIZE[0]}x{FRAME_SIZE[1]} "
          f"in {render_ms / 1000:.1f} s; {cameras} cameras, {officers} officers searching "
          f"(one search per officer every {search_pause:g} s after the last answer)")
    with RunningStack(pump_in_background=False) as stack:
        env = stack.environment
        users = {user.username: user for user in seed_users(
            env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
            stack.clock().date())}
        admin = ApiClient(stack.api_url).login("admin.demo", users["admin.demo"].password)
        credentials = []
        for index in range(cameras):
            created = admin.post("/admin/cameras", {
                "camera_id": f"load-{index:02d}", "name": f"load {index}", "kind": "fixed",
                "lat": 37.35, "lon": -121.95, "heading": 0})
            credentials.append(created.json()["credential"])
        searchers = [ApiClient(stack.api_url).login(name, users[name].password)
                     for name in ("officer.demo", "analyst.demo")]
        figures = Figures()
        stop = threading.Event()
        pump = threading.Thread(target=stack.event_pump.run_forever, args=(stop,),
                                kwargs={"interval": 0.2}, name="pump", daemon=True)
        officer_threads = [threading.Thread(
            target=officer_worker, args=(searchers[index % len(searchers)], plates, stack,
                                         figures, stop, random.Random(seed + index),
                                         search_pause),
            daemon=True) for index in range(officers)]
        started = time.perf_counter()
        pump.start()
        for thread in officer_threads:
            thread.start()
        shares = [frames[index::cameras] for index in range(cameras)]
        with ThreadPoolExecutor(max_workers=cameras) as pool:
            list(pool.map(lambda pair: camera_worker(stack, pair[0], pair[1], figures),
                          zip(credentials, shares, strict=True)))
        upload_seconds = time.perf_counter() - started
        wait_for_ingest(stack, set(figures.uploaded_keys), timeout)
        ingest_seconds = time.perf_counter() - started
        stop.set()
        for thread in [pump, *officer_threads]:
            thread.join(timeout=60)
        result = reconcile(stack, figures.uploaded_keys)
    report(result, figures, upload_seconds, ingest_seconds)
    return 1 if result.lost or result.duplicated or figures.upload_failures else 0


def report(result: Reconciliation, figures: Figures, upload_seconds: float,
           ingest_seconds: float) -> None:
    finished = result.processed + result.rejected
    searches_per_s = len(figures.search_ms) / ingest_seconds if ingest_seconds else 0.0
    rows: list[tuple[str, Callable[[], str]]] = [
        ("frames uploaded / failed", lambda: f"{result.uploaded} / "
                                             f"{len(figures.upload_failures)}"),
        ("upload throughput", lambda: f"{result.uploaded / upload_seconds:.1f} frames/s"),
        ("upload latency p50 / p95 (ticket + POST)",
         lambda: f"{percentile(figures.upload_ms, 0.5):.0f} / "
                 f"{percentile(figures.upload_ms, 0.95):.0f} ms"),
        ("ingest throughput (first upload to last frame done)",
         lambda: f"{finished / ingest_seconds:.2f} frames/s"),
        ("searches during the run / errors", lambda: f"{len(figures.search_ms)} "
                                                     f"({searches_per_s:.1f}/s) / "
                                                     f"{_errors(figures.search_errors)}"),
        ("search latency p50 / p95", lambda: f"{percentile(figures.search_ms, 0.5):.0f} / "
                                             f"{percentile(figures.search_ms, 0.95):.0f} ms"),
        ("frames processed / rejected / dead-lettered",
         lambda: f"{result.processed} / {result.rejected} / {result.dead_lettered}"),
        ("reads written", lambda: str(result.reads)),
        ("frames lost", lambda: str(result.lost)),
        ("reads duplicated", lambda: str(result.duplicated)),
    ]
    print("\n| figure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value()} |")


def _errors(errors: list[str]) -> str:
    kinds = ", ".join(f"{count} {kind}" for kind, count in Counter(errors).most_common())
    return f"{len(errors)} ({kinds})" if errors else "0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--officers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--search-pause", type=float, default=1.0,
                        help="seconds each officer waits between searches")
    parser.add_argument("--timeout", type=float, default=3 * 3600.0,
                        help="seconds to wait for ingest to finish after the last upload")
    args = parser.parse_args()
    sys.exit(run(args.images, args.cameras, args.officers, args.seed, args.timeout,
                 args.search_pause))


if __name__ == "__main__":
    main()
