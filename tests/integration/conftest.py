"""Fixtures for tests against the local stack: demo users, API clients, reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests

from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser, create_user, seed_users
from local_stack.stack import RunningStack


@pytest.fixture(scope="session")
def demo_users(local_stack: RunningStack) -> dict[str, DemoUser]:
    env = local_stack.environment
    users = seed_users(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                       local_stack.clock().date())
    return {user.username: user for user in users}


@pytest.fixture(scope="session")
def make_user(local_stack: RunningStack, demo_users: dict[str, DemoUser]
              ) -> Callable[..., DemoUser]:
    """Create a user like officer.demo with some fields changed."""
    env = local_stack.environment
    template = demo_users["officer.demo"]
    counter = iter(range(1, 10_000))

    def make(**changes: Any) -> DemoUser:
        user = replace(template, username=f"user{next(counter)}.test", **changes)
        return create_user(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                           user)

    return make


@pytest.fixture(scope="session")
def client_for(local_stack: RunningStack, demo_users: dict[str, DemoUser]
               ) -> Callable[[str], ApiClient]:
    cache: dict[str, ApiClient] = {}

    def login(username: str) -> ApiClient:
        if username not in cache:
            user = demo_users[username]
            cache[username] = ApiClient(local_stack.api_url).login(user.username, user.password)
        return cache[username]

    return login


@pytest.fixture
def officer(client_for: Callable[[str], ApiClient]) -> ApiClient:
    return client_for("officer.demo")


def audit_items(local_stack: RunningStack) -> list[dict[str, Any]]:
    table = local_stack.environment["PLATEKEEPER_AUDIT_TABLE"]
    dynamodb: Any = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("query").paginate(
            TableName=table, KeyConditionExpression="chain = :c",
            ExpressionAttributeValues={":c": {"S": "audit"}}):
        items.extend(page["Items"])
    return items


def last_audit(local_stack: RunningStack) -> dict[str, Any]:
    item = audit_items(local_stack)[-1]
    return {name: next(iter(value.values())) for name, value in item.items()}


@pytest.fixture
def clock_offset(local_stack: RunningStack) -> Iterator[Callable[[timedelta], None]]:
    """Move the shared clock for one test and always move it back."""
    moved: list[timedelta] = []

    def move(delta: timedelta) -> None:
        local_stack.clock.advance(delta.total_seconds())
        moved.append(delta)

    yield move
    for delta in moved:
        local_stack.clock.advance(-delta.total_seconds())


def upload(local_stack: RunningStack, credential: str, body: bytes,
           content_type: str = "image/jpeg", **overrides: Any) -> requests.Response:
    """What a camera does: ask for a ticket, then POST the file to S3 with its fields."""
    request = {"content_type": content_type, "content_length": len(body),
               "captured_at": local_stack.clock().isoformat(), **overrides}
    ticket = requests.post(f"{local_stack.api_url}/uploads", json=request, timeout=30,
                           headers={"X-Camera-Credential": credential})
    if ticket.status_code != 201:
        return ticket
    fields = ticket.json()["fields"]
    sent = requests.post(ticket.json()["url"], data=fields, timeout=30,
                         files={"file": ("frame", body, content_type)})
    assert sent.status_code in (200, 201, 204), sent.text
    return ticket


def image_record(local_stack: RunningStack, key: str) -> dict[str, Any]:
    item = boto3.client("dynamodb").get_item(
        TableName=local_stack.environment["PLATEKEEPER_IMAGES_TABLE"],
        Key={"image_key": {"S": key}}).get("Item", {})
    return {name: next(iter(value.values())) for name, value in item.items()}


def count(local_stack: RunningStack, table: str) -> int:
    dynamodb: Any = boto3.client("dynamodb")
    return sum(page["Count"] for page in dynamodb.get_paginator("scan").paginate(
        TableName=local_stack.environment[table], Select="COUNT"))


def reads_of(local_stack: RunningStack, image_key: str) -> list[dict[str, Any]]:
    dynamodb: Any = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
            TableName=local_stack.environment["PLATEKEEPER_READS_TABLE"],
            FilterExpression="image_key = :key",
            ExpressionAttributeValues={":key": {"S": image_key}}):
        items.extend(page["Items"])
    return items


def directory_entry(client_for: Callable[[str], ApiClient], name: str, ori: str,
                    domains: list[str], county: str = "Santa Clara",
                    agency_type: str = "law_enforcement") -> dict[str, Any]:
    """An active directory entry (proposed by admin.demo, confirmed by admin2.demo), made once
    per session. ORIs in tests are made-up values of the right shape ("CA9TEST01")."""
    admin = client_for("admin.demo")
    active = admin.get("/agencies", {"status": "active"}).json()["agencies"]
    found = [entry for entry in active if entry["name"] == name]
    if found:
        return found[0]
    proposed = admin.post("/agencies", {"name": name, "ori": ori, "agency_type": agency_type,
                                        "level": "local", "county": county,
                                        "domains": domains})
    assert proposed.status_code == 201, proposed.text
    confirmed = client_for("admin2.demo").post(
        f"/agencies/{proposed.json()['agency_id']}/confirmation")
    assert confirmed.status_code == 200, confirmed.text
    return dict(confirmed.json())
