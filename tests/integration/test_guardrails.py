"""What one officer can pull, tried through the running API as a careless or hostile insider would
(issue 17): filler case numbers, a year of one car's movements, an extraction hidden as many
small searches, password guessing, bad camera credentials and bodies built to crash the parser.
Each is refused with a named reason or recorded as one event, and every attempt is in the record.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import requests

from chalicelib.adapters.reads_table import ReadsTable
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from local_stack.api_client import ApiClient
from local_stack.gateway import REQUEST_ID_HEADER
from local_stack.seed import DemoUser, one_time_code
from local_stack.stack import RunningStack
from tests.integration.conftest import audit_items, last_audit

pytestmark = pytest.mark.integration
TRACKED = "6TRK360"
CASE = "2026-017017"
DAYS_OF_HISTORY = 360


def fields(item: dict[str, Any]) -> dict[str, Any]:
    """An audit item as plain values (query as a dict of strings)."""
    plain = {name: next(iter(value.values())) for name, value in item.items()}
    plain["query"] = {name: value["S"] for name, value in item.get("query", {}).get("M", {})
                      .items()}
    return plain


def records_with(local_stack: RunningStack, request_id: str) -> list[dict[str, Any]]:
    return [fields(item) for item in audit_items(local_stack)
            if item.get("request_id", {}).get("S") == request_id]


def request_id_of(response: requests.Response) -> str:
    return str(response.headers[REQUEST_ID_HEADER])


@pytest.fixture(scope="module")
def year_of_one_car(local_stack: RunningStack) -> dict[str, Any]:
    """A read of TRACKED on each of the last DAYS_OF_HISTORY days (home, work, clinic, ...)."""
    env = local_stack.environment
    table = ReadsTable(boto3.client("dynamodb"), env["PLATEKEEPER_READS_TABLE"])
    now = local_stack.clock()
    places = [(37.3541, -121.9552), (37.3861, -122.0839), (37.3318, -121.8916)]
    for day in range(DAYS_OF_HISTORY):
        captured = now - timedelta(days=day, hours=2)
        lat, lon = places[day % len(places)]
        table.put_new(Read(
            read_id=read_id_for(f"year-{uuid.uuid4()}", None, 0), plate=TRACKED,
            captured_at=format_time(captured), camera_id=f"cam-{day % 3}", confidence=0.95,
            image_key=f"cameras/cam-{day % 3}/{captured.date().isoformat()}/y.jpg",
            expires_at=int((captured + timedelta(days=365)).timestamp()),
            candidates=(Candidate(TRACKED, 0.95),), lat=lat, lon=lon))
    return {"now": now, "from": (now - timedelta(days=DAYS_OF_HISTORY + 1)).isoformat(),
            "to": (now + timedelta(minutes=1)).isoformat()}


def year_search(client: ApiClient, window: dict[str, Any], **body: Any) -> requests.Response:
    return client.search(plate=TRACKED, purpose="criminal_investigation", case_number=CASE,
                         page_size=200, **{"from": window["from"], "to": window["to"]}, **body)


# ---------------------------------------------------------------------- case numbers
@pytest.mark.parametrize("case_number", ["1234", "none", "NONE", "N/A", "0000", "ASDF", "ABCD",
                                         "UNKNOWN", "TEST", "test-1", "1111", "2026-0000",
                                         "qwerty", "CASE", "12345678"])
def test_filler_case_numbers_are_refused_and_recorded(
        local_stack: RunningStack, officer: ApiClient, case_number: str) -> None:
    response = officer.search(plate="7ABC123", purpose="criminal_investigation",
                              case_number=case_number)
    assert (response.status_code, response.json()["error"]) == (400, "CASE_NUMBER_PLACEHOLDER")
    assert "428.6(b)" in response.json()["message"]
    record = records_with(local_stack, request_id_of(response))[0]
    assert (record["outcome"], record["refusal_code"]) == ("refused", "CASE_NUMBER_PLACEHOLDER")


def test_a_case_number_outside_the_agency_format_is_refused(officer: ApiClient) -> None:
    response = officer.search(plate="7ABC123", case_number="KX9")
    assert (response.status_code, response.json()["error"]) == (400, "CASE_NUMBER_INVALID")
    assert "2026-001234" in response.json()["message"]  # the configured example


# ---------------------------------------------------------------------- long histories
def test_an_exact_search_without_a_start_covers_the_last_30_days(
        officer: ApiClient, year_of_one_car: dict[str, Any]) -> None:
    response = officer.search(plate=TRACKED, case_number=CASE, page_size=200)
    assert response.status_code == 200
    oldest = min(row["captured_at"] for row in response.json()["results"])
    assert len(response.json()["results"]) == 30
    assert oldest >= format_time(year_of_one_car["now"] - timedelta(days=30))


def test_a_year_of_one_car_is_refused_without_authority(
        local_stack: RunningStack, officer: ApiClient, year_of_one_car: dict[str, Any]) -> None:
    response = year_search(officer, year_of_one_car)
    assert (response.status_code, response.json()["error"]) == (403, "AUTHORITY_REQUIRED")
    assert "30 days" in response.json()["message"]
    record = records_with(local_stack, request_id_of(response))[0]
    assert (record["outcome"], record["refusal_code"]) == ("refused", "AUTHORITY_REQUIRED")
    for mode, plate in (("partial", "6TRK*"), ("fuzzy", "6TRK36O")):
        now = year_of_one_car["now"]  # 31 days: within partial/fuzzy bounds, past 30
        other = officer.search(mode=mode, plate=plate, case_number=CASE,
                               **{"from": (now - timedelta(days=31)).isoformat(),
                                  "to": now.isoformat()})
        assert (other.status_code, other.json()["error"]) == (403, "AUTHORITY_REQUIRED"), mode


@pytest.mark.parametrize(("authority", "code"), [
    ({"kind": "supervisor_approval"}, "APPROVAL_NOT_FOUND"),
    ({"kind": "warrant", "reference": "NONE"}, "AUTHORITY_REFERENCE_INVALID"),
    ({"kind": "warrant", "reference": ""}, "AUTHORITY_REFERENCE_INVALID"),
    ({"kind": "court_order", "reference": "0000"}, "AUTHORITY_REFERENCE_INVALID"),
    ({"kind": "my_own_say_so", "reference": "SW-1"}, "AUTHORITY_INVALID"),
    ("warrant", "AUTHORITY_INVALID"),
])
def test_invented_authority_is_refused(officer: ApiClient, year_of_one_car: dict[str, Any],
                                       authority: Any, code: str) -> None:
    response = year_search(officer, year_of_one_car, authority=authority)
    assert response.json()["error"] == code
    assert response.status_code in (400, 403)


def test_a_warrant_number_allows_the_year_and_is_recorded(
        local_stack: RunningStack, officer: ApiClient, year_of_one_car: dict[str, Any]) -> None:
    response = year_search(officer, year_of_one_car,
                           authority={"kind": "warrant", "reference": "SW-2026-0042"})
    assert response.status_code == 200, response.text
    record = records_with(local_stack, request_id_of(response))[0]
    assert (record["authority"], record["authority_ref"]) == ("warrant", "SW-2026-0042")


def test_a_supervisors_approval_allows_the_year_once_per_user_plate_and_case(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        year_of_one_car: dict[str, Any]) -> None:
    officer, sergeant = client_for("officer.demo"), client_for("sergeant.demo")
    own = sergeant.post("/search-approvals", {"searcher": "sergeant.demo", "plate": TRACKED,
                                              "case_number": CASE, "reason": "my own case"})
    assert (own.status_code, own.json()["error"]) == (403, "APPROVER_IS_SEARCHER")
    assert records_with(local_stack, request_id_of(own))[0]["refusal_code"] == \
        "APPROVER_IS_SEARCHER"
    assert officer.post("/search-approvals", {
        "searcher": "sergeant.demo", "plate": TRACKED, "case_number": CASE,
        "reason": "x"}).json()["error"] == "ROLE_NOT_PERMITTED"

    approved = sergeant.post("/search-approvals", {
        "searcher": "officer.demo", "plate": TRACKED, "case_number": CASE, "hours": 4,
        "reason": "Pattern of a suspect vehicle in the Main St burglaries"})
    assert approved.status_code == 201, approved.text
    approval = approved.json()
    assert approval["approver"] == "sergeant.demo"
    assert approval["expires_at"] == format_time(
        datetime.fromisoformat(approval["created_at"].replace("Z", "+00:00"))
        + timedelta(hours=4))
    mine = officer.get("/search-approvals").json()["approvals"]
    assert approval["approval_id"] in {item["approval_id"] for item in mine}

    by_approval = {"kind": "supervisor_approval"}
    other_case = officer.search(plate=TRACKED, case_number="2026-017018", page_size=200,
                                authority=by_approval, **{"from": year_of_one_car["from"]})
    assert other_case.json()["error"] == "APPROVAL_NOT_FOUND" or \
        other_case.json()["error"] == "APPROVAL_FOR_ANOTHER_CASE"
    with_id = {"kind": "supervisor_approval", "reference": approval["approval_id"]}
    other_plate = officer.search(plate="7ABC123", case_number=CASE, authority=with_id,
                                 **{"from": year_of_one_car["from"]})
    assert other_plate.json()["error"] == "APPROVAL_FOR_ANOTHER_PLATE"
    analyst = client_for("analyst.demo")
    borrowed = year_search(analyst, year_of_one_car, authority=with_id)
    assert borrowed.json()["error"] == "APPROVAL_FOR_ANOTHER_USER"

    # The whole year, in two pages, recorded as one search on the sergeant's approval.
    first = year_search(officer, year_of_one_car, authority=by_approval)
    assert first.status_code == 200, first.text
    second = year_search(officer, year_of_one_car, authority=by_approval,
                         cursor=first.json()["next_cursor"])
    assert second.status_code == 200, second.text
    assert second.json()["next_cursor"] is None
    total = len(first.json()["results"]) + len(second.json()["results"])
    assert total == DAYS_OF_HISTORY
    pages = [records_with(local_stack, request_id_of(response))[0]
             for response in (first, second)]
    assert {record["search_id"] for record in pages} == {first.json()["search_id"]}
    assert [(record["page"], record["cumulative_results"]) for record in pages] == [
        ("1", "200"), ("2", str(DAYS_OF_HISTORY))]
    assert {record["authority"] for record in pages} == {"supervisor_approval"}
    assert all(record["authority_ref"] == f"{approval['approval_id']} by sergeant.demo"
               for record in pages)

    # Revoked: the next search is refused at once.
    revoked = sergeant.post(f"/search-approvals/{approval['approval_id']}/revocation")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    again = year_search(officer, year_of_one_car, authority=with_id)
    assert (again.status_code, again.json()["error"]) == (403, "APPROVAL_NOT_FOUND")


# ---------------------------------------------------------------------- one search, one record
def test_pages_are_continuations_of_one_search_and_cursors_cannot_be_bent(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient],
        year_of_one_car: dict[str, Any]) -> None:
    officer = client_for("officer.demo")
    body = {"plate": TRACKED, "case_number": CASE, "page_size": 7}
    responses = [officer.search(**body)]
    while responses[-1].json()["next_cursor"]:
        responses.append(officer.search(**body, cursor=responses[-1].json()["next_cursor"]))
    assert len(responses) == 5  # 30 reads in the default window, 7 a page
    records = [records_with(local_stack, request_id_of(response))[0] for response in responses]
    assert len({record["search_id"] for record in records}) == 1
    assert [int(record["page"]) for record in records] == [1, 2, 3, 4, 5]
    assert [int(record["cumulative_results"]) for record in records] == [7, 14, 21, 28, 30]
    assert records[0]["query"]["from"] == records[-1]["query"]["from"]  # the window did not move

    cursor = responses[0].json()["next_cursor"]
    stolen = client_for("analyst.demo").search(**body, cursor=cursor)
    assert stolen.json()["error"] == "CURSOR_INVALID"
    changed = officer.search(**{**body, "plate": "7ABC123"}, cursor=cursor)
    assert changed.json()["error"] == "CURSOR_INVALID"
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    pointed = {**decoded, "r": int(records[-1]["seq"])}  # another page's record
    forged = base64.urlsafe_b64encode(json.dumps(pointed).encode()).decode().rstrip("=")
    assert officer.search(**body, cursor=forged).json()["error"] == "CURSOR_INVALID"
    assert officer.search(**body, cursor="bm90IGEgY3Vyc29y").json()["error"] == "CURSOR_INVALID"


# ---------------------------------------------------------------------- sign-in attempts
def sign_in(local_stack: RunningStack, username: str, password: str) -> requests.Response:
    return requests.post(f"{local_stack.api_url}/auth/login", timeout=30,
                         json={"username": username, "password": password})


def test_every_failed_sign_in_is_recorded_with_its_reason(
        local_stack: RunningStack, make_user: Callable[..., DemoUser]) -> None:
    user = make_user()
    unknown = sign_in(local_stack, "nobody.here", "Whatever-2026!pk")
    wrong = sign_in(local_stack, user.username, "Not-The-Password-1!")
    assert unknown.json() == wrong.json() == {"error": "LOGIN_FAILED",
                                              "message": "wrong username or password"}
    started = sign_in(local_stack, user.username, user.password).json()
    assert started["challenge"] == "SOFTWARE_TOKEN_MFA"
    challenge = {"username": user.username, "session": started["session"]}
    missing = requests.post(f"{local_stack.api_url}/auth/mfa", timeout=30,
                            json={**challenge, "code": ""})
    bad = requests.post(f"{local_stack.api_url}/auth/mfa", timeout=30,
                        json={**challenge, "code": other_code(user.totp_secret)})
    assert missing.status_code == bad.status_code == 401
    expected = [(unknown, "anonymous", "UNKNOWN_USER"), (wrong, user.username, "WRONG_PASSWORD"),
                (missing, user.username, "MFA_CODE_MISSING"), (bad, user.username,
                                                               "MFA_CODE_WRONG")]
    for response, username, code in expected:
        record = records_with(local_stack, request_id_of(response))[0]
        assert (record["action"], record["outcome"], record["refusal_code"]) == (
            "sign_in", "refused", code)
        assert record["username"] == username
        assert record["source_ip"] == "127.0.0.1"
    assert records_with(local_stack, request_id_of(unknown))[0]["query"]["username"] == \
        "nobody.here"
    good = ApiClient(local_stack.api_url).login(user.username, user.password)
    assert good.token
    assert (last_audit(local_stack)["action"], last_audit(local_stack)["outcome"]) == (
        "sign_in", "allowed")


def other_code(secret: str) -> str:
    import time

    near = {one_time_code(secret, time.time() + step * 30) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222") if code not in near)


def test_five_failures_in_fifteen_minutes_lock_the_account_for_fifteen(
        local_stack: RunningStack, make_user: Callable[..., DemoUser],
        clock_offset: Callable[[timedelta], None]) -> None:
    user = make_user()
    for _ in range(5):
        assert sign_in(local_stack, user.username, "Guess-Password-1!").status_code == 401
    lock = next(fields(item) for item in reversed(audit_items(local_stack))
                if item["action"]["S"] == "account_locked")
    assert lock["username"] == user.username
    started = datetime.fromisoformat(lock["query"]["locked_from"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(lock["query"]["locked_until"].replace("Z", "+00:00"))
    assert until - started == timedelta(minutes=15)
    # The right password does not get through while locked, and the attempt is recorded.
    locked = sign_in(local_stack, user.username, user.password)
    assert (locked.status_code, locked.json()["error"]) == (403, "ACCOUNT_LOCKED")
    assert records_with(local_stack, request_id_of(locked))[0]["refusal_code"] == \
        "ACCOUNT_LOCKED"
    # Case does not open another door (the pool compares usernames without case).
    assert sign_in(local_stack, user.username.upper(), user.password).status_code == 403
    clock_offset(timedelta(minutes=16))
    assert ApiClient(local_stack.api_url).login(user.username, user.password).token


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(
        local_stack: RunningStack, make_user: Callable[..., DemoUser],
        clock_offset: Callable[[timedelta], None]) -> None:
    user = make_user()
    for _ in range(4):
        sign_in(local_stack, user.username, "Guess-Password-1!")
    clock_offset(timedelta(minutes=16))
    assert sign_in(local_stack, user.username, "Guess-Password-1!").status_code == 401
    assert ApiClient(local_stack.api_url).login(user.username, user.password).token


# ---------------------------------------------------------------------- cameras and bodies
def test_refused_camera_credentials_are_recorded(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient]) -> None:
    admin = client_for("admin.demo")
    camera = admin.post("/admin/cameras", {"camera_id": f"grd-{uuid.uuid4().hex[:6]}",
                                           "name": "guardrails", "kind": "mobile"}).json()
    assert admin.post(f"/admin/cameras/{camera['camera_id']}/revocation").status_code == 200
    ticket = {"content_type": "image/jpeg", "content_length": 1000,
              "captured_at": local_stack.clock().isoformat()}
    ghost = "pkc_ghost-cam." + "A" * 40
    for credential, claimed in ((camera["credential"], camera["camera_id"]),
                                (ghost, "ghost-cam"), ("not-a-credential", ""), (None, "")):
        headers = {"X-Camera-Credential": credential} if credential else {}
        response = requests.post(f"{local_stack.api_url}/uploads", json=ticket, timeout=30,
                                 headers=headers)
        assert (response.status_code, response.json()["error"]) == (401, "CAMERA_UNAUTHORIZED")
        record = records_with(local_stack, request_id_of(response))[0]
        assert (record["action"], record["refusal_code"]) == ("camera_sign_in",
                                                              "CAMERA_UNAUTHORIZED")
        assert record["query"].get("claimed_camera_id", "") == claimed
        assert record["source_ip"] == "127.0.0.1"


DEEP = b"[" * 10_000 + b"]" * 10_000


@pytest.mark.parametrize(("path", "caller"), [
    ("/reads/search", "officer.demo"), ("/releases", "admin.demo"),
    ("/auth/login", None), ("/uploads", "camera"), ("/search-approvals", "sergeant.demo")])
@pytest.mark.parametrize("body", [DEEP, b'{"plate": ' + b"[" * 40 + b"]" * 40 + b"}",
                                  b'{"near": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001],
                         ids=["10000 deep", "40 deep", "objects 5000 deep"])
def test_bodies_nested_too_deep_are_a_400_and_recorded(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient], path: str,
        caller: str | None, body: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    if caller == "camera":
        camera = client_for("admin.demo").post("/admin/cameras", {
            "camera_id": f"deep-{uuid.uuid4().hex[:6]}", "name": "deep", "kind": "mobile"}).json()
        headers["X-Camera-Credential"] = camera["credential"]
    elif caller:
        headers.update(client_for(caller).headers(True))
    response = requests.post(local_stack.api_url + path, data=body, headers=headers, timeout=30)
    assert (response.status_code, response.json()["error"]) == (400, "BODY_TOO_DEEP")
    record = records_with(local_stack, request_id_of(response))[0]
    assert (record["outcome"], record["refusal_code"]) == ("refused", "BODY_TOO_DEEP")
    assert record["query"]["route"] == f"POST {path}"
    assert record["source_ip"] == "127.0.0.1"
    if caller == "camera":
        assert record["username"].startswith("camera:deep-")
    elif caller:
        assert record["username"] == caller


@pytest.mark.parametrize("plate", [7123, ["7ABC123"], {"plate": "7ABC123"}, True])
def test_a_plate_of_the_wrong_type_is_plate_invalid(officer: ApiClient, plate: Any) -> None:
    response = officer.search(plate=plate)
    assert (response.status_code, response.json()["error"]) == (400, "PLATE_INVALID")
