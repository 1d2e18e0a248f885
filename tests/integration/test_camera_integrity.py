"""What a camera can and cannot do, tried as a hostile camera would through the running stack.

moto does not enforce presigned POST conditions or bucket policies, so here a camera credential
can send any key to any bucket: exactly the conditions under which the ingest and export checks
must hold on their own. Each attack must be refused or detected, and visible to administrators.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from chalicelib.camera import CAPTURED_AT_MTIME, CameraClient, upload_folder
from local_stack.api_client import ApiClient
from local_stack.stack import RunningStack
from local_stack.synthetic import frame_jpeg
from tests.integration.conftest import image_record, last_audit, reads_of

pytestmark = pytest.mark.integration
CASE = {"purpose": "criminal_investigation", "approved_by": "commander.demo"}


@pytest.fixture(scope="module")
def admin(client_for: Callable[[str], ApiClient]) -> ApiClient:
    return client_for("admin.demo")


def new_camera(admin: ApiClient, prefix: str) -> dict[str, Any]:
    response = admin.post("/admin/cameras", {
        "camera_id": f"{prefix}-{uuid.uuid4().hex[:6]}", "name": f"{prefix} pole",
        "kind": "fixed", "lat": 37.35, "lon": -121.95, "heading": 90})
    assert response.status_code == 201, response.text
    return dict(response.json())


def ask_ticket(stack: RunningStack, camera: dict[str, Any], body: bytes) -> dict[str, Any]:
    response = requests.post(f"{stack.api_url}/uploads", timeout=30, json={
        "content_type": "image/jpeg", "content_length": len(body),
        "captured_at": stack.clock().isoformat()},
        headers={"X-Camera-Credential": camera["credential"]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def post(ticket: dict[str, Any], body: bytes, key: str | None = None,
         url: str | None = None) -> None:
    """POST a file with the ticket's fields; `key`/`url` are what a hostile camera changes."""
    fields = {**ticket["fields"], **({"key": key} if key else {})}
    sent = requests.post(url or ticket["url"], data=fields, timeout=30,
                         files={"file": ("frame.jpg", body, "image/jpeg")})
    assert sent.status_code in (200, 201, 204), sent.text  # moto takes it; AWS would not


def exceptions(admin: ApiClient, camera_id: str) -> dict[str, Any]:
    response = admin.get("/admin/uploads/exceptions", {"camera_id": camera_id})
    assert response.status_code == 200, response.text
    return dict(response.json())


def processed_read(stack: RunningStack, camera: dict[str, Any], plate: str) -> dict[str, Any]:
    """Upload one frame properly and return its stored read (as DynamoDB holds it)."""
    body = frame_jpeg(plate)
    ticket = ask_ticket(stack, camera, body)
    post(ticket, body)
    stack.event_pump.drain()
    assert image_record(stack, ticket["key"])["status"] == "processed"
    [read] = reads_of(stack, ticket["key"])[:1]
    return {name: next(iter(value.values())) for name, value in read.items()}


def test_a_foreign_prefix_upload_is_rejected_and_listed(local_stack: RunningStack,
                                                        admin: ApiClient) -> None:
    """demo-pole-1's ticket, the key changed to another camera's prefix: no reads for it."""
    mine, other = new_camera(admin, "own"), new_camera(admin, "victim")
    body = frame_jpeg("6HP995")
    ticket = ask_ticket(local_stack, mine, body)
    foreign = ticket["key"].replace(f"cameras/{mine['camera_id']}/",
                                    f"cameras/{other['camera_id']}/")
    post(ticket, body, key=foreign)
    counts = local_stack.event_pump.drain()
    assert counts.failed_messages == 0
    record = image_record(local_stack, foreign)
    assert (record["status"], record["reason"]) == (
        "rejected", "no upload ticket was issued for this object key")
    assert reads_of(local_stack, foreign) == []
    listed = exceptions(admin, other["camera_id"])
    assert [(row["object_key"], row["outcome"]) for row in listed["exceptions"]] == [
        (foreign, "rejected")]
    assert listed["daily_counts"][0]["rejected"] == 1


def test_an_upload_without_a_ticket_is_rejected(local_stack: RunningStack,
                                                admin: ApiClient) -> None:
    camera = new_camera(admin, "noticket")
    key = f"cameras/{camera['camera_id']}/{local_stack.clock().date()}/{uuid.uuid4().hex}.jpg"
    boto3.client("s3").put_object(
        Bucket=local_stack.environment["PLATEKEEPER_RAW_BUCKET"], Key=key,
        Body=frame_jpeg("7NOT123"), Metadata={"captured-at": local_stack.clock().isoformat()})
    local_stack.event_pump.drain()
    assert image_record(local_stack, key)["reason"] == (
        "no upload ticket was issued for this object key")
    assert reads_of(local_stack, key) == []


