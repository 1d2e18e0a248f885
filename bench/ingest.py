"""make bench-ingest: frames through the whole local pipeline, against pure recognition time.

camera client -> POST /uploads -> presigned POST to S3 -> S3 notification -> SQS -> pump ->
ingest handler (validate, recognize, write reads and crops, match hotlist) -> DynamoDB.
Uses the real camera frames in ../shared/data (read in place, never copied) when present,
synthetic frames otherwise. Prints upload and ingest throughput, reads written, images lost or
duplicated (both must be 0) and the pipeline's overhead over recognition alone.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

import boto3
import requests

from bench.common import timed
from chalicelib.camera import CAPTURED_AT_NOW, CameraClient, image_files, upload_folder
from chalicelib.recognizer import recognize_plates
from local_stack.api_client import ApiClient
from local_stack.seed import seed_users
from local_stack.stack import RunningStack
from local_stack.synthetic import frame_jpeg

DEFAULT_FOLDERS = ("../shared/data/openalpr-us-dev", "../shared/data/openalpr-eu",
                   "../shared/data/openalpr-br")


def frames(folders: list[Path], minimum: int, scratch: Path) -> list[Path]:
    found = [path for folder in folders if folder.is_dir() for path in image_files(folder)]
    index = 0
    while len(found) < minimum:  # top up with synthetic frames
        path = scratch / f"synthetic-{index:04d}.jpg"
        path.write_bytes(frame_jpeg(f"{index % 9 + 1}SYN{index:03d}"[:7]))
        found.append(path)
        index += 1
    return found


def pure_recognition_ms(files: list[Path]) -> float:
    recognize_plates(files[0].read_bytes())  # load the models first, as a warm Lambda has
    total = 0.0
    for path in files:
        data = path.read_bytes()
        total += timed(lambda data=data: recognize_plates(data))[1]  # type: ignore[misc]
    return total


def run(folders: list[Path], minimum: int) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        files = frames(folders, minimum, scratch)
        recognition_ms = pure_recognition_ms(files)
        with RunningStack(pump_in_background=False) as stack:
            env = stack.environment
            users = {user.username: user for user in seed_users(
                env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                stack.clock().date())}
            admin = ApiClient(stack.api_url).login("admin.demo", users["admin.demo"].password)
            camera = admin.post("/admin/cameras", {"camera_id": "bench-cam", "name": "bench",
                                                   "kind": "fixed", "lat": 37.35,
                                                   "lon": -121.95, "heading": 0}).json()
            client = CameraClient(requests.Session(), stack.api_url, camera["credential"])
            summary, upload_ms = timed(lambda: upload_folder(client, files, CAPTURED_AT_NOW,
                                                             show_progress=True))
            counts, ingest_ms = timed(lambda: stack.event_pump.drain(timeout=3600))
            report(stack, len(files), summary.uploaded, upload_ms, ingest_ms, recognition_ms,
                   counts.failed_messages)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def report(stack: RunningStack, total: int, uploaded: int, upload_ms: float, ingest_ms: float,
           recognition_ms: float, failed_messages: int) -> None:
    env = stack.environment
    dynamodb: Any = boto3.client("dynamodb")
    images = _scan(dynamodb, env["PLATEKEEPER_IMAGES_TABLE"])
    reads = _scan(dynamodb, env["PLATEKEEPER_READS_TABLE"])
    processed = [item for item in images if item["status"]["S"] == "processed"]
    rejected = [item for item in images if item["status"]["S"] == "rejected"]
    duplicates = [item for item in images if item["status"]["S"] == "duplicate"]
    claimed_reads = sum(int(item.get("plates_found", {}).get("N", "0")) for item in processed)
    read_ids = [item["read_id"]["S"] for item in reads]
    lost = uploaded - len(processed) - len(rejected) - len(duplicates)
    duplicated = len(read_ids) - len(set(read_ids)) + max(0, len(reads) - claimed_reads)
    overhead = (ingest_ms - recognition_ms) / recognition_ms * 100
    print("\n| figure | value |")
    print("|---|---|")
    print(f"| frames | {total} ({uploaded} uploaded) |")
    print(f"| upload (camera client, sequential) | {uploaded / (upload_ms / 1000):.1f} frames/s |")
    print(f"| ingest (one handler at a time) | {len(processed) / (ingest_ms / 1000):.2f} "
          f"images/s, {ingest_ms / max(1, len(processed)):.0f} ms/image |")
    print(f"| pure recognition, same frames | {recognition_ms / total:.0f} ms/image |")
    print(f"| pipeline overhead over recognition | {overhead:.1f} % |")
    print(f"| images processed / rejected / duplicate | {len(processed)} / {len(rejected)} / "
          f"{len(duplicates)} |")
    print(f"| reads written | {len(reads)} |")
    print(f"| images lost | {lost} |")
    print(f"| reads duplicated | {duplicated} |")
    print(f"| messages retried | {failed_messages} |")


def _scan(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--images", type=Path, action="append", default=None)
    parser.add_argument("--minimum", type=int, default=200)
    args = parser.parse_args()
    folders = args.images or [Path(folder) for folder in DEFAULT_FOLDERS]
    run(folders, args.minimum)


if __name__ == "__main__":
    main()
