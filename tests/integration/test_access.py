"""Officer access through the running API: sign-in, refusals, search, views and the record."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from chalicelib.adapters.audit_log import AuditLog, AuditUnavailable
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from local_stack.api_client import WARRANT, ApiClient, LoginError
from local_stack.seed import DemoUser, one_time_code, store_reads
from local_stack.stack import RunningStack
from tests.integration.conftest import audit_items, last_audit

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seeded_reads(local_stack: RunningStack) -> dict[str, Any]:
    """Reads of a few plates over the last days, written straight into the reads table."""
    env = local_stack.environment
    s3: Any = boto3.client("s3")
    now = local_stack.clock()
    image_key = f"cameras/cam-a/{now.date().isoformat()}/seed.jpg"
    s3.put_object(Bucket=env["PLATEKEEPER_RAW_BUCKET"], Key=image_key,
                  Body=b"\xff\xd8\xff\xe0seed")
    plan = [("7ABC123", "cam-a", 1), ("7ABC123", "cam-b", 30), ("7ABC128", "cam-a", 50),
            ("8OB1S23", "cam-b", 70), ("7XYZ999", "cam-a", 90), ("7ABD123", "cam-a", 200)]
    reads = []
    for index, (plate, camera, hours_ago) in enumerate(plan):
        captured = now - timedelta(hours=hours_ago)
        candidates = (Candidate(plate, 0.9),)
        if plate == "7ABD123":
            candidates += (Candidate("7ABC124", 0.05),)
        read = Read(read_id=read_id_for(f"seed-{uuid.uuid4()}", None, index), plate=plate,
                    captured_at=format_time(captured), camera_id=camera, confidence=0.9,
                    image_key=image_key, expires_at=int((captured + timedelta(days=365))
                                                        .timestamp()),
                    candidates=candidates, lat=37.35, lon=-121.95)
        reads.append(read)
    store_reads(env, reads)
    return {"reads": reads, "now": now}


def window(seeded: dict[str, Any], days: int = 10) -> dict[str, str]:
    now: datetime = seeded["now"]
    return {"from": (now - timedelta(days=days)).isoformat(),
            "to": (now + timedelta(minutes=1)).isoformat()}


# ---------------------------------------------------------------------- sign-in and refusals
def test_no_token_is_refused_and_recorded(local_stack: RunningStack) -> None:
    response = ApiClient(local_stack.api_url).search(plate="7ABC123")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHENTICATED"
    record = last_audit(local_stack)
    assert (record["outcome"], record["refusal_code"]) == ("refused", "UNAUTHENTICATED")
    assert record["query"]["plate"]["S"] == "7ABC123"


def test_forged_token_is_refused(local_stack: RunningStack, officer: ApiClient) -> None:
    claims = jwt.decode(str(officer.token), options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})
    client = ApiClient(local_stack.api_url, token=forged)
    assert client.search(plate="7ABC123").status_code == 401


def moto_signing_key() -> Any:
    """The private key moto signs every pool's tokens with (shipped in its package)."""
    return jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))


@pytest.mark.parametrize(("change", "message"), [
    ({"exp": int(time.time()) - 10}, "expired"),
    ({"aud": "some-other-client"}, "not valid"),
    ({"iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_other"}, "not valid"),
    ({"token_use": "access"}, "ID token"),
])
def test_correctly_signed_tokens_with_bad_claims_are_refused(
        local_stack: RunningStack, officer: ApiClient, change: dict[str, Any],
        message: str) -> None:
    claims = jwt.decode(str(officer.token), options={"verify_signature": False})
    key = moto_signing_key()
    token = jwt.encode({**claims, **change}, key.key, algorithm="RS256",
                       headers={"kid": key.key_id})
    response = ApiClient(local_stack.api_url, token=token).search(plate="7ABC123")
    assert response.status_code == 401
    assert message in response.json()["message"]


def test_unchanged_claims_signed_by_moto_key_are_accepted(officer: ApiClient) -> None:
    """Control for the test above: the re-signing itself is not what gets refused."""
    claims = jwt.decode(str(officer.token), options={"verify_signature": False})
    key = moto_signing_key()
    token = jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": key.key_id})
    assert ApiClient(officer.base_url, token=token).search(plate="7ABC123").status_code == 200


def test_token_from_another_user_pool_is_refused(local_stack: RunningStack) -> None:
    cognito: Any = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="other",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="officer.demo", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username="officer.demo",
                                    Password="Other-Pool-2026!pk", Permanent=True)
    tokens = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "officer.demo",
                                                   "PASSWORD": "Other-Pool-2026!pk"})
    token = tokens["AuthenticationResult"]["IdToken"]
    response = ApiClient(local_stack.api_url, token=token).search(plate="7ABC123")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHENTICATED"