def test_a_reused_ticket_is_rejected_and_the_first_frame_stays(local_stack: RunningStack,
                                                               admin: ApiClient) -> None:
    camera = new_camera(admin, "replay")
    body = frame_jpeg("8REU123")
    ticket = ask_ticket(local_stack, camera, body)
    post(ticket, body)
    local_stack.event_pump.drain()
    first = image_record(local_stack, ticket["key"])
    assert first["status"] == "processed"
    replay = bytearray(body)
    replay[-3] ^= 0xFF  # other bytes of the same size: the POST policy would allow it
    post(ticket, bytes(replay))
    local_stack.event_pump.drain()
    after = image_record(local_stack, ticket["key"])
    assert after == first  # the processed frame was not overwritten
    [row] = exceptions(admin, camera["camera_id"])["exceptions"]
    assert row["outcome"] == "rejected" and "already used" in row["reason"]
    assert row["version_id"] != first["version_id"]


def test_an_overwritten_crop_is_not_shown_and_the_export_notes_it(
        local_stack: RunningStack, admin: ApiClient, officer: ApiClient) -> None:
    """A camera POSTs another image over a crop in the derived bucket (moto ignores the policy
    and the POST conditions): links and exports name the ingest-time version."""
    camera = new_camera(admin, "crop")
    read = processed_read(local_stack, camera, "5CRP321")
    original = boto3.client("s3").get_object(
        Bucket=local_stack.environment["PLATEKEEPER_DERIVED_BUCKET"], Key=read["crop_key"],
        VersionId=read["crop_version"])["Body"].read()
    ticket = ask_ticket(local_stack, camera, b"\xff\xd8\xffswapped")
    derived_url = ticket["url"].rsplit("/", 1)[0] + "/" + \
        local_stack.environment["PLATEKEEPER_DERIVED_BUCKET"]
    post(ticket, b"\xff\xd8\xffswapped", key=read["crop_key"], url=derived_url)
    detail = officer.get(f"/reads/{read['read_id']}",
                         {"purpose": "warrant", "case_number": "2026-000123"}).json()
    assert requests.get(detail["crop_url"], timeout=30).content == original
    exported = admin.post("/exports", {"read_ids": [read["read_id"]],
                                       "case_number": "2026-019001", **CASE})
    assert exported.status_code == 201, exported.text
    assert exported.json()["superseded"] == [f"images/{read['crop_key']}"]
    assert exported.json()["replaced_after_ingest"] == []
    audit = last_audit(local_stack)
    assert audit["action"] == "export_reads"
    assert audit["query"]["superseded_in_storage"]["S"] == f"images/{read['crop_key']}"
    assert verify(exported.json()["url"])[0] == 0


def test_a_swapped_crop_makes_evidence_verify_fail(local_stack: RunningStack,
                                                   admin: ApiClient) -> None:
    """The overwrite plus a write to the reads table (the API role may update reads) pointing the
    read at the swapped version: the images table, written by the ingest alone, still holds the
    hash taken at capture, so the package fails verification and the release is refused."""
    camera = new_camera(admin, "swap")
    read = processed_read(local_stack, camera, "3SWP987")
    s3: Any = boto3.client("s3")
    swapped = s3.put_object(Bucket=local_stack.environment["PLATEKEEPER_DERIVED_BUCKET"],
                            Key=read["crop_key"], Body=b"\xff\xd8\xffanother car")["VersionId"]
    boto3.client("dynamodb").update_item(
        TableName=local_stack.environment["PLATEKEEPER_READS_TABLE"],
        Key={"plate": {"S": read["plate"]}, "read_key": {"S": read["read_key"]}},
        UpdateExpression="SET crop_version = :version",
        ExpressionAttributeValues={":version": {"S": swapped}})
    exported = admin.post("/exports", {"read_ids": [read["read_id"]],
                                       "case_number": "2026-019002", **CASE})
    assert exported.status_code == 201, exported.text
    assert exported.json()["replaced_after_ingest"] == [f"images/{read['crop_key']}"]
    status, output = verify(exported.json()["url"])
    assert status == 1
    assert "FAILED" in output and f"replaced after ingest (differs from the hash taken at " \
        f"capture): images/{read['crop_key']}" in output
    audit = last_audit(local_stack)
    assert audit["query"]["replaced_after_ingest"]["S"] == f"images/{read['crop_key']}"


