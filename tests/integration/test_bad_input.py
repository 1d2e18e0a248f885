"""Bad input through the running stack: each gets a clear error and nothing is half-written.

Complements test_ingest.py (corrupt and non-image objects, unregistered prefixes, bad upload
requests, unknown cameras) and test_access.py (forged, expired, foreign-pool tokens): here are
truncated, empty and over-limit uploads, the upload policy that confines a camera to its own
key, malformed JSON, pathological wildcard patterns, oversized pages, malformed tokens, and
the bugs the API fuzzer found.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization

from chalicelib.settings import MAX_UPLOAD_BYTES
from local_stack.api_client import ApiClient
from local_stack.stack import RunningStack
from local_stack.synthetic import frame_jpeg
from tests.integration.conftest import (
    audit_items,
    count,
    image_record,
    last_audit,
    reads_of,
    upload,
)

pytestmark = pytest.mark.integration
SEARCH = {"purpose": "warrant", "case_number": "2026-000123"}


@pytest.fixture(scope="module")
def admin(client_for: Callable[[str], ApiClient]) -> ApiClient:
    return client_for("admin.demo")


@pytest.fixture(scope="module")
def camera(admin: ApiClient) -> dict[str, Any]:
    response = admin.post("/admin/cameras", {
        "camera_id": f"bad-{uuid.uuid4().hex[:6]}", "name": "bad input", "kind": "fixed",
        "lat": 37.35, "lon": -121.95, "heading": 0})
    assert response.status_code == 201, response.text
    return dict(response.json())


def crops_of(local_stack: RunningStack, image_key: str) -> list[str]:
    stem = image_key.removeprefix("cameras/").rsplit(".", 1)[0]
    listed = boto3.client("s3").list_objects_v2(
        Bucket=local_stack.environment["PLATEKEEPER_DERIVED_BUCKET"], Prefix=f"crops/{stem}")
    return [item["Key"] for item in listed.get("Contents", [])]


# ---------------------------------------------------------------------- uploads
def truncated_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 360), (90, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()[:-40]


@pytest.mark.parametrize(("name", "body", "content_type", "declared", "reason"), [
    ("truncated JPEG", frame_jpeg("7TRU123")[:12_000], "image/jpeg", None, "truncated"),
    ("truncated PNG", truncated_png(), "image/png", None, "cannot be decoded"),
    ("zero bytes", b"", "image/jpeg", 1000, "object is empty"),
    ("over the limit", b"\xff\xd8\xff\xe0" + b"\x00" * MAX_UPLOAD_BYTES, "image/jpeg", 1000,
     f"over the {MAX_UPLOAD_BYTES} limit"),
    ("text", b"plate,7ABC123\n" * 20, "image/png", None, "neither a JPEG nor a PNG"),
])
def test_bad_uploads_are_rejected_with_a_reason_and_write_nothing_else(
        local_stack: RunningStack, camera: dict[str, Any], name: str, body: bytes,
        content_type: str, declared: int | None, reason: str) -> None:
    # moto does not enforce the presigned POST's conditions (size, type), so a camera can send
    # what it likes: the ingest checks the stored object again and rejects it for good.
    overrides = {"content_length": declared} if declared is not None else {}
    ticket = upload(local_stack, camera["credential"], body, content_type, **overrides)
    assert ticket.status_code == 201, name
    key = ticket.json()["key"]
    counts = local_stack.event_pump.drain()
    assert counts.failed_messages == 0, f"{name}: a rejected object must not be retried"
    record = image_record(local_stack, key)
    assert (record["status"], reason in record["reason"]) == ("rejected", True), record
    assert "read_ids" not in record
    assert reads_of(local_stack, key) == []
    assert crops_of(local_stack, key) == []


def test_an_upload_ticket_over_the_size_limit_is_refused(
        local_stack: RunningStack, camera: dict[str, Any]) -> None:
    body = {"content_type": "image/jpeg", "content_length": MAX_UPLOAD_BYTES + 1,
            "captured_at": local_stack.clock().isoformat()}
    response = requests.post(f"{local_stack.api_url}/uploads", json=body, timeout=30,
                             headers={"X-Camera-Credential": camera["credential"]})
    assert (response.status_code, response.json()["error"]) == (400, "CONTENT_LENGTH_INVALID")


def test_the_upload_policy_pins_the_key_type_and_size(
        local_stack: RunningStack, camera: dict[str, Any]) -> None:
    """S3 in AWS enforces the signed policy, so a camera cannot write outside its own key; the
    POST is signed by a camera-upload session limited to that key, and the ticket is recorded
    (tests/integration/test_camera_integrity.py holds what a camera tries where S3 does not)."""
    body = {"content_type": "image/jpeg", "content_length": 1000,
            "captured_at": local_stack.clock().isoformat()}
    ticket = requests.post(f"{local_stack.api_url}/uploads", json=body, timeout=30,
                           headers={"X-Camera-Credential": camera["credential"]}).json()
    policy = json.loads(base64.b64decode(ticket["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": ticket["key"]} in conditions
    assert ticket["key"].startswith(f"cameras/{camera['camera_id']}/")
    assert ["content-length-range", 1000, 1000] in conditions  # exactly the declared size
    assert "x-amz-security-token" in ticket["fields"]  # a session of the camera upload role
    assert {"Content-Type": "image/jpeg"} in conditions
    assert {"x-amz-meta-captured-at": body["captured_at"]} in conditions
    assert ticket["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


@pytest.mark.parametrize("key", [
    "cameras/../cameras/{camera}/{day}/frame.jpg",
    "cameras/{upper}/{day}/frame.jpg",
    "cameras/{camera}/{day}/../../other/frame.jpg",
    "cameras/{camera}/2026-13-45/frame.jpg",
    "cameras/{camera}/{day}/frame.gif",
    "cameras/{camera}/frame.jpg",
])
def test_objects_outside_the_camera_key_layout_are_rejected(
        local_stack: RunningStack, camera: dict[str, Any], key: str) -> None:
    key = key.format(camera=camera["camera_id"], upper=camera["camera_id"].upper(),
                     day=local_stack.clock().date().isoformat())
    boto3.client("s3").put_object(
        Bucket=local_stack.environment["PLATEKEEPER_RAW_BUCKET"], Key=key,
        Body=frame_jpeg("7OUT123"), Metadata={"captured-at": local_stack.clock().isoformat()})
    counts = local_stack.event_pump.drain()
    assert counts.failed_messages == 0
    record = image_record(local_stack, key)
    assert record["status"] == "rejected"
    assert "is not cameras/<camera>/<day>/<file>" in record["reason"] \
        or "names no real day" in record["reason"]
    assert reads_of(local_stack, key) == []


# ---------------------------------------------------------------------- malformed JSON
MALFORMED = [
    (b"", "BODY_REQUIRED", 400),
    (b"{\"plate\": ", "BODY_NOT_JSON", 400),
    (b"\xff\xfe\x00{}", "BODY_NOT_JSON", 400),
    (b"[1, 2, 3]", "BODY_NOT_OBJECT", 400),
    (b"\"7ABC123\"", "BODY_NOT_OBJECT", 400),
    (b"{\"a\": \"" + b"x" * 70_000 + b"\"}", "BODY_TOO_LARGE", 413),
]


@pytest.mark.parametrize(("raw", "code", "status"), MALFORMED)
@pytest.mark.parametrize(("path", "caller", "table"), [
    ("/reads/search", "officer.demo", None),
    ("/admin/cameras", "admin.demo", "PLATEKEEPER_CAMERAS_TABLE"),
    ("/hotlist/entries", "admin.demo", "PLATEKEEPER_HOTLIST_TABLE"),
    ("/holds", "admin.demo", "PLATEKEEPER_HOLDS_TABLE"),
])
def test_malformed_json_gets_a_clear_error_and_writes_nothing(
        local_stack: RunningStack, client_for: Callable[[str], ApiClient], path: str,
        caller: str, table: str | None, raw: bytes, code: str, status: int) -> None:
    client = client_for(caller)
    before = count(local_stack, table) if table else 0
    response = client.session.post(local_stack.api_url + path, data=raw, timeout=30,
                                   headers={**client.headers(True),
                                            "Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (
        status, {"error": code, "message": response.json()["message"]})
    if table:
        assert count(local_stack, table) == before


def test_malformed_json_from_a_camera_gets_a_clear_error(
        local_stack: RunningStack, camera: dict[str, Any]) -> None:
    response = requests.post(f"{local_stack.api_url}/uploads", data=b"{not json", timeout=30,
                             headers={"X-Camera-Credential": camera["credential"],
                                      "Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "BODY_NOT_JSON")


# ---------------------------------------------------------------------- wildcard patterns
PATHOLOGICAL = ["*?" * 5_000, "?" * 10_000, "A*" * 5_000 + "B", "*" * 10_000 + "7AB",
                "7AB" + "*" * 4 + "C", "7A" + "-?" * 10_000]


@pytest.mark.parametrize("pattern", PATHOLOGICAL, ids=lambda text: f"{len(text)} chars")
def test_pathological_wildcards_are_refused_before_any_matching(
        local_stack: RunningStack, officer: ApiClient, admin: ApiClient,
        pattern: str) -> None:
    now = local_stack.clock()
    search = officer.search(mode="partial", plate=pattern, **{
        "from": now.replace(hour=0, minute=0).isoformat(), "to": now.isoformat()})
    assert (search.status_code, search.json()["error"]) == (400, "PLATE_INVALID")
    assert search.json()["message"].startswith("pattern")
    assert last_audit(local_stack)["refusal_code"] == "PLATE_INVALID"
    before = count(local_stack, "PLATEKEEPER_HOTLIST_TABLE")
    entry = admin.post("/hotlist/entries", {
        "plate": pattern, "state": "CA", "category": "stolen_vehicle",
        "case_number": "2026-000321", "reason": "test", "requested_by": "officer.demo"})
    assert (entry.status_code, entry.json()["error"]) == (400, "HOTLIST_ENTRY_INVALID")
    assert count(local_stack, "PLATEKEEPER_HOTLIST_TABLE") == before


# ---------------------------------------------------------------------- oversized pages
@pytest.mark.parametrize("page_size", [0, -1, 201, 10**12, "50", True, 2.5, None])
def test_search_page_size_must_be_1_to_200(officer: ApiClient, page_size: Any) -> None:
    response = officer.post("/reads/search", {"plate": "7ABC123", **SEARCH,
                                              "page_size": page_size})
    if page_size is None:  # explicit null: the default page size
        assert response.status_code == 200
        return
    assert (response.status_code, response.json()["error"]) == (400, "PAGE_SIZE_INVALID")


@pytest.mark.parametrize("limit", ["1000000000000", "-5", "abc", "0"])
def test_alert_pages_are_capped(officer: ApiClient, limit: str) -> None:
    response = officer.get("/alerts", {"limit": limit})
    assert response.status_code == 200
    assert len(response.json()["alerts"]) <= 200


def test_a_forged_page_token_is_refused(officer: ApiClient) -> None:
    response = officer.get("/alerts", {"page": base64.urlsafe_b64encode(
        b'{"alert_id": {"S": "x"}}').decode()})
    assert (response.status_code, response.json()["error"]) == (400, "PAGE_TOKEN_INVALID")


# ---------------------------------------------------------------------- tokens
def hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """A JWT "signed" with HMAC-SHA256 (PyJWT refuses public keys as secrets, rightly)."""
    def encode(part: bytes) -> str:
        return base64.urlsafe_b64encode(part).rstrip(b"=").decode()

    header = encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = encode(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{encode(signature)}"


def malformed_tokens(officer: ApiClient) -> dict[str, str]:
    claims = jwt.decode(str(officer.token), options={"verify_signature": False})
    kid = jwt.get_unverified_header(str(officer.token))["kid"]
    unsigned = jwt.encode(claims, key=None, algorithm="none", headers={"kid": kid})
    # Key confusion: HMAC "signed" with the pool's public key, as if it were a shared secret.
    jwks = requests.get(f"{boto3.client('cognito-idp').meta.endpoint_url}/"
                        f"{claims['iss'].rsplit('/', 1)[1]}/.well-known/jwks.json",
                        timeout=10).json()
    public_pem = jwt.PyJWK(jwks["keys"][0]).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"alg none": unsigned,
            "HS256 with the public key (PEM)": hs256(claims, public_pem, kid),
            "HS256 with the public key (JWK)": hs256(
                claims, json.dumps(jwks["keys"][0]).encode(), kid),
            "garbage": "not-a-jwt", "truncated": str(officer.token)[:-20],
            "empty": ""}


def test_malformed_tokens_are_refused_and_recorded(local_stack: RunningStack,
                                                   officer: ApiClient) -> None:
    for name, token in malformed_tokens(officer).items():
        client = ApiClient(local_stack.api_url, token=token)
        before = len(audit_items(local_stack))
        response = client.search(plate="7ABC123")
        assert (response.status_code, response.json()["error"]) == (401, "UNAUTHENTICATED"), \
            name
        record = last_audit(local_stack)
        assert len(audit_items(local_stack)) == before + 1, name
        assert (record["outcome"], record["username"]) == ("refused", "anonymous"), name


def test_a_token_in_the_wrong_scheme_is_not_accepted(local_stack: RunningStack,
                                                     officer: ApiClient) -> None:
    for header in (f"Basic {officer.token}", str(officer.token), f"Bearer  {officer.token} x"):
        response = requests.post(f"{local_stack.api_url}/reads/search", timeout=30,
                                 json={"plate": "7ABC123", **SEARCH},
                                 headers={"Authorization": header})
        assert response.status_code == 401, header


# ---------------------------------------------------------------------- fuzzer findings
def test_mfa_answer_without_a_session_is_a_login_failure_not_a_500(
        local_stack: RunningStack) -> None:
    """Found by the API fuzzer: Cognito's parameter validation escaped as a 500."""
    for body in ({"username": "admin.demo", "session": "", "code": "123456"},
                 {"username": "", "session": "x" * 5000, "code": ""}):
        response = requests.post(f"{local_stack.api_url}/auth/mfa", json=body, timeout=30)
        assert (response.status_code, response.json()["error"]) == (401, "LOGIN_FAILED")
    response = requests.post(f"{local_stack.api_url}/auth/login", timeout=30,
                             json={"username": "", "password": ""})
    assert (response.status_code, response.json()["error"]) == (401, "LOGIN_FAILED")


