"""Release requests through the running stack: who may file and decide, the sharing rule that no
path gets around, the package holding exactly the requested reads, the letter kept under a legal
hold, and an audit record for every step."""

from __future__ import annotations

import base64
import io
import uuid
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from local_stack.api_client import ApiClient
from local_stack.stack import RunningStack
from tests.integration.conftest import audit_items, directory_entry

pytestmark = pytest.mark.integration

LETTER = b"%PDF-1.4\n% Request for ALPR data under policy 428.7\n"
SJPD = "San Jose Police Department"


@pytest.fixture(scope="module")
def sjpd(client_for: Callable[[str], ApiClient]) -> dict[str, Any]:
    return directory_entry(client_for, SJPD, "CA9TEST01", ["sjpd.example.gov"])


def letter_request(now: datetime, **changes: Any) -> dict[str, Any]:
    """A complete request as typed in from an agency's letter (the last 7 days of one plate);
    the agency is named by `agency_id` or, unlisted, `agency_name`."""
    body: dict[str, Any] = {
        "sent_from": "m.okafor@sjpd.example.gov", "requester_name": "Sgt. M. Okafor",
        "requester_contact": "m.okafor@sjpd.example.gov", "purpose": "stolen_vehicle",
        "purpose_detail": "Stolen vehicle used in a robbery series",
        "case_number": "SJ-26-55012", "plate": "6REL555",
        "from": (now - timedelta(days=7)).isoformat(), "to": (now + timedelta(hours=1)).isoformat(),
        "document": {"filename": "letter.pdf", "content_type": "application/pdf",
                     "content_base64": base64.b64encode(LETTER).decode()},
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def plate_reads(local_stack: RunningStack) -> list[str]:
    """Two reads of 6REL555 inside the window, one before it, one of another plate."""
    from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
    from local_stack.seed import store_reads

    env = local_stack.environment
    s3: Any = boto3.client("s3")
    now = local_stack.clock()
    image_key = f"cameras/cam-r/{now.date().isoformat()}/release.jpg"
    s3.put_object(Bucket=env["PLATEKEEPER_RAW_BUCKET"], Key=image_key, Body=b"\xff\xd8\xffrel")
    inside = []
    for index, (plate, hours) in enumerate((("6REL555", 3), ("6REL555", 50),
                                            ("6REL555", 24 * 9), ("6REL556", 4))):
        captured = now - timedelta(hours=hours)
        read = Read(read_id=read_id_for(f"release-{uuid.uuid4()}", None, index), plate=plate,
                    captured_at=format_time(captured), camera_id="cam-r", confidence=0.9,
                    image_key=image_key,
                    expires_at=int((captured + timedelta(days=365)).timestamp()),
                    candidates=(Candidate(plate, 0.9),))
        store_reads(env, [read])
        if plate == "6REL555" and hours < 24 * 7:
            inside.append(read.read_id)
    return inside


def test_approval_exports_exactly_the_requested_reads(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        plate_reads: list[str], sjpd: dict[str, Any]) -> None:
    admin, second = client_for("admin.demo"), client_for("admin2.demo")
    filed = admin.post("/releases", letter_request(local_stack.clock(),
                                                   agency_id=sjpd["agency_id"]))
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["request_id"]
    assert filed.json()["status"] == "pending" and filed.json()["agency"] == SJPD
    assert filed.json()["jurisdiction"] == "california_state_or_local"
    queue = admin.get("/releases").json()["requests"]
    assert request_id in [item["request_id"] for item in queue]

    viewed = admin.get(f"/releases/{request_id}").json()
    assert requests.get(viewed["document_url"], timeout=30).content == LETTER
    assert viewed["document_url_expires_in"] <= 300

    warnings = [warning["code"] for warning in viewed["warnings"]]
    assert warnings == ["AGENCY_NEW"]  # confirmed today: the reviewer must see that
    approved = second.post(f"/releases/{request_id}/approval", {
        "reason": "Letter verified", "acknowledged_warnings": warnings})
    assert approved.status_code == 200, approved.text
    result = approved.json()
    assert result["status"] == "approved" and result["reads_released"] == 2
    package = requests.get(result["delivery_url"], timeout=30).content
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        released = sorted(name.removeprefix("reads/").removesuffix(".json")
                          for name in archive.namelist() if name.startswith("reads/"))
    assert released == sorted(plate_reads)

    assert result["acknowledged_warnings"] == ["AGENCY_NEW"]
    again = second.post(f"/releases/{request_id}/denial", {"reason": "second thoughts"})
    assert again.status_code == 409 and again.json()["error"] == "ALREADY_DECIDED"
    actions = [(item["action"]["S"], item["outcome"]["S"])
               for item in audit_items(local_stack)[-6:]]
    assert ("approve_release", "allowed") in actions
    assert actions[-1] == ("deny_release", "refused")


def test_letter_and_package_are_under_legal_hold(local_stack: RunningStack,
                                                client_for: Callable[[str], ApiClient],
                                                plate_reads: list[str],
                                                sjpd: dict[str, Any]) -> None:
    admin = client_for("admin.demo")
    filed = admin.post("/releases", letter_request(local_stack.clock(),
                                                   agency_id=sjpd["agency_id"])).json()
    s3: Any = boto3.client("s3")
    bucket = local_stack.environment["PLATEKEEPER_EVIDENCE_BUCKET"]
    key = f"releases/{filed['request_id']}/written-request.pdf"
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError):  # a legal hold refuses deleting the version
        s3.delete_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])


