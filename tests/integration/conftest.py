"""Fixtures for tests against the local stack: demo users, API clients, reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest

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
        create_user(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                    user)
        return user

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
