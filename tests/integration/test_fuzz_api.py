"""Fuzzing the running API from its own OpenAPI document (schemathesis + Hypothesis).

Every operation served at /openapi.json is called with generated requests, valid for the schema
(positive) and invalid (negative), as every kind of caller: anonymous, a camera, and signed-in
demo users of different roles, so the authorized paths run too. Each response must:

* not be a server error (no 5xx of any kind, not even 503 on bad input);
* conform to the document: declared status code, content type and body schema;
* be a clean error when it is one: exactly {"error": CODE, "message": TEXT}, no traceback, and
  no plate-like value of the request echoed back;
* for a signed-in route, have left an audit record carrying the request's id when it returned
  data (2xx) or refused the caller (401/403): nothing is returned unrecorded.

`make test` runs a small budget; `make fuzz` runs a larger one (--fuzz-examples) and prints
the number of requests tried and failures found.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, Role
from local_stack.api_client import ApiClient
from local_stack.gateway import REQUEST_ID_HEADER
from local_stack.stack import RunningStack
from tests.conftest import FUZZ_SUMMARY

pytestmark = pytest.mark.integration
# Signed-in callers, most specific role first, so a route is tried by the narrowest role it admits.
DEMO_ROLES = {"auditor.demo": Role.AUDITOR, "officer.demo": Role.SWORN_OFFICER,
              "admin.demo": Role.ADMINISTRATOR}

CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|"
                       r"\w+Error: |\bat 0x[0-9a-f]+")
# A value shaped like a plate: 4-10 letters and digits with at least one of each.
PLATE_LIKE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{4,10}$")
# How far back to look for a request's audit record (requests run one at a time).
AUDIT_LOOKBACK = 25
# Bodies built to exhaust a recursive parser: arrays and objects nested this deep.
DEEP_LEVELS = 10_000
DEEP_BODIES = {
    "arrays": b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS,
    "objects": b'{"a":' * DEEP_LEVELS + b"1" + b"}" * DEEP_LEVELS,
    "in a field": b'{"plate": ' + b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS + b"}",
}


@dataclass
class Tally:
    """Requests sent and failures found across the whole module, for the summary line."""

    requests: int = 0
    seconds_in_requests: float = 0.0
    failures: list[str] = field(default_factory=list)
    server_errors: int = 0
    deep_bodies: int = 0


TALLY = Tally()


@pytest.fixture(scope="module")
def api_schema(local_stack: RunningStack) -> Any:
    return schemathesis.openapi.from_url(f"{local_stack.api_url}/openapi.json")


@pytest.fixture(scope="module")
def camera_credential(client_for: Callable[[str], ApiClient]) -> str:
    created = client_for("admin.demo").post("/admin/cameras", {
        "camera_id": "fuzz-cam", "name": "fuzzing", "kind": "mobile"})
    assert created.status_code == 201, created.text
    return str(created.json()["credential"])


@pytest.fixture(scope="module")
def callers(client_for: Callable[[str], ApiClient], camera_credential: str
            ) -> dict[str, dict[str, str]]:
    """Headers of each kind of caller."""
    users = {name: {"Authorization": f"Bearer {client_for(name).token}"} for name in DEMO_ROLES}
    return {"anonymous": {}, "camera": {"X-Camera-Credential": camera_credential}, **users}


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    request.config.stash[FUZZ_SUMMARY] = (
        f"fuzz: {TALLY.requests} requests tried, {len(TALLY.failures)} failures, "
        f"{TALLY.server_errors} server errors ({TALLY.deep_bodies} of the requests were bodies "
        f"nested {DEEP_LEVELS:,} deep; {TALLY.seconds_in_requests:.0f} s waiting for "
        f"responses; --fuzz-examples={request.config.getoption('fuzz_examples')})")


@functools.cache
def dynamodb() -> Any:
    return boto3.client("dynamodb")


def audit_request_ids(local_stack: RunningStack) -> set[str]:
    """Request ids of the most recent audit records."""
    items = dynamodb().query(
        TableName=local_stack.environment["PLATEKEEPER_AUDIT_TABLE"],
        KeyConditionExpression="chain = :chain",
        ExpressionAttributeValues={":chain": {"S": "audit"}},
        ScanIndexForward=False, Limit=AUDIT_LOOKBACK, ConsistentRead=True)["Items"]
    return {item.get("request_id", {}).get("S", "") for item in items}


def request_strings(case: Any) -> set[str]:
    """Every string the request carried (body, query, path), to look for echoes."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for part in (case.body, case.query, case.path_parameters):
        walk(part)
    return found


def problems(case: Any, response: Any, caller: str,
             local_stack: RunningStack) -> list[str]:
    """What is wrong with one response (empty when nothing is)."""
    found = []
    if response.status_code >= 500:
        TALLY.server_errors += 1
        found.append(f"server error {response.status_code}")
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as failures:
        found.extend(f"does not conform to the document: {failure.title}: {failure.message}"
                     for failure in failures.exceptions)
    if response.status_code >= 400:
        found.extend(error_body_problems(case, response))
    operation = case.operation
    signed_in_route = any("cognito" in item for item in operation.definition.raw.get(
        "security", []))
    recorded_statuses = (200, 201, 401, 403)
    if signed_in_route and response.status_code in recorded_statuses:
        request_id = response.headers.get(REQUEST_ID_HEADER.lower(), [""])[0]
        if not request_id or request_id not in audit_request_ids(local_stack):
            found.append(f"{response.status_code} as {caller} left no audit record with "
                         f"request id {request_id!r}")
    return found


