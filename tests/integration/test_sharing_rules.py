"""Sharing that no insider can bend, through the running stack: the agency directory (two
administrators), releases (two people), every way a hostile records clerk or administrator could
file ICE's or a repo company's request, entries written around the API, the last-administrator
lock-out, and all of it in the access record and the monthly report. Plus the two promises of
the public page (officers ask for holds, vendors see the system's status) as real routes."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests

from chalicelib.adapters.agencies_table import to_item
from chalicelib.domain.agencies import (
    AgencyEntry,
    AgencyFacts,
    AgencyType,
    EntryStatus,
    Level,
    entry_digest,
)
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser, one_time_code
from local_stack.stack import RunningStack
from tests.integration.conftest import audit_items, directory_entry

pytestmark = pytest.mark.integration

ICE = "U.S. Immigration and Customs Enforcement (DHS)"
LLC = "Vigilant Repo Recovery LLC"
PLATE = "4SHR555"
AGENCY = "Morgan Hill Police Department"


@pytest.fixture(scope="module")
def agency(client_for: Callable[[str], ApiClient]) -> dict[str, Any]:
    return directory_entry(client_for, AGENCY, "CA9TEST21", ["morganhill.example.gov"])


@pytest.fixture(scope="module")
def reads(local_stack: RunningStack) -> list[str]:
    """Two reads of PLATE in the last days."""
    from chalicelib.adapters.reads_table import ReadsTable

    table = ReadsTable(boto3.client("dynamodb"), local_stack.environment["PLATEKEEPER_READS_TABLE"])
    now = local_stack.clock()
    ids = []
    for index, hours in enumerate((2, 30)):
        captured = now - timedelta(hours=hours)
        read = Read(read_id=read_id_for(f"share-{uuid.uuid4()}", None, index), plate=PLATE,
                    captured_at=format_time(captured), camera_id="cam-s", confidence=0.9,
                    image_key="cameras/cam-s/seed.jpg",
                    expires_at=int((captured + timedelta(days=365)).timestamp()),
                    candidates=(Candidate(PLATE, 0.9),))
        table.put_new(read)
        ids.append(read.read_id)
    return ids


def letter(local_stack: RunningStack, **agency: Any) -> dict[str, Any]:
    now = local_stack.clock()
    return {**agency, "requester_name": "Det. P. Nguyen", "requester_contact": "+1 408 555 0101",
            "purpose": "stolen_vehicle", "purpose_detail": "Stolen vehicle, armed robbery",
            "case_number": "MH-26-0042", "plate": PLATE,
            "from": (now - timedelta(days=3)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
            "document": {"filename": "letter.txt", "content_type": "text/plain",
                         "content_base64": base64.b64encode(b"Written request").decode()}}


def refusals(local_stack: RunningStack, action: str, code: str) -> list[dict[str, Any]]:
    return [item for item in audit_items(local_stack) if item["action"]["S"] == action
            and item.get("refusal_code", {}).get("S") == code]


# ---------------------------------------------------------------------- the directory
def test_an_entry_needs_a_second_administrator(local_stack: RunningStack,
                                               client_for: Callable[[str], ApiClient]) -> None:
    admin, second = client_for("admin.demo"), client_for("admin2.demo")
    proposed = admin.post("/agencies", {"name": "Gilroy Police Department", "ori": "CA9TEST22",
                                        "agency_type": "law_enforcement", "level": "local",
                                        "county": "Santa Clara", "domains": ["gilroy.example.gov"]})
    assert proposed.status_code == 201 and proposed.json()["status"] == "proposed"
    agency_id = proposed.json()["agency_id"]
    active = [entry["agency_id"] for entry in admin.get("/agencies").json()["agencies"]]
    assert agency_id not in active  # not in the directory until confirmed
    waiting = admin.get("/agencies", {"status": "proposed"}).json()["agencies"]
    assert agency_id in [entry["agency_id"] for entry in waiting]

    own = admin.post(f"/agencies/{agency_id}/confirmation")
    assert own.status_code == 403 and own.json()["error"] == "SELF_CONFIRMATION"
    assert refusals(local_stack, "confirm_agency", "SELF_CONFIRMATION")

    confirmed = second.post(f"/agencies/{agency_id}/confirmation")
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["confirmed_by"]) == ("active",
                                                                            "admin2.demo")
    viewed = client_for("admin.demo").get(f"/agencies/{agency_id}").json()
    assert viewed["release_blockers"] == [] and viewed["proposed_by"] == "admin.demo"
    retired = second.post(f"/agencies/{agency_id}/retirement", {"reason": "test entry"})
    assert retired.json()["status"] == "retired"
    assert client_for("admin.demo").get(f"/agencies/{agency_id}").status_code == 200  # kept
    candidates = admin.get("/agencies/candidates").json()["candidates"]
    assert len(candidates) > 100 and all(row["ori"] == "" for row in candidates)


def test_records_staff_and_officers_cannot_touch_the_directory(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        agency: dict[str, Any]) -> None:
    records = client_for("records.demo")
    assert records.get("/agencies").status_code == 200  # to pick the agency of a request
    assert records.post("/agencies", {"name": "X"}).json()["error"] == "ROLE_NOT_PERMITTED"
    assert records.post(f"/agencies/{agency['agency_id']}/retirement",
                        {"reason": "x"}).status_code == 403
    assert client_for("officer.demo").get("/agencies").status_code == 403


@pytest.mark.parametrize("proposal", [
    {"name": ICE},
    {"name": "Enforcement and Removal Operations", "domains": ["ice.dhs.gov"]},
    {"name": "Immigration Field Office", "domains": ["sanjoseca.example.gov"]},
    {"name": "San Jose Police Department", "ori": "DCFBIWA00"},
    {"name": LLC},
    {"name": "Nevada Highway Patrol"},
    {"name": "Carson City Sheriff's Office"},
])
def test_federal_out_of_state_and_private_bodies_never_become_entries(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        proposal: dict[str, Any]) -> None:
    admin = client_for("admin.demo")
    body = {"ori": "CA9TEST29", "agency_type": "law_enforcement", "level": "local",
            "county": "Santa Clara", "domains": [], **proposal}
    answer = admin.post("/agencies", body)
    assert answer.status_code == 403 and answer.json()["error"] == "AGENCY_PROHIBITED"
    assert "1798.90.55(b)" in answer.json()["message"]
    names = [entry["name"] for status in ("active", "proposed")
             for entry in admin.get("/agencies", {"status": status}).json()["agencies"]]
    assert proposal["name"] not in names or proposal["name"] == "San Jose Police Department"
    record = refusals(local_stack, "propose_agency", "AGENCY_PROHIBITED")[-1]
    assert record["query"]["M"]["name"]["S"] == proposal["name"]


# ---------------------------------------------------------------------- two people per release
def test_the_filer_cannot_approve_and_a_second_person_must_acknowledge_warnings(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        agency: dict[str, Any], reads: list[str]) -> None:
    admin, second = client_for("admin.demo"), client_for("admin2.demo")
    filed = admin.post("/releases", letter(local_stack, agency_id=agency["agency_id"],
                                           sent_from="det.nguyen@gmail.com"))
    assert filed.status_code == 201 and filed.json()["status"] == "pending"
    request_id = filed.json()["request_id"]
    codes = sorted(warning["code"] for warning in filed.json()["warnings"])
    assert codes == ["AGENCY_NEW", "SENDER_DOMAIN_MISMATCH", "SENDER_NOT_AGENCY"]

    own = admin.post(f"/releases/{request_id}/approval",
                     {"reason": "I filed it, I approve it", "acknowledged_warnings": codes})
    assert own.status_code == 403 and own.json()["error"] == "SELF_APPROVAL"
    blind = second.post(f"/releases/{request_id}/approval", {"reason": "fine"})
    assert blind.status_code == 409 and blind.json()["error"] == "WARNINGS_NOT_ACKNOWLEDGED"
    assert "gmail.com" in blind.json()["message"]
    approved = second.post(f"/releases/{request_id}/approval", {
        "reason": "Called Morgan Hill PD's published number; Det. Nguyen confirmed",
        "acknowledged_warnings": codes})
    assert approved.status_code == 200, approved.text
    assert approved.json()["reads_released"] == 2
    assert approved.json()["acknowledged_warnings"] == codes
    assert approved.json()["filed_by"] == "admin.demo"
    assert approved.json()["decided_by"] == "admin2.demo"
    assert refusals(local_stack, "approve_release", "SELF_APPROVAL")
    assert refusals(local_stack, "approve_release", "WARNINGS_NOT_ACKNOWLEDGED")


# ---------------------------------------------------------------------- ICE, however filed
@pytest.mark.parametrize(("how", "agency_fields"), [
    ("named in free text", {"agency_name": ICE}),
    ("named as 'ICE ERO San Francisco'", {"agency_name": "ICE ERO San Francisco"}),
    ("under a Californian entry, sent from ice.dhs.gov",
     {"directory": True, "sent_from": "rdoe@ice.dhs.gov"}),
    ("under a Californian entry, sent from the FBI", {"directory": True,
                                                      "sent_from": "agent@ic.fbi.gov"}),
    ("the repo company in free text", {"agency_name": LLC}),
    ("the repo company as 'Golden State Recovery, Inc.'",
     {"agency_name": "Golden State Recovery, Inc."}),
])
def test_ice_and_the_llc_cannot_reach_approval_however_they_are_filed(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        agency: dict[str, Any], reads: list[str], how: str,
        agency_fields: dict[str, Any]) -> None:
    clerk, second = client_for("records.demo"), client_for("admin2.demo")
    fields = dict(agency_fields)
    if fields.pop("directory", False):
        fields["agency_id"] = agency["agency_id"]
    filed = clerk.post("/releases", letter(local_stack, **fields))
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "prohibited", how
    assert "1798.90.55(b)" in filed.json()["rule"]
    request_id = filed.json()["request_id"]
    for reviewer in (second, client_for("admin.demo")):
        forced = reviewer.post(f"/releases/{request_id}/approval", {
            "reason": "approve anyway", "acknowledged_warnings": [
                "AGENCY_NEW", "SENDER_DOMAIN_MISMATCH", "SENDER_MISSING"]})
        assert forced.status_code == 403 and forced.json()["error"] == "RELEASE_PROHIBITED"
    assert second.post(f"/releases/{request_id}/delivery").status_code == 400
    assert clerk.get(f"/releases/{request_id}").json()["export_id"] == ""


def test_the_form_cannot_say_an_agency_is_californian(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient]) -> None:
    """The filing form of the first version: jurisdiction and type typed in by the clerk."""
    answer = client_for("records.demo").post("/releases", {
        **letter(local_stack, agency_name="Regional Immigration Office"),
        "jurisdiction": "california_state_or_local", "agency_type": "law_enforcement"})
    assert answer.status_code == 400 and answer.json()["error"] == "AGENCY_FROM_DIRECTORY"
    assert refusals(local_stack, "file_release_request", "AGENCY_FROM_DIRECTORY")


def test_an_unlisted_disguised_agency_waits_and_linking_it_shows_every_warning(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        agency: dict[str, Any], reads: list[str]) -> None:
    clerk, second = client_for("records.demo"), client_for("admin2.demo")
    filed = clerk.post("/releases", letter(local_stack, agency_name="Enforcement Operations "
                                           "Office", sent_from="ops@gmail.com"))
    assert filed.json()["status"] == "unlisted"
    request_id = filed.json()["request_id"]
    refused = second.post(f"/releases/{request_id}/approval", {"reason": "ok"})
    assert refused.status_code == 403 and refused.json()["error"] == "AGENCY_NOT_IN_DIRECTORY"
    listed = clerk.get("/releases", {"status": "unlisted"}).json()["requests"]
    assert request_id in [item["request_id"] for item in listed]
    linked = clerk.post(f"/releases/{request_id}/agency", {"agency_id": agency["agency_id"]})
    assert linked.status_code == 200 and linked.json()["status"] == "pending"
    assert {"SENDER_NOT_AGENCY", "SENDER_DOMAIN_MISMATCH"} <= {
        warning["code"] for warning in linked.json()["warnings"]}
    denied = second.post(f"/releases/{request_id}/denial", {"reason": "sender not verified"})
    assert denied.json()["status"] == "denied"


# ---------------------------------------------------------------------- around the API
def write_entry_directly(local_stack: RunningStack, name: str, domains: tuple[str, ...],
                         ori: str) -> str:
    """What someone holding the application's database permissions could do: an ACTIVE entry
    written straight into the table, with no proposal or confirmation on the record."""
    facts = AgencyFacts(name, ori, AgencyType.LAW_ENFORCEMENT, Level.LOCAL, "Santa Clara", "",
                        domains)
    entry = AgencyEntry(agency_id=str(uuid.uuid4()), facts=facts, status=EntryStatus.ACTIVE,
                        proposed_by="admin.demo", proposed_at=format_time(local_stack.clock()),
                        digest=entry_digest(facts), proposal_seq=1, confirmed_by="admin2.demo",
                        confirmed_at=format_time(local_stack.clock() - timedelta(days=90)),
                        confirmation_seq=2)
    boto3.client("dynamodb").put_item(
        TableName=local_stack.environment["PLATEKEEPER_AGENCIES_TABLE"], Item=to_item(entry))
    return entry.agency_id


def test_entries_written_around_the_api_cannot_be_released_to(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        reads: list[str]) -> None:
    clerk, second = client_for("records.demo"), client_for("admin2.demo")
    ice = write_entry_directly(local_stack, ICE, ("ice.dhs.gov",), "CA9TEST31")
    filed = clerk.post("/releases", letter(local_stack, agency_id=ice,
                                           sent_from="rdoe@ice.example.org"))
    assert filed.json()["status"] == "prohibited"  # the entry is screened again at filing
    quiet = write_entry_directly(local_stack, "Bay Area Regional Enforcement Office",
                                 ("bareo.example.gov",), "CA9TEST32")
    filed = clerk.post("/releases", letter(local_stack, agency_id=quiet,
                                           sent_from="desk@bareo.example.gov"))
    assert filed.json()["status"] == "pending"
    approval = second.post(f"/releases/{filed.json()['request_id']}/approval",
                           {"reason": "looks fine"})
    assert approval.status_code == 403 and approval.json()["error"] == (
        "DIRECTORY_ENTRY_UNVERIFIED")
    assert "is not this entry's proposal" in approval.json()["message"]
    blockers = client_for("admin.demo").get(f"/agencies/{quiet}").json()["release_blockers"]
    assert blockers


def test_a_confirmed_entry_edited_in_the_table_stops_its_releases(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        reads: list[str]) -> None:
    entry = directory_entry(client_for, "Los Gatos-Monte Sereno Police Department", "CA9TEST23",
                            ["losgatosca.example.gov"])
    filed = client_for("records.demo").post("/releases", letter(
        local_stack, agency_id=entry["agency_id"], sent_from="det@losgatosca.example.gov"))
    assert filed.json()["status"] == "pending"
    table = local_stack.environment["PLATEKEEPER_AGENCIES_TABLE"]
    boto3.client("dynamodb").update_item(
        TableName=table, Key={"agency_id": {"S": entry["agency_id"]}},
        UpdateExpression="SET #domains = :domains",
        ExpressionAttributeNames={"#domains": "domains"},
        ExpressionAttributeValues={":domains": {"L": [{"S": "losgatosca.example.gov"},
                                                      {"S": "gmail.com"}]}})
    approval = client_for("admin2.demo").post(
        f"/releases/{filed.json()['request_id']}/approval",
        {"reason": "ok", "acknowledged_warnings": ["AGENCY_NEW"]})
    assert approval.status_code == 403
    assert approval.json()["error"] in {"RELEASE_PROHIBITED", "DIRECTORY_ENTRY_UNVERIFIED"}


# ---------------------------------------------------------------------- administrators
@pytest.fixture
def only_two_administrators(local_stack: RunningStack) -> Iterator[None]:
    """Every administrator but admin.demo and admin2.demo disabled for the test, then restored
    (other tests of the session create administrators of their own)."""
    cognito: Any = boto3.client("cognito-idp")
    pool = local_stack.environment["PLATEKEEPER_USER_POOL_ID"]
    members = [user for page in cognito.get_paginator("list_users_in_group").paginate(
        UserPoolId=pool, GroupName="administrator") for user in page["Users"]]
    others = [user["Username"] for user in members if user["Enabled"]
              and user["Username"] not in {"admin.demo", "admin2.demo"}]
    for username in others:
        cognito.admin_disable_user(UserPoolId=pool, Username=username)
    try:
        yield
    finally:
        for username in others:
            cognito.admin_enable_user(UserPoolId=pool, Username=username)


def test_administrators_cannot_lock_each_other_or_themselves_out(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        demo_users: dict[str, DemoUser], only_two_administrators: None) -> None:
    cognito: Any = boto3.client("cognito-idp")
    pool = local_stack.environment["PLATEKEEPER_USER_POOL_ID"]
    admin = client_for("admin.demo")
    client_for("admin2.demo")  # signed in before it is disabled below
    other = admin.put("/admin/users/admin2.demo/enabled",
                      {"enabled": False, "reason": "left the unit"})
    assert other.status_code == 409 and other.json()["error"] == "SOLE_ADMINISTRATOR"
    cognito.admin_disable_user(UserPoolId=pool, Username="admin2.demo")  # admin2 has left
    try:
        itself = admin.put("/admin/users/admin.demo/enabled",
                           {"enabled": False, "reason": "left the unit"})
        assert itself.status_code == 409 and itself.json()["error"] == "LAST_ADMINISTRATOR"
        assert client_for("admin.demo").get("/admin/users").status_code == 200  # still works
    finally:
        cognito.admin_enable_user(UserPoolId=pool, Username="admin2.demo")
    for code in ("SOLE_ADMINISTRATOR", "LAST_ADMINISTRATOR"):
        assert refusals(local_stack, "disable_user", code)
    officer_disabled = admin.put("/admin/users/expired.demo/enabled",
                                 {"enabled": False, "reason": "on leave"})
    assert officer_disabled.status_code == 200  # other accounts are not affected
    admin.put("/admin/users/expired.demo/enabled", {"enabled": True, "reason": "back from leave"})


# ---------------------------------------------------------------------- the two promises
def test_officers_ask_for_holds_and_an_administrator_approves(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        reads: list[str]) -> None:
    officer, admin = client_for("officer.demo"), client_for("admin.demo")
    review = (local_stack.clock() + timedelta(days=90)).date().isoformat()
    asked = officer.post("/holds/requests", {"read_ids": reads[:1], "case_number": "2026-008800",
                                             "reason": "evidence", "review_date": review})
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    request_id = asked.json()["request_id"]
    assert officer.post(f"/holds/requests/{request_id}/approval").status_code == 403
    waiting = admin.get("/holds/requests").json()["requests"]
    assert request_id in [item["request_id"] for item in waiting]
    approved = admin.post(f"/holds/requests/{request_id}/approval")
    assert approved.status_code == 200, approved.text
    hold = approved.json()["hold"]
    assert (hold["requested_by"], hold["approved_by"]) == ("officer.demo", "admin.demo")
    assert hold["reads_changed"] == 1
    again = admin.post(f"/holds/requests/{request_id}/approval")
    assert again.status_code == 400 and again.json()["error"] == "HOLD_REQUEST_DECIDED"
    own = admin.post("/holds/requests", {"read_ids": reads[1:], "case_number": "2026-008801",
                                         "reason": "evidence", "review_date": review})
    refused = admin.post(f"/holds/requests/{own.json()['request_id']}/approval")
    assert refused.status_code == 400 and refused.json()["error"] == "SELF_APPROVAL"
    declined = client_for("admin2.demo").post(
        f"/holds/requests/{own.json()['request_id']}/denial", {"reason": "not needed"})
    assert declined.json()["status"] == "request_declined"
    assert admin.post(f"/holds/{request_id}/release").status_code == 404  # not a hold


def test_vendors_see_the_system_status_and_nothing_with_plates(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        reads: list[str]) -> None:
    vendor = client_for("vendor.demo")
    status = vendor.get("/system/status")
    assert status.status_code == 200, status.text
    body = status.json()
    assert set(body) == {"generated_at", "cameras", "ingest", "access_record",
                         "last_monthly_audit", "camera_health"}
    assert body["camera_health"] and all(  # each camera's health: figures, never plates
        set(camera) >= {"camera_id", "state", "hourly"} for camera in body["camera_health"])
    assert body["access_record"]["records"] > 0 and PLATE not in status.text
    for path in ("/alerts", "/releases", "/agencies"):
        assert vendor.get(path).status_code == 403
    assert vendor.search(plate=PLATE).status_code == 403
    assert client_for("officer.demo").get("/system/status").status_code == 403


# ---------------------------------------------------------------------- the record and report
def test_every_attempt_is_in_the_monthly_report_and_the_public_page_counts_releases(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        agency: dict[str, Any], clock_offset: Callable[[timedelta], None]) -> None:
    """Runs after the tests above: their attempts are what the report must name."""
    auditor = client_for("auditor.demo")
    month = local_stack.clock().strftime("%Y-%m")
    built = auditor.post("/reports/monthly", {"month": month})
    assert built.status_code == 201, built.text
    report = auditor.get(f"/reports/monthly/{month}").json()["report"]
    kinds = {finding["kind"] for finding in report["findings"]}
    assert {"agency_refused_by_screen", "separation_of_duties_attempt",
            "release_request_prohibited", "release_to_new_agency",
            "release_sender_unverified", "directory_entry_unverified"} <= kinds
    attempts = {(finding["subject"], finding["facts"]["reason"])
                for finding in report["findings"]
                if finding["kind"] == "separation_of_duties_attempt"}
    assert {("admin.demo", "SELF_CONFIRMATION"), ("admin.demo", "SELF_APPROVAL"),
            ("admin.demo", "SOLE_ADMINISTRATOR"), ("admin.demo", "LAST_ADMINISTRATOR")
            } <= attempts
    screened = {finding["facts"]["name"] for finding in report["findings"]
                if finding["kind"] == "agency_refused_by_screen"}
    assert {ICE, LLC} <= screened
    prohibited = {finding["facts"]["agency"] for finding in report["findings"]
                  if finding["kind"] == "release_request_prohibited"}
    assert {ICE, LLC} <= prohibited
    approved = [row for row in report["releases"]["approved"] if row["agency"] == AGENCY]
    assert approved and approved[0]["directory"]["proposed_by"] == "admin.demo"
    assert approved[0]["directory"]["confirmed_by"] == "admin2.demo"
    assert approved[0]["filed_by"] == "admin.demo" and approved[0]["approved_by"] == (
        "admin2.demo")
    pairs = {(pair["filed_by"], pair["approved_by"]): pair["releases"]
             for pair in report["releases"]["filer_approver_pairs"]}
    assert pairs[("admin.demo", "admin2.demo")] >= 1
    assert all(filer != approver for filer, approver in pairs)
    html = requests.get(auditor.get(f"/reports/monthly/{month}").json()["html_url"],
                        timeout=30).text
    assert "The agency directory" in html and "Who filed and who approved" in html

    clock_offset(timedelta(seconds=301))  # past the public page's five-minute cache
    public = requests.get(f"{local_stack.api_url}/transparency.json", timeout=30).json()
    released = {row["agency"]: row for row in public["data_released_last_30_days"]}
    assert released[AGENCY]["releases"] >= 1 and released[AGENCY]["reads"] >= 2
    assert ICE not in released and LLC not in released
    assert public["agencies_in_directory"] >= 1
    roles = {role["role"]: role["may"] for role in public["authorized_roles"]}
    assert "ask for data to be held as evidence" in roles["sworn_officer"]
    assert roles["vendor_representative"] == ["see the system's status"]


def test_the_import_proposes_through_the_api_and_a_second_administrator_confirms(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        demo_users: dict[str, DemoUser], tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib import agency_cli

    seed = tmp_path / "agencies.csv"
    seed.write_text(
        "# an agency's own copy of the seed, ORIs filled in\n"
        "name,agency_type,level,county,city,ori,domains\n"
        "Salinas Police Department,law_enforcement,local,Monterey,Salinas,CA9TEST41,"
        "salinas.example.gov\n"
        "Monterey County District Attorney's Office,prosecutorial,local,Monterey,,CA9TEST42,\n"
        "Clovis Police Department,law_enforcement,local,Fresno,Clovis,,\n"
        f"{ICE},law_enforcement,local,Monterey,,CA9TEST43,ice.dhs.gov\n", encoding="utf-8")
    monkeypatch.setenv(agency_cli.PASSWORD_VARIABLE, demo_users["admin.demo"].password)
    status = agency_cli.main(["import", str(seed), "--api", local_stack.api_url,
                              "--username", "admin.demo", "--mfa-code",
                              one_time_code(demo_users["admin.demo"].totp_secret)])
    printed = capsys.readouterr().out
    assert status == 1  # the ICE row was refused
    assert "2 proposed" in printed and "1 skipped without an ORI" in printed
    assert "AGENCY_PROHIBITED" in printed
    waiting = {entry["name"]: entry for entry in client_for("admin.demo").get(
        "/agencies", {"status": "proposed"}).json()["agencies"]}
    salinas = waiting["Salinas Police Department"]
    assert salinas["source"] == "import" and salinas["proposed_by"] == "admin.demo"
    assert client_for("admin.demo").post(
        f"/agencies/{salinas['agency_id']}/confirmation").json()["error"] == "SELF_CONFIRMATION"
    assert client_for("admin2.demo").post(
        f"/agencies/{salinas['agency_id']}/confirmation").json()["status"] == "active"