def test_rerunning_the_camera_client_on_a_folder_adds_no_reads(
        local_stack: RunningStack, admin: ApiClient, tmp_path: Path) -> None:
    camera = new_camera(admin, "rerun")
    for plate in ("6HP995", "4RUN202"):
        (tmp_path / f"{plate}.jpg").write_bytes(frame_jpeg(plate))
    files = sorted(tmp_path.iterdir())
    client = CameraClient(requests.Session(), local_stack.api_url, camera["credential"])

    def camera_reads() -> int:
        table = local_stack.environment["PLATEKEEPER_READS_TABLE"]
        pages = boto3.client("dynamodb").get_paginator("scan").paginate(
            TableName=table, Select="COUNT", FilterExpression="camera_id = :camera",
            ExpressionAttributeValues={":camera": {"S": camera["camera_id"]}})
        return sum(page["Count"] for page in pages)

    assert upload_folder(client, files, CAPTURED_AT_MTIME, show_progress=False).uploaded == 2
    local_stack.event_pump.drain()
    first = camera_reads()
    assert first >= 2
    assert upload_folder(client, files, CAPTURED_AT_MTIME, show_progress=False).uploaded == 2
    counts = local_stack.event_pump.drain()
    assert counts.failed_messages == 0
    assert camera_reads() == first
    listed = exceptions(admin, camera["camera_id"])
    assert sorted(row["outcome"] for row in listed["exceptions"]) == ["duplicate", "duplicate"]
    assert all(row["duplicate_of"] for row in listed["exceptions"])
    [count] = listed["daily_counts"]
    assert (count["camera_id"], count["duplicate"], count["rejected"]) == (
        camera["camera_id"], 2, 0)


def test_only_camera_managers_see_upload_exceptions_and_each_look_is_recorded(
        local_stack: RunningStack, admin: ApiClient, officer: ApiClient) -> None:
    refused = officer.get("/admin/uploads/exceptions")
    assert refused.status_code == 403
    bad = admin.get("/admin/uploads/exceptions", {"from": "2026-01-01T00:00:00Z",
                                                  "to": "2026-06-01T00:00:00Z"})
    assert (bad.status_code, bad.json()["error"]) == (400, "WINDOW_INVALID")
    assert last_audit(local_stack)["refusal_code"] == "WINDOW_INVALID"
    listed = admin.get("/admin/uploads/exceptions", {"outcome": "rejected"})
    assert listed.status_code == 200
    assert all(row["outcome"] == "rejected" for row in listed.json()["exceptions"])
    record = last_audit(local_stack)
    assert (record["action"], record["outcome"]) == ("list_upload_exceptions", "allowed")


def verify(url: str) -> tuple[int, str]:
    """Download a package and check it with the evidence CLI, as a recipient would."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "package.zip"
        path.write_bytes(requests.get(url, timeout=60).content)
        check = subprocess.run([sys.executable, "-m", "chalicelib.evidence", "verify",  # noqa: S603
                                str(path)], capture_output=True, text=True, timeout=120,
                               check=False)
    return check.returncode, check.stdout + check.stderr


def test_upload_exception_listing_shape(admin: ApiClient) -> None:
    body = admin.get("/admin/uploads/exceptions").json()
    assert set(body) == {"from", "to", "camera_id", "outcome", "exceptions", "daily_counts",
                         "truncated"}
    json.dumps(body)  # plain JSON, no plate data fields
    assert all("plate" not in row for row in body["exceptions"])


def test_the_monthly_report_names_refusing_cameras_and_swapped_evidence(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient]) -> None:
    """Runs after the attacks above (module order): the month's report shows them."""
    auditor = client_for("auditor.demo")
    month = local_stack.clock().strftime("%Y-%m")
    assert auditor.post("/reports/monthly", {"month": month}).status_code == 201
    report = auditor.get(f"/reports/monthly/{month}").json()["report"]
    kinds = {finding["kind"] for finding in report["findings"]}
    assert {"camera_uploads_refused", "evidence_not_as_captured"} <= kinds
    cameras = {finding["subject"] for finding in report["findings"]
               if finding["kind"] == "camera_uploads_refused"}
    assert any(camera.startswith("victim-") for camera in cameras)
    assert any(camera.startswith("replay-") for camera in cameras)