def test_expired_clets_certification_is_refused_with_reason(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient]) -> None:
    response = client_for("expired.demo").search(plate="7ABC123")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "CERTIFICATION_EXPIRED"
    assert "two years" in body["message"]
    record = last_audit(local_stack)
    assert (record["username"], record["refusal_code"]) == ("expired.demo",
                                                            "CERTIFICATION_EXPIRED")


@pytest.mark.parametrize(("changes", "code"), [
    ({"approved": False}, "ACCOUNT_NOT_APPROVED"),
    ({"training_date": ""}, "TRAINING_MISSING"),
    ({"clets_cert_date": ""}, "CERTIFICATION_MISSING"),
])
def test_account_state_rules(local_stack: RunningStack, make_user: Callable[..., DemoUser],
                             changes: dict[str, Any], code: str) -> None:
    user = make_user(**changes)
    client = ApiClient(local_stack.api_url).login(user.username, user.password)
    response = client.search(plate="7ABC123")
    assert (response.status_code, response.json()["error"]) == (403, code)


def test_idle_account_is_suspended_until_reapproved(
        local_stack: RunningStack, make_user: Callable[..., DemoUser],
        client_for: Callable[[str], ApiClient],
        clock_offset: Callable[[timedelta], None]) -> None:
    user = make_user()
    client = ApiClient(local_stack.api_url).login(user.username, user.password)
    assert client.search(plate="7ABC123").status_code == 200
    clock_offset(timedelta(days=91))
    idle = client.search(plate="7ABC123")
    assert (idle.status_code, idle.json()["error"]) == (403, "ACCOUNT_IDLE")
    # An administrator active at that later date (the demo one would be idle by then too).
    later = local_stack.clock().date().isoformat()
    admin_user = make_user(group="administrator", mfa=True, approved_on=later)
    admin = ApiClient(local_stack.api_url).login(admin_user.username, admin_user.password)
    assert admin.post(f"/admin/users/{user.username}/approval").status_code == 200
    client.login(user.username, user.password)
    assert client.search(plate="7ABC123").status_code == 200


def test_disabled_account_is_refused_even_with_a_valid_token(
        local_stack: RunningStack, make_user: Callable[..., DemoUser],
        client_for: Callable[[str], ApiClient]) -> None:
    user = make_user()
    client = ApiClient(local_stack.api_url).login(user.username, user.password)
    admin = client_for("admin.demo")
    assert admin.put(f"/admin/users/{user.username}/enabled",
                     {"enabled": False, "reason": "left the unit"}).status_code == 200
    response = client.search(plate="7ABC123")
    assert (response.status_code, response.json()["error"]) == (403, "ACCOUNT_DISABLED")


@pytest.mark.parametrize("group", ["administrator", "sworn_officer", "auditor"])
def test_a_plate_seeing_role_without_an_authenticator_gets_no_token(
        local_stack: RunningStack, make_user: Callable[..., DemoUser], group: str) -> None:
    """CJIS: multi-factor for every role that sees plate data. A password alone yields an
    enrolment, never a token; a token fetched from Cognito directly is refused by the API."""
    user = make_user(group=group, mfa=False)
    with pytest.raises(LoginError, match="MFA_SETUP"):
        ApiClient(local_stack.api_url).login(user.username, user.password)
    env = local_stack.environment
    direct = boto3.client("cognito-idp").initiate_auth(
        ClientId=env["PLATEKEEPER_USER_POOL_CLIENT_ID"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password})
    client = ApiClient(local_stack.api_url, token=direct["AuthenticationResult"]["IdToken"])
    path = {"administrator": "/admin/users", "sworn_officer": "/alerts",
            "auditor": "/reports/monthly"}[group]
    response = client.get(path)
    assert (response.status_code, response.json()["error"]) == (403, "MFA_REQUIRED")


def test_enrolling_an_authenticator_needs_a_right_code_then_sign_in_asks_for_codes(
        local_stack: RunningStack, make_user: Callable[..., DemoUser]) -> None:
    user = make_user(mfa=False)
    started = requests.post(f"{local_stack.api_url}/auth/login", timeout=30, json={
        "username": user.username, "password": user.password}).json()
    assert (started["challenge"], started["id_token"]) == ("MFA_SETUP", None)
    assert started["otpauth_uri"].startswith(f"otpauth://totp/Platekeeper:{user.username}?")
    secret = started["secret_code"]
    setup = {"username": user.username, "session": started["session"]}
    wrong = requests.post(f"{local_stack.api_url}/auth/mfa/setup", timeout=30,
                          json={**setup, "code": wrong_code(secret)})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "MFA_SETUP_FAILED")
    right = requests.post(f"{local_stack.api_url}/auth/mfa/setup", timeout=30,
                          json={**setup, "code": one_time_code(secret)})
    assert right.status_code == 200, right.text
    assert last_audit(local_stack)["action"] == "enrol_authenticator"
    client = ApiClient(local_stack.api_url).login(user.username, user.password,
                                                  mfa_code=one_time_code(secret))
    assert client.search(plate="7ABC123").status_code == 200