def test_listing_cameras_is_recorded(local_stack: RunningStack, admin: ApiClient) -> None:
    """Found by the API fuzzer: GET /admin/cameras returned data without an access record."""
    response = admin.get("/admin/cameras")
    assert response.status_code == 200
    record = last_audit(local_stack)
    assert (record["action"], record["outcome"]) == ("list_cameras", "allowed")
    assert record["result_count"] == str(len(response.json()["cameras"]))
    assert record["request_id"] == response.headers["x-amzn-RequestId"]


def test_errors_do_not_echo_identifiers_from_the_request(admin: ApiClient) -> None:
    for path in ("/admin/cameras/7ABC123/revocation", "/admin/users/7ABC123/approval"):
        response = admin.post(path)
        assert response.status_code == 404
        assert "7ABC123" not in response.text


@pytest.mark.parametrize("expires", ["2024-01-01T12:99:00Z", "tomorrow", 1_900_000_000,
                                     ["2027-01-01T00:00:00Z"], "2027-01-01T00:00:00"])
def test_a_malformed_hotlist_expiry_is_a_400_not_a_500(
        local_stack: RunningStack, admin: ApiClient, expires: Any) -> None:
    """Found by the API fuzzer: an unparsable `expires` escaped as a 500."""
    before = count(local_stack, "PLATEKEEPER_HOTLIST_TABLE")
    response = admin.post("/hotlist/entries", {
        "plate": "7EXP123", "state": "CA", "category": "stolen_vehicle",
        "case_number": "2026-000555", "reason": "test", "requested_by": "officer.demo",
        "expires": expires})
    assert (response.status_code, response.json()["error"]) == (400, "HOTLIST_ENTRY_INVALID")
    assert count(local_stack, "PLATEKEEPER_HOTLIST_TABLE") == before