@pytest.mark.parametrize(("agency", "status"), [
    ({"agency_name": "Federal Bureau of Investigation"}, "prohibited"),
    ({"agency_name": "Oregon State Police"}, "prohibited"),
    ({"agency_name": "Golden State Recovery, Inc."}, "prohibited"),
    ({"directory": "San Jose Department of Transportation"}, "routed"),
])
def test_no_path_approves_what_the_law_forbids(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        plate_reads: list[str], agency: dict[str, str], status: str) -> None:
    admin = client_for("admin.demo")
    if "directory" in agency:
        entry = directory_entry(client_for, agency["directory"], "CA9TEST04",
                                ["sanjoseca.example.gov"], agency_type="other")
        agency = {"agency_id": entry["agency_id"]}
    filed = admin.post("/releases", letter_request(local_stack.clock(), **agency))
    assert filed.status_code == 201 and filed.json()["status"] == status, filed.text
    request_id = filed.json()["request_id"]
    approval = client_for("admin2.demo").post(f"/releases/{request_id}/approval",
                                              {"reason": "approve anyway"})
    assert approval.status_code == 403
    assert approval.json()["error"] in {"RELEASE_PROHIBITED", "RELEASE_ROUTED"}
    delivery = admin.post(f"/releases/{request_id}/delivery")
    assert delivery.status_code == 400
    stored = admin.get(f"/releases/{request_id}").json()
    assert stored["status"] == status and stored["export_id"] == ""


def test_records_staff_file_but_only_the_administrator_decides(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        make_user: Callable[..., Any], sjpd: dict[str, Any]) -> None:
    records = make_user(group="records_specialist")
    clerk = ApiClient(local_stack.api_url).login(records.username, records.password)
    filed = clerk.post("/releases", letter_request(local_stack.clock(), plate="6REL999",
                                                   agency_id=sjpd["agency_id"]))
    assert filed.status_code == 201
    request_id = filed.json()["request_id"]
    refused = clerk.post(f"/releases/{request_id}/approval", {"reason": "I approve myself"})
    assert refused.status_code == 403
    officer = client_for("officer.demo")
    assert officer.get("/releases").status_code == 403
    assert client_for("auditor.demo").post(
        "/releases", letter_request(local_stack.clock())).status_code == 403
    assert clerk.post("/agencies", {"name": "Gilroy Police Department"}).status_code == 403


@pytest.mark.parametrize(("changes", "code"), [
    ({"agency_name": ""}, "AGENCY_REQUIRED"),
    ({"requester_name": ""}, "REQUESTER_NAME_REQUIRED"),
    ({"purpose_detail": ""}, "PURPOSE_DETAIL_REQUIRED"),
    ({"document": None}, "DOCUMENT_REQUIRED"),
])
def test_incomplete_request_is_refused_and_nothing_is_filed(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        changes: dict[str, Any], code: str) -> None:
    admin = client_for("admin.demo")
    before = len(admin.get("/releases").json()["requests"])
    answer = admin.post("/releases", letter_request(
        local_stack.clock(), **{"agency_name": "Gilroy Police Department", **changes}))
    assert answer.status_code == 400 and answer.json()["error"] == code
    assert len(admin.get("/releases").json()["requests"]) == before
    refusals = [item for item in audit_items(local_stack)
                if item["action"]["S"] == "file_release_request"
                and item.get("refusal_code", {}).get("S") == code]
    assert refusals