def wrong_code(secret: str) -> str:
    """A six-digit code that is not the current one (nor the neighbouring steps')."""
    now = time.time()
    near = {one_time_code(secret, now + step * 30) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222") if code not in near)


def test_auditor_reads_the_record_but_not_plates(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient]) -> None:
    auditor = client_for("auditor.demo")
    refused = auditor.search(plate="7ABC123")
    assert (refused.status_code, refused.json()["error"]) == (403, "ROLE_NOT_PERMITTED")
    records = auditor.get("/audit", {"username": "auditor.demo"})
    assert records.status_code == 200
    assert any(row["refusal_code"] == "ROLE_NOT_PERMITTED" for row in records.json()["records"])
    csv_export = auditor.get("/audit", {"format": "csv", "plate": "7ABC123"})
    assert csv_export.status_code == 200
    assert csv_export.headers["Content-Type"].startswith("text/csv")
    assert csv_export.text.splitlines()[0].startswith("seq,at,user_id,username")


# ---------------------------------------------------------------------- purpose and search
@pytest.mark.parametrize(("purpose", "case_number", "code"), [
    ("", "2026-000123", "PURPOSE_REQUIRED"),
    ("curiosity", "2026-000123", "PURPOSE_INVALID"),
    ("warrant", "", "CASE_NUMBER_REQUIRED"),
    ("warrant", "x", "CASE_NUMBER_INVALID"),
])
def test_search_needs_a_listed_purpose_and_a_case_number(
        local_stack: RunningStack, officer: ApiClient, purpose: str, case_number: str,
        code: str) -> None:
    response = officer.search(plate="7ABC123", purpose=purpose, case_number=case_number)
    assert (response.status_code, response.json()["error"]) == (400, code)
    record = last_audit(local_stack)
    assert (record["outcome"], record["refusal_code"]) == ("refused", code)


def test_exact_search_returns_newest_first_and_is_recorded(
        local_stack: RunningStack, officer: ApiClient, seeded_reads: dict[str, Any]) -> None:
    response = officer.search(plate="7abc-123", case_number="2026-000777", purpose="warrant")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["camera_id"] for row in results] == ["cam-a", "cam-b"]
    assert all(row["matched_because"] == "exact plate" for row in results)
    record = last_audit(local_stack)
    assert record["outcome"] == "allowed"
    assert record["query"]["plate"]["S"] == "7abc-123"
    assert (record["purpose"], record["case_number"]) == ("warrant", "2026-000777")
    assert record["result_count"] == "2"
    assert record["username"] == "officer.demo"


def test_partial_search_matches_wildcards_and_alternative_readings(
        officer: ApiClient, seeded_reads: dict[str, Any]) -> None:
    response = officer.search(mode="partial", plate="7AB?12*", **window(seeded_reads))
    assert response.status_code == 200
    plates = {(row["plate"], row["matched_because"]) for row in response.json()["results"]}
    assert ("7ABC123", "plate matches pattern 7AB?12*") in plates
    assert ("7ABC128", "plate matches pattern 7AB?12*") in plates
    assert ("7ABD123", "plate matches pattern 7AB?12*") in plates
    assert not any(plate == "7XYZ999" for plate, _ in plates)


def test_fuzzy_search_finds_ocr_confusions(officer: ApiClient,
                                          seeded_reads: dict[str, Any]) -> None:
    response = officer.search(mode="fuzzy", plate="80B1523", **window(seeded_reads))
    results = response.json()["results"]
    assert [row["plate"] for row in results] == ["8OB1S23"]
    assert "look-alike" in results[0]["matched_because"]


def test_bulk_wildcards_are_refused(officer: ApiClient, seeded_reads: dict[str, Any]) -> None:
    response = officer.search(mode="partial", plate="7*", **window(seeded_reads))
    assert (response.status_code, response.json()["error"]) == (400, "PATTERN_TOO_BROAD")


