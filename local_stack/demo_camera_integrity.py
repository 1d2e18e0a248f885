"""Demo steps: what a camera credential can and cannot do (tickets bound at ingest, duplicates,
derived data swapped behind a read). Each takes the running Demo and returns its detail line."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import requests

from chalicelib.camera import CAPTURED_AT_NOW, CameraClient, upload_folder

if TYPE_CHECKING:
    from local_stack.demo import Demo

SECOND_CAMERA = "demo-pole-2"


class StepFailed(AssertionError):
    """A demo step did not do what it should."""


def foreign_key_rejected(demo: Demo) -> str:
    """demo-pole-1's credential and ticket, the key moved under demo-pole-2's prefix."""
    admin = demo.clients["admin.demo"]
    registered = admin.post("/admin/cameras", {
        "camera_id": SECOND_CAMERA, "name": "Demo pole, Main St westbound", "kind": "fixed",
        "lat": 37.3542, "lon": -121.9560, "heading": 270})
    if registered.status_code not in (201, 409):
        raise StepFailed(f"registering {SECOND_CAMERA} answered {registered.status_code}")
    with tempfile.TemporaryDirectory() as folder:
        frame = demo._frames(Path(folder))[0].read_bytes()
    ticket = _ticket(demo, frame)
    foreign = ticket["key"].replace(f"cameras/{demo.camera['camera_id']}/",
                                    f"cameras/{SECOND_CAMERA}/")
    sent = requests.post(ticket["url"], data={**ticket["fields"], "key": foreign}, timeout=30,
                         files={"file": ("frame.jpg", frame, "image/jpeg")})
    if sent.status_code not in (200, 201, 204):
        raise StepFailed(f"the local S3 refused the POST ({sent.status_code})")
    demo.stack.event_pump.drain(timeout=120)
    listed = admin.get("/admin/uploads/exceptions", {"camera_id": SECOND_CAMERA}).json()
    rows = [row for row in listed.get("exceptions", []) if row["object_key"] == foreign]
    if not rows or rows[0]["outcome"] != "rejected":
        raise StepFailed(f"the foreign-key upload was not rejected: {listed}")
    if _reads_of(demo, foreign):
        raise StepFailed("the foreign-key upload produced reads")
    return (f"{demo.camera['camera_id']}'s ticket POSTed under {SECOND_CAMERA}'s prefix (moto "
            f"takes it; S3 would refuse the signed policy): rejected, \"{rows[0]['reason']}\", "
            f"no reads, listed on GET /admin/uploads/exceptions and the console's Camera "
            "uploads page")


def duplicate_upload(demo: Demo) -> str:
    """The camera client run again on the folder the upload step sent: no new reads."""
    reads_before = demo._count("PLATEKEEPER_READS_TABLE")
    with tempfile.TemporaryDirectory() as folder:
        files = demo._frames(Path(folder))  # the same frames the upload step sent
        client = CameraClient(requests.Session(), demo.stack.api_url, demo.camera["credential"])
        summary = upload_folder(client, files, CAPTURED_AT_NOW, show_progress=False)
    if summary.failed:
        raise StepFailed(f"{summary.failed} uploads failed: {summary.failures}")
    demo.stack.event_pump.drain(timeout=300)
    reads_after = demo._count("PLATEKEEPER_READS_TABLE")
    listed = demo.clients["admin.demo"].get(
        "/admin/uploads/exceptions",
        {"camera_id": demo.camera["camera_id"], "outcome": "duplicate"}).json()
    duplicates = len(listed.get("exceptions", []))
    counted = sum(row["duplicate"] for row in listed.get("daily_counts", []))
    if reads_after != reads_before or duplicates < summary.uploaded:
        raise StepFailed(f"reads {reads_before} -> {reads_after}, {duplicates} duplicates")
    return (f"camera client re-run on the same {summary.uploaded} frames: reads stay "
            f"{reads_after}, {duplicates} uploads recorded as duplicates ({counted} counted "
            f"today for {demo.camera['camera_id']})")


def evidence_swap_detected(demo: Demo) -> str:
    """A crop overwritten in the derived bucket (moto ignores the bucket policy) and the read
    repointed at it (a write to the reads table): the export's package fails verification."""
    env = demo.env
    read = _a_read_with_crop(demo)
    s3: Any = boto3.client("s3")
    swapped = s3.put_object(Bucket=env["PLATEKEEPER_DERIVED_BUCKET"], Key=read["crop_key"],
                            Body=b"\xff\xd8\xff another vehicle's plate")["VersionId"]
    boto3.client("dynamodb").update_item(
        TableName=env["PLATEKEEPER_READS_TABLE"],
        Key={"plate": {"S": read["plate"]}, "read_key": {"S": read["read_key"]}},
        UpdateExpression="SET crop_version = :version",
        ExpressionAttributeValues={":version": {"S": swapped}})
    exported = demo.clients["admin.demo"].post("/exports", {
        "read_ids": [read["read_id"]], "case_number": "2026-007003",
        "purpose": "criminal_investigation", "approved_by": "commander.demo"})
    if exported.status_code != 201:
        raise StepFailed(f"export answered {exported.status_code}: {exported.text}")
    body = exported.json()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "package.zip"
        path.write_bytes(requests.get(body["url"], timeout=60).content)
        check = subprocess.run([sys.executable, "-m", "chalicelib.evidence", "verify",  # noqa: S603
                                str(path)], capture_output=True, text=True, timeout=120,
                               check=False)
    if check.returncode != 1 or "replaced after ingest" not in check.stdout:
        raise StepFailed(f"verify did not fail on the swapped crop: {check.stdout}")
    return (f"crop of read {read['read_id'][:8]} swapped and the read repointed: export names "
            f"{body['replaced_after_ingest']} as replaced after ingest (in the access record "
            f"too); evidence verify exits {check.returncode}: "
            f"{check.stdout.strip().splitlines()[0]}")


def _ticket(demo: Demo, frame: bytes) -> dict[str, Any]:
    response = requests.post(f"{demo.stack.api_url}/uploads", timeout=30, json={
        "content_type": "image/jpeg", "content_length": len(frame),
        "captured_at": demo.stack.clock().isoformat()},
        headers={"X-Camera-Credential": demo.camera["credential"]})
    if response.status_code != 201:
        raise StepFailed(f"POST /uploads answered {response.status_code}: {response.text}")
    return dict(response.json())


def _reads_of(demo: Demo, image_key: str) -> list[dict[str, Any]]:
    dynamodb: Any = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
            TableName=demo.env["PLATEKEEPER_READS_TABLE"], FilterExpression="image_key = :key",
            ExpressionAttributeValues={":key": {"S": image_key}}):
        items.extend(page["Items"])
    return items


def _a_read_with_crop(demo: Demo) -> dict[str, str]:
    dynamodb: Any = boto3.client("dynamodb")
    for page in dynamodb.get_paginator("scan").paginate(
            TableName=demo.env["PLATEKEEPER_READS_TABLE"],
            FilterExpression="attribute_exists(crop_version) AND camera_id = :camera",
            ExpressionAttributeValues={":camera": {"S": demo.camera["camera_id"]}}):
        for item in page["Items"]:
            return {name: str(next(iter(value.values()))) for name, value in item.items()
                    if name in ("plate", "read_key", "read_id", "crop_key")}
    raise StepFailed("no read with a crop to swap")
