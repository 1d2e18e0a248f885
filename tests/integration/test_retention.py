"""Retention (policy 428.5) with time moved forward, on a stack of its own: moving the clock
past a year expires everything, which other test modules must not see."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.image_records import ImageRecords
from chalicelib.adapters.reads_table import ReadsTable
from chalicelib.domain.images import ImageRecord, ImageStatus
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from chalicelib.evidence.package import verify_package
from chalicelib.policy.retention import expiry_epoch
from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser, create_user, seed_users, store_reads
from local_stack.stack import RunningStack
from local_stack.synthetic import blank_jpeg, frame_jpeg
from tests.integration.test_local_stack import physical, register_camera

pytestmark = pytest.mark.integration
DAY = 86400


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with RunningStack(pump_in_background=False) as running:
        env = running.environment
        seed_users(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                   running.clock().date())
        yield running


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> ApiClient:
    return ApiClient(stack.api_url).login("admin.demo", "Admin-Demo-2026!pk")


def admin_of_today(stack: RunningStack) -> ApiClient:
    """An administrator in good standing at the (moved) date, as the department would have."""
    env = stack.environment
    today = stack.clock().date()
    recent = (today - timedelta(days=10)).isoformat()
    user = DemoUser(f"admin-{uuid.uuid4().hex[:6]}", "Admin-Later-2026!pk", "administrator",
                    recent, recent, mfa=True, approved_on=today.isoformat())
    create_user(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"], user)
    return ApiClient(stack.api_url).login(user.username, user.password)


def seed_frame(stack: RunningStack, plate: str) -> Read:
    """A stored frame with one read, as the ingest leaves it (image, crop, record, read)."""
    env = stack.environment
    s3: Any = boto3.client("s3")
    dynamodb: Any = boto3.client("dynamodb")
    now = stack.clock()
    key = f"cameras/cam-r/{now.date().isoformat()}/{uuid.uuid4().hex}.jpg"
    crop = key.replace("cameras/", "crops/").replace(".jpg", "-0.jpg")
    version = s3.put_object(Bucket=env["PLATEKEEPER_RAW_BUCKET"], Key=key,
                            Body=frame_jpeg(plate))["VersionId"]
    s3.put_object(Bucket=env["PLATEKEEPER_DERIVED_BUCKET"], Key=crop, Body=blank_jpeg())
    read = Read(read_id=read_id_for(key, version, 0), plate=plate,
                captured_at=format_time(now), camera_id="cam-r", confidence=0.9,
                image_key=key, image_version=version, crop_key=crop,
                expires_at=expiry_epoch(now, 365), candidates=(Candidate(plate, 0.9),))
    store_reads(env, [read])
    ImageRecords(dynamodb, env["PLATEKEEPER_IMAGES_TABLE"]).finish(ImageRecord(
        image_key=key, camera_id="cam-r", version_id=version, status=ImageStatus.PROCESSED,
        captured_at=now.isoformat(), received_at=now.isoformat(), expires_at=None,
        size=10, content_type="image/jpeg", read_ids=(read.read_id,), plates_found=1))
    return read


def exists(stack: RunningStack, read: Read) -> dict[str, bool]:
    s3: Any = boto3.client("s3")
    stored = ReadsTable(boto3.client("dynamodb"),
                        stack.environment["PLATEKEEPER_READS_TABLE"]).get(read.read_id)

    def has(bucket: str, key: str | None) -> bool:
        listing = s3.list_object_versions(Bucket=stack.environment[bucket], Prefix=key or "-")
        return bool(listing.get("Versions"))

    return {"read": stored is not None,
            "image": has("PLATEKEEPER_RAW_BUCKET", read.image_key),
            "crop": has("PLATEKEEPER_DERIVED_BUCKET", read.crop_key)}


@pytest.fixture
def travel(stack: RunningStack) -> Iterator[Callable[[int], None]]:
    moved = [0]

    def to_day(day: int) -> None:
        stack.clock.advance((day - moved[0]) * DAY)
        moved[0] = day
        stack.event_pump.drain(timeout=120)

    yield to_day
    stack.clock.advance(-moved[0] * DAY)


def test_unheld_read_lives_a_year_then_goes_with_its_images(
        stack: RunningStack, travel: Callable[[int], None]) -> None:
    read = seed_frame(stack, "1YEAR01")
    travel(364)
    assert exists(stack, read) == {"read": True, "image": True, "crop": True}
    travel(366)
    assert exists(stack, read) == {"read": False, "image": False, "crop": False}


def test_held_read_survives_past_retention_and_goes_after_release(
        stack: RunningStack, admin: ApiClient, travel: Callable[[int], None]) -> None:
    read = seed_frame(stack, "4HELD44")
    review = (stack.clock() + timedelta(days=700)).date().isoformat()
    hold = admin.post("/holds", {"read_ids": [read.read_id], "case_number": "2026-007001",
                                 "reason": "evidence", "requested_by": "officer.demo",
                                 "review_date": review})
    assert hold.status_code == 201, hold.text
    s3: Any = boto3.client("s3")
    bucket = stack.environment["PLATEKEEPER_RAW_BUCKET"]
    with pytest.raises(ClientError):  # Object Lock refuses a delete of the held version
        s3.delete_object(Bucket=bucket, Key=read.image_key, VersionId=read.image_version)
    travel(900)
    assert exists(stack, read) == {"read": True, "image": True, "crop": True}
    released = admin_of_today(stack).post(f"/holds/{hold.json()['hold_id']}/release")
    assert released.status_code == 200, released.text
    travel(906)
    assert exists(stack, read)["read"] is True  # seven days of grace after release
    travel(908)
    assert exists(stack, read) == {"read": False, "image": False, "crop": False}


def test_daily_check_purges_what_ttl_missed(stack: RunningStack,
                                            travel: Callable[[int], None]) -> None:
    read = seed_frame(stack, "7LATE77")
    table = stack.environment["PLATEKEEPER_READS_TABLE"]
    boto3.client("dynamodb").update_item(  # as if the TTL attribute had been lost
        TableName=table, Key={"plate": {"S": read.plate}, "read_key": {"S": read.read_key}},
        UpdateExpression="REMOVE expires_at")
    travel(367)
    assert exists(stack, read)["read"] is True
    [counts] = stack.event_pump.fire_schedule("retention_check")
    assert counts["deleted"] >= 1
    assert exists(stack, read) == {"read": False, "image": False, "crop": False}


def test_export_packages_reads_with_hashes_and_holds_them(
        stack: RunningStack, admin: ApiClient) -> None:
    read = seed_frame(stack, "8EVID88")
    export = admin.post("/exports", {"read_ids": [read.read_id], "case_number": "2026-007002",
                                     "purpose": "criminal_investigation",
                                     "approved_by": "commander.rivera"})
    assert export.status_code == 201, export.text
    body = export.json()
    import requests

    package = requests.get(body["url"], timeout=30).content
    key = boto3.client("kms").get_public_key(
        KeyId=stack.environment["PLATEKEEPER_EVIDENCE_SIGNING_KEY_ARN"])["PublicKey"]
    report = verify_package(package, key)
    assert report.genuine and report.case_number == "2026-007002"
    names = zipfile.ZipFile(io.BytesIO(package)).namelist()
    assert {"manifest.json", "manifest.signature.json", "chain_of_custody.json"} <= set(names)
    stored = ReadsTable(boto3.client("dynamodb"), physical(stack, "ReadsTable")).get(read.read_id)
    assert stored is not None and body["hold_id"] in stored.holds


def test_ttl_expiry_purges_a_no_read_image_through_the_stream(stack: RunningStack) -> None:
    register_camera(stack, "cam-ttl")
    s3: Any = boto3.client("s3")
    bucket = physical(stack, "RawImageBucket")
    now = stack.clock()
    key = f"cameras/cam-ttl/{now.date().isoformat()}/{uuid.uuid4().hex}.jpg"
    s3.put_object(Bucket=bucket, Key=key, Body=blank_jpeg(),
                  Metadata={"captured-at": now.isoformat()})
    stack.event_pump.drain(timeout=60)
    stack.clock.advance(366 * DAY)
    try:
        stack.event_pump.drain(timeout=60)
    finally:
        stack.clock.advance(-366 * DAY)
    assert s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []) == []