def test_partial_and_fuzzy_searches_need_a_bounded_window(officer: ApiClient) -> None:
    response = officer.search(mode="partial", plate="7AB*")
    assert (response.status_code, response.json()["error"]) == (400, "WINDOW_REQUIRED")
    year_and_a_day = {"from": "2025-05-31T00:00:00Z", "to": "2026-06-01T00:00:00Z"}
    response = officer.search(mode="fuzzy", plate="7ABC123", **year_and_a_day)
    assert (response.status_code, response.json()["error"]) == (400, "WINDOW_TOO_LONG")
    assert "365 days" in response.json()["message"]
    year = {"from": "2025-06-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"}
    # A year of partial matches is a long history like any other: it needs stated authority.
    refused = officer.search(mode="fuzzy", plate="7ABC123", **year)
    assert refused.json()["error"] == "AUTHORITY_REQUIRED"
    assert officer.search(mode="fuzzy", plate="7ABC123", authority=WARRANT,
                          **year).status_code == 200


def test_search_pages_with_a_cursor(officer: ApiClient, seeded_reads: dict[str, Any]) -> None:
    seen = []
    body: dict[str, Any] = {"mode": "partial", "plate": "7AB*", "page_size": 2,
                            **window(seeded_reads)}
    for _ in range(10):
        page = officer.search(**body).json()
        seen.extend(row["captured_at"] + row["plate"] for row in page["results"])
        if not page["next_cursor"]:
            break
        body["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 4
    assert seen == sorted(seen, reverse=True)
    tampered = officer.search(mode="partial", plate="8OB*", cursor=body["cursor"],
                              page_size=2, **window(seeded_reads))
    assert tampered.json()["error"] == "CURSOR_INVALID"


def test_place_filter_by_camera(officer: ApiClient, seeded_reads: dict[str, Any]) -> None:
    response = officer.search(mode="partial", plate="7AB*", cameras=["cam-b"],
                              **window(seeded_reads))
    assert {row["camera_id"] for row in response.json()["results"]} == {"cam-b"}
    far_away = officer.search(plate="7ABC123", near={"lat": 34.05, "lon": -118.24,
                                                     "radius_m": 1000})
    assert far_away.json()["results"] == []


def test_read_detail_has_a_five_minute_image_link(
        officer: ApiClient, seeded_reads: dict[str, Any]) -> None:
    read: Read = seeded_reads["reads"][0]
    missing_purpose = officer.get(f"/reads/{read.read_id}")
    assert missing_purpose.json()["error"] == "PURPOSE_REQUIRED"
    detail = officer.get(f"/reads/{read.read_id}",
                         {"purpose": "warrant", "case_number": "2026-000123"})
    assert detail.status_code == 200
    body = detail.json()
    assert body["plate"] == read.plate
    assert body["urls_expire_in"] <= 300
    assert "X-Amz-Expires=300" in body["image_url"]
    assert officer.get("/reads/no-such-read", {"purpose": "warrant",
                                               "case_number": "2026-000123"}).status_code == 404


def test_no_data_is_returned_when_the_record_cannot_be_written(
        officer: ApiClient, seeded_reads: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: AuditLog, entry: Any) -> Any:
        raise AuditUnavailable("injected failure")

    monkeypatch.setattr(AuditLog, "append", refuse)
    response = officer.search(plate="7ABC123")
    assert response.status_code == 503
    assert response.json() == {
        "error": "AUDIT_UNAVAILABLE",
        "message": "the access record could not be written, so nothing was returned"}


# ---------------------------------------------------------------------- the chain
def run_verify(local_stack: RunningStack) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chalicelib.audit", "verify"],
                          capture_output=True, text=True, timeout=120, check=False)


def test_audit_chain_verifies_and_tampering_is_detected(
        local_stack: RunningStack, officer: ApiClient) -> None:
    officer.search(plate="7ABC123")
    intact = run_verify(local_stack)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "chain intact" in intact.stdout
    dynamodb: Any = boto3.client("dynamodb")
    table = local_stack.environment["PLATEKEEPER_AUDIT_TABLE"]
    original = audit_items(local_stack)[2]
    tampered = dict(original, purpose={"S": "stolen_vehicle"})
    dynamodb.put_item(TableName=table, Item=tampered)
    try:
        broken = run_verify(local_stack)
        assert broken.returncode == 1
        assert f"BROKEN at record {original['seq']['N']}" in broken.stdout
        dynamodb.delete_item(TableName=table, Key={"chain": original["chain"],
                                                   "seq": original["seq"]})
        missing = run_verify(local_stack)
        assert missing.returncode == 1
        assert f"record {original['seq']['N']} is missing" in missing.stdout
    finally:
        dynamodb.put_item(TableName=table, Item=original)
    assert run_verify(local_stack).returncode == 0


def test_every_record_carries_the_required_fields(local_stack: RunningStack) -> None:
    for item in audit_items(local_stack)[-20:]:
        for name in ("at", "user_id", "username", "action", "outcome", "hash", "prev_hash",
                     "source_ip", "request_id"):
            assert name in item
        datetime.strptime(item["at"]["S"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
