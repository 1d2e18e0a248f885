"""Retention (policy 428.5) with time moved forward, on a stack of its own: moving the clock
past a year expires everything, which other test modules must not see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local_stack.stack import RunningStack
from local_stack.synthetic import blank_jpeg
from tests.integration.test_local_stack import physical, register_camera

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def time_travel_stack() -> Iterator[RunningStack]:
    with RunningStack(pump_in_background=False) as stack:
        yield stack


def test_ttl_expiry_purges_the_image_through_the_stream(time_travel_stack: RunningStack) -> None:
    assert time_travel_stack.pump is not None
    register_camera(time_travel_stack, "cam-ttl")
    s3: Any = boto3.client("s3")
    bucket = physical(time_travel_stack, "RawImageBucket")
    now = time_travel_stack.clock()
    key = f"cameras/cam-ttl/{now.date().isoformat()}/{uuid.uuid4().hex}.jpg"
    s3.put_object(Bucket=bucket, Key=key, Body=blank_jpeg(),
                  Metadata={"captured-at": now.isoformat()})
    time_travel_stack.pump.drain(timeout=60)
    time_travel_stack.clock.advance(366 * 86400)
    try:
        time_travel_stack.pump.drain(timeout=60)
    finally:
        time_travel_stack.clock.advance(-366 * 86400)
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)
    assert versions.get("Versions", []) == []
