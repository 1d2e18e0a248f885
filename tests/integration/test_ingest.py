"""Capture and ingest through the running stack: camera credential -> presigned POST -> S3 ->
SQS -> ingest handler (real recognition) -> reads, alerts; bad input and redelivery.

These tests check the pipeline, not recognition accuracy (tests/recognition does that): the
plate a test searches or hotlists is the text the engine reads for the same synthetic frame.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from chalicelib.recognizer import recognize_plates
from local_stack.api_client import ApiClient
from local_stack.stack import RunningStack
from local_stack.synthetic import blank_jpeg, frame_jpeg
from tests.integration.conftest import image_record, upload

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def admin(client_for: Callable[[str], ApiClient]) -> ApiClient:
    return client_for("admin.demo")


@pytest.fixture(scope="module")
def camera(admin: ApiClient) -> dict[str, Any]:
    response = admin.post("/admin/cameras", {
        "camera_id": f"pole-{uuid.uuid4().hex[:6]}", "name": "Main St & 1st, eastbound",
        "kind": "fixed", "lat": 37.3541, "lon": -121.9552, "heading": 90})
    assert response.status_code == 201, response.text
    return dict(response.json())


def read_by_engine(frame: bytes) -> str:
    """What the recognition engine reads on this frame (the pipeline must store exactly it)."""
    plates = recognize_plates(frame)
    assert plates, "the engine found no plate on the synthetic frame"
    return plates[0].text


def test_an_uploaded_frame_becomes_a_searchable_read(
        local_stack: RunningStack, camera: dict[str, Any], officer: ApiClient) -> None:
    frame = frame_jpeg("6TRJ244")
    plate = read_by_engine(frame)
    ticket = upload(local_stack, camera["credential"], frame)
    assert ticket.status_code == 201
    assert ticket.json()["expires_in"] <= 600
    key = ticket.json()["key"]
    assert key.startswith(f"cameras/{camera['camera_id']}/")
    local_stack.event_pump.drain()
    record = image_record(local_stack, key)
    assert record["status"] == "processed"
    assert int(record["plates_found"]) >= 1
    results = [row for row in officer.search(plate=plate).json()["results"]
               if row["camera_id"] == camera["camera_id"]]
    assert len(results) == 1
    assert (results[0]["lat"], results[0]["lon"]) == (37.3541, -121.9552)
    detail = officer.get(f"/reads/{results[0]['read_id']}",
                         {"purpose": "warrant", "case_number": "2026-000123"}).json()
    assert detail["expires_at"] - int(local_stack.clock().timestamp()) > 364 * 86400
    assert requests.get(detail["crop_url"], timeout=30).content[:2] == b"\xff\xd8"


def test_a_frame_without_plates_is_kept_as_a_no_read_record(
        local_stack: RunningStack, camera: dict[str, Any]) -> None:
    key = upload(local_stack, camera["credential"], blank_jpeg()).json()["key"]
    local_stack.event_pump.drain()
    record = image_record(local_stack, key)
    assert (record["status"], record["plates_found"]) == ("processed", "0")
    assert int(record["expires_at"]) > int(local_stack.clock().timestamp())


def test_redelivery_gives_one_set_of_reads(local_stack: RunningStack, camera: dict[str, Any],
                                           officer: ApiClient) -> None:
    frame = frame_jpeg("4DUP123")
    plate = read_by_engine(frame)
    key = upload(local_stack, camera["credential"], frame).json()["key"]
    local_stack.event_pump.drain()
    env = local_stack.environment
    bucket = env["PLATEKEEPER_RAW_BUCKET"]
    notice = {"Records": [{"eventName": "ObjectCreated:Post", "eventTime": "2026-01-01T00:00:00Z",
                           "s3": {"bucket": {"name": bucket},
                                  "object": {"key": key, "size": 10}}}]}
    sqs: Any = boto3.client("sqs")
    for _ in range(2):
        sqs.send_message(QueueUrl=env["PLATEKEEPER_INGEST_QUEUE_URL"],
                         MessageBody=json.dumps(notice))
    local_stack.event_pump.drain()
    reads = [row for row in officer.search(plate=plate).json()["results"]
             if row["camera_id"] == camera["camera_id"]]
    record = image_record(local_stack, key)
    assert len(reads) == len(record["read_ids"]) >= 1
    assert {row["read_id"] for row in reads} <= set(record["read_ids"])


@pytest.mark.parametrize(("body", "content_type", "reason"), [
    (b"\xff\xd8\xff\xe0" + b"\x00" * 500, "image/jpeg", "cannot be decoded"),
    (b"\x89PNG\r\n\x1a\n" + b"\x01" * 300, "image/png", "cannot be decoded"),
    (b"%PDF-1.4 not an image", "image/jpeg", "neither a JPEG nor a PNG"),
])
def test_bad_objects_are_recorded_with_a_reason_not_retried(
        local_stack: RunningStack, camera: dict[str, Any], body: bytes, content_type: str,
        reason: str) -> None:
    # moto does not enforce the presigned POST's conditions, so the ingest checks again.
    key = upload(local_stack, camera["credential"], body, content_type).json()["key"]
    counts = local_stack.event_pump.drain()
    assert counts.failed_messages == 0
    record = image_record(local_stack, key)
    assert record["status"] == "rejected"
    assert reason in record["reason"]


def test_objects_no_ticket_was_issued_for_are_rejected(local_stack: RunningStack) -> None:
    s3: Any = boto3.client("s3")
    day = local_stack.clock().date().isoformat()
    key = f"cameras/not-registered/{day}/x.jpg"
    s3.put_object(Bucket=local_stack.environment["PLATEKEEPER_RAW_BUCKET"], Key=key,
                  Body=blank_jpeg(), Metadata={"captured-at": local_stack.clock().isoformat()})
    local_stack.event_pump.drain()
    assert image_record(local_stack, key)["reason"] == (
        "no upload ticket was issued for this object key")


@pytest.mark.parametrize(("overrides", "code"), [
    ({"content_type": "image/gif"}, "CONTENT_TYPE_INVALID"),
    ({"content_length": 0}, "CONTENT_LENGTH_INVALID"),
    ({"content_length": 10**9}, "CONTENT_LENGTH_INVALID"),
    ({"captured_at": "yesterday"}, "CAPTURED_AT_INVALID"),
    ({"captured_at": "2020-01-01T00:00:00Z"}, "CAPTURED_AT_INVALID"),
    ({"lat": 123, "lon": 0, "heading": 0}, "POSITION_INVALID"),
])
def test_bad_upload_requests_get_a_clear_400(local_stack: RunningStack,
                                             camera: dict[str, Any], overrides: dict[str, Any],
                                             code: str) -> None:
    body = {"content_type": "image/jpeg", "content_length": 1000,
            "captured_at": local_stack.clock().isoformat(), **overrides}
    response = requests.post(f"{local_stack.api_url}/uploads", json=body, timeout=30,
                             headers={"X-Camera-Credential": camera["credential"]})
    assert (response.status_code, response.json()["error"]) == (400, code)


def test_unknown_and_revoked_cameras_get_401(local_stack: RunningStack,
                                             admin: ApiClient) -> None:
    created = admin.post("/admin/cameras", {"camera_id": f"car-{uuid.uuid4().hex[:6]}",
                                            "name": "Unit 12", "kind": "mobile"}).json()
    frame = frame_jpeg("7ABC123")
    assert upload(local_stack, created["credential"], frame, lat=37.3, lon=-121.9,
                  heading=10).status_code == 201
    for bad in ("", "pkc_nobody.x", created["credential"][:-2] + "zz"):
        assert upload(local_stack, bad, frame).status_code == 401
    admin.post(f"/admin/cameras/{created['camera_id']}/revocation")
    assert upload(local_stack, created["credential"], frame).status_code == 401
    rotated = admin.post(f"/admin/cameras/{created['camera_id']}/credential").json()
    assert upload(local_stack, rotated["credential"], frame, lat=37.3, lon=-121.9,
                  heading=10).status_code == 201


def test_a_hotlisted_plate_raises_an_alert_with_the_clets_instruction(
        local_stack: RunningStack, camera: dict[str, Any], admin: ApiClient,
        officer: ApiClient) -> None:
    frame = frame_jpeg("5HOT777")
    plate = read_by_engine(frame)
    entry = admin.post("/hotlist/entries", {
        "plate": plate, "state": "CA", "category": "stolen_vehicle",
        "case_number": "2026-004242", "reason": "stolen from driveway",
        "requested_by": "officer.demo"})
    assert entry.status_code == 201, entry.text
    upload(local_stack, camera["credential"], frame)
    local_stack.event_pump.drain()
    alerts = [alert for alert in officer.get("/alerts").json()["alerts"]
              if alert["plate"] == plate]
    assert len(alerts) == 1
    assert "CLETS" in alerts[0]["instruction"]
    closed = officer.post(f"/alerts/{alerts[0]['alert_id']}/disposition",
                          {"disposition": "confirmed", "note": "verified via CLETS"})
    assert closed.status_code == 200
    assert closed.json()["disposition"] == "confirmed"
    again = officer.post(f"/alerts/{alerts[0]['alert_id']}/disposition",
                         {"disposition": "dismissed"})
    assert again.status_code == 409