def error_body_problems(case: Any, response: Any) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return [f"error body is not JSON: {response.text[:100]!r}"]
    if not (isinstance(body, dict) and set(body) == {"error", "message"}
            and all(isinstance(value, str) for value in body.values())):
        return [f"error body is not {{error, message}}: {response.text[:200]!r}"]
    found = []
    if TRACEBACK.search(response.text):
        found.append(f"error body looks like a traceback: {response.text[:200]!r}")
    message = body["message"].upper()
    for value in request_strings(case):
        if PLATE_LIKE.match(value) and value.upper() in message:
            found.append(f"error message echoes the request value {value!r}")
    return found


def fuzz_operation(operation: Any, callers: dict[str, dict[str, str]],
                   local_stack: RunningStack, examples: int) -> None:
    """`examples` requests per caller of the operation, valid and invalid ones mixed."""
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    raw = operation.definition.raw
    if "requestBody" in raw or any(item["in"] == "query" for item in raw.get("parameters", [])):
        # Only inputs that a schema constrains can be made invalid.
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    names = callers_of(operation)

    @settings(max_examples=examples * len(names), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies), caller=st.sampled_from(names))
    def run(case: Any, caller: str) -> None:
        headers = callers[caller]
        response = case.call(base_url=local_stack.api_url, headers=headers, timeout=30)
        TALLY.requests += 1
        TALLY.seconds_in_requests += response.elapsed
        for problem in problems(case, response, caller, local_stack):
            TALLY.failures.append(f"{operation.label} as {caller}: {problem}\n    "
                                  f"{case.as_curl_command(headers=headers)[:400]}")

    run()


def callers_of(operation: Any) -> list[str]:
    """Anonymous, plus a caller the route admits and one it refuses (by role)."""
    security = str(operation.definition.raw.get("security", []))
    if "camera" in security:
        return ["anonymous", "camera"]
    if "cognito" not in security:
        return ["anonymous"]
    permission = Permission(operation.definition.raw["x-permission"])
    holders = [name for name, role in DEMO_ROLES.items() if permission in ROLE_PERMISSIONS[role]]
    others = [name for name in DEMO_ROLES if name not in holders]
    return ["anonymous", holders[0], others[0]]


def test_every_operation_survives_generated_requests(
        local_stack: RunningStack, api_schema: Any, callers: dict[str, dict[str, str]],
        request: pytest.FixtureRequest) -> None:
    examples = int(request.config.getoption("fuzz_examples"))
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    before = len(TALLY.failures)
    for operation in operations:
        fuzz_operation(operation, callers, local_stack, examples)
    found = TALLY.failures[before:]
    assert not found, f"{len(found)} failures, first ones:\n" + "\n".join(found[:40])


def test_every_json_route_refuses_bodies_nested_10000_deep(
        local_stack: RunningStack, api_schema: Any, callers: dict[str, dict[str, str]]) -> None:
    """A body nested 10,000 deep is a 400 BODY_TOO_DEEP (or the caller's 401/403) from every
    route that takes a body, for every kind of caller, and the attempt is recorded."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    with_body = [operation for operation in operations
                 if "requestBody" in operation.definition.raw]
    assert len(with_body) >= 15
    before = len(TALLY.failures)
    for operation in with_body:
        path = re.sub(r"{\w+}", "x", operation.path)
        for caller in callers_of(operation):
            for name, body in DEEP_BODIES.items():
                response = requests.request(
                    operation.method.upper(), local_stack.api_url + path, data=body, timeout=60,
                    headers={**callers[caller], "Content-Type": "application/json"})
                TALLY.requests += 1
                TALLY.deep_bodies += 1
                TALLY.seconds_in_requests += response.elapsed.total_seconds()
                for problem in deep_body_problems(response, local_stack):
                    TALLY.failures.append(f"{operation.label} as {caller}, {name} "
                                          f"{DEEP_LEVELS} deep: {problem}")
    found = TALLY.failures[before:]
    assert not found, f"{len(found)} failures, first ones:\n" + "\n".join(found[:40])


def deep_body_problems(response: Any, local_stack: RunningStack) -> list[str]:
    if response.status_code >= 500:
        TALLY.server_errors += 1
        return [f"server error {response.status_code}: {response.text[:120]!r}"]
    body = response.json()
    if response.status_code in (401, 403) and body["error"] in (
            "UNAUTHENTICATED", "ROLE_NOT_PERMITTED", "CAMERA_UNAUTHORIZED"):
        return []  # refused before the body is read (and recorded as such)
    if (response.status_code, body.get("error")) != (400, "BODY_TOO_DEEP"):
        return [f"answered {response.status_code} {body}"]
    request_id = response.headers.get(REQUEST_ID_HEADER.lower(), "")
    if request_id not in audit_request_ids(local_stack):
        return [f"left no audit record with request id {request_id!r}"]
    return []