@pytest.mark.parametrize("read_ids", [["", "x"], ["W\u009e"], [], [str(uuid.uuid4()).upper()],
                                      [str(uuid.uuid4()) for _ in range(501)], "not a list"])
@pytest.mark.parametrize("path", ["/holds", "/exports"])
def test_malformed_read_ids_are_refused_before_any_lookup(
        local_stack: RunningStack, admin: ApiClient, path: str, read_ids: Any) -> None:
    """Found by the API fuzzer: an empty read id reached DynamoDB and came back as a 503."""
    before = count(local_stack, "PLATEKEEPER_HOLDS_TABLE")
    response = admin.post(path, {"read_ids": read_ids, "case_number": "2026-000999",
                                 "reason": "evidence", "requested_by": "officer.demo",
                                 "review_date": "2027-01-01", "purpose": "warrant",
                                 "approved_by": "admin.demo"})
    assert (response.status_code, response.json()["error"]) == (400, "READS_INVALID")
    assert count(local_stack, "PLATEKEEPER_HOLDS_TABLE") == before


@pytest.mark.parametrize("content_type", [["image/jpeg"], {"type": "image/jpeg"}, 5, None])
def test_an_upload_ticket_with_a_content_type_that_is_not_text_is_a_400(
        local_stack: RunningStack, camera: dict[str, Any], content_type: Any) -> None:
    """Found by the API fuzzer: a list as content_type was a 500 (unhashable)."""
    body = {"content_type": content_type, "content_length": 1000,
            "captured_at": local_stack.clock().isoformat()}
    response = requests.post(f"{local_stack.api_url}/uploads", json=body, timeout=30,
                             headers={"X-Camera-Credential": camera["credential"]})
    assert (response.status_code, response.json()["error"]) == (400, "CONTENT_TYPE_INVALID")
