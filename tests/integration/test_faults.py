"""Ingest under faults through the running stack: camera upload -> S3 -> SQS -> pump -> ingest.

Faults are injected into the very boto3 clients the ingest adapters use, with botocore's
`before-call` event: the call raises the ClientError AWS would send (ThrottlingException,
InternalServerError, ...) before any request is made, as if botocore's own retries had run out.
A crash mid-batch is the function dying between two records. Afterwards every uploaded frame
has its reads exactly once, or its message sits in the dead-letter queue with a reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import bootstrap, handlers
from chalicelib.settings import INGEST_MAX_RECEIVES
from local_stack.api_client import ApiClient
from local_stack.stack import RunningStack
from local_stack.synthetic import frame_jpeg
from tests.integration.conftest import image_record, reads_of, upload

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def empty_dead_letter_queue(local_stack: RunningStack) -> None:
    """Each scenario counts only its own dead letters: the stack is shared with other modules
    (test_local_stack leaves a poison message behind), whatever order they run in."""
    dead_letters(local_stack)


@pytest.fixture(scope="module")
def camera(client_for: Callable[[str], ApiClient]) -> dict[str, Any]:
    response = client_for("admin.demo").post("/admin/cameras", {
        "camera_id": f"fault-{uuid.uuid4().hex[:6]}", "name": "faults", "kind": "fixed",
        "lat": 37.35, "lon": -121.95, "heading": 0})
    assert response.status_code == 201, response.text
    return dict(response.json())


@dataclass
class Injected:
    """Counts the faults raised, so a test can prove they happened."""

    raised: int = 0
    calls: int = 0
    seen: list[str] = field(default_factory=list)


@contextmanager
def fault(service: str, operation: str, code: str, times: int | None = None,
          when: Callable[[dict[str, Any]], bool] = lambda params: True) -> Iterator[Injected]:
    """Make the app's `service` client fail `operation` with `code` (the first `times` matching
    calls, or every one)."""
    client = bootstrap.container().client(service)
    injected = Injected()
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def raise_error(params: dict[str, Any], **kwargs: Any) -> None:
        if not when(request_view(params)):
            return
        injected.calls += 1
        if times is None or injected.raised < times:
            injected.raised += 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"},
                               "ResponseMetadata": {"HTTPStatusCode": 503}}, operation)

    client.meta.events.register(event, raise_error, unique_id=f"fault-{id(injected)}")
    try:
        yield injected
    finally:
        client.meta.events.unregister(event, unique_id=f"fault-{id(injected)}")


def request_view(request: dict[str, Any]) -> dict[str, Any]:
    """What a `before-call` handler sees, made readable: the JSON body's fields (DynamoDB) and
    the unquoted URL path (S3, whose object key is in it)."""
    view: dict[str, Any] = {"path": unquote(str(request.get("url_path", "")))}
    body = request.get("body")
    if isinstance(body, bytes | str) and body[:1] in (b"{", "{"):
        view.update(json.loads(body))
    return view


def upload_frames(local_stack: RunningStack, camera: dict[str, Any], count: int) -> list[str]:
    keys = []
    for index in range(count):
        # 90,000 plates per position: the same camera's same bytes are a duplicate (issue 19),
        # and 900 made two scenarios draw the same frame in about one run in thirty.
        frame = frame_jpeg(f"{index + 2}F{uuid.uuid4().int % 90_000 + 10_000}")
        ticket = upload(local_stack, camera["credential"], frame)
        assert ticket.status_code == 201, ticket.text
        keys.append(ticket.json()["key"])
    return keys


def dead_letters(local_stack: RunningStack) -> list[dict[str, Any]]:
    """Take every message out of the dead-letter queue (body and attributes)."""
    sqs: Any = boto3.client("sqs")
    url = local_stack.environment["PLATEKEEPER_INGEST_DLQ_URL"]
    taken: dict[str, dict[str, Any]] = {}
    for _ in range(20):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"],
                                       WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        for message in messages:
            taken[message["MessageId"]] = message
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return list(taken.values())


def reason_of(message: dict[str, Any]) -> str:
    return str(message.get("MessageAttributes", {}).get("reason", {}).get("StringValue", ""))


def keys_in(messages: list[dict[str, Any]]) -> set[str]:
    keys = set()
    for message in messages:
        try:
            records = json.loads(message["Body"]).get("Records", [])
        except (ValueError, AttributeError):
            continue
        # S3 notifications carry keys URL-encoded (quote_plus).
        keys.update(unquote_plus(record["s3"]["object"]["key"]) for record in records
                    if isinstance(record, dict) and "s3" in record)
    return keys


def assert_each_frame_once_or_dead_lettered(local_stack: RunningStack, keys: list[str],
                                            dead: list[dict[str, Any]]) -> None:
    dead_keys = keys_in(dead)
    assert all(reason_of(message) for message in dead), "a dead letter without a reason"
    for key in keys:
        record = image_record(local_stack, key)
        if key in dead_keys:
            continue
        assert record.get("status") == "processed", (key, record)
        reads = reads_of(local_stack, key)
        read_ids = [item["read_id"]["S"] for item in reads]
        assert len(read_ids) == len(set(read_ids)) == int(record["plates_found"]), key
        assert set(read_ids) == set(record.get("read_ids", [])), key


def notify_again(local_stack: RunningStack, keys: list[str]) -> None:
    """S3 delivers at least once: send each frame's notification a second time."""
    sqs: Any = boto3.client("sqs")
    bucket = local_stack.environment["PLATEKEEPER_RAW_BUCKET"]
    for key in keys:
        sqs.send_message(QueueUrl=local_stack.environment["PLATEKEEPER_INGEST_QUEUE_URL"],
                         MessageBody=json.dumps({"Records": [{
                             "eventName": "ObjectCreated:Post",
                             "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}))


# ---------------------------------------------------------------------- scenarios
def test_throttling_from_dynamodb_and_s3_is_retried_to_exactly_once(
        local_stack: RunningStack, camera: dict[str, Any]) -> None:
    keys = upload_frames(local_stack, camera, 4)
    with fault("dynamodb", "PutItem", "ThrottlingException", times=3) as put, \
            fault("dynamodb", "GetItem", "ProvisionedThroughputExceededException",
                  times=2) as get, \
            fault("s3", "GetObject", "SlowDown", times=2) as read, \
            fault("s3", "HeadObject", "ThrottlingException", times=1) as head:
        counts = local_stack.event_pump.drain(timeout=300)
    assert (put.raised, get.raised, read.raised, head.raised) == (3, 2, 2, 1)
    assert counts.failed_messages >= 1  # the faults made messages come back
    dead = dead_letters(local_stack)
    assert dead == []
    assert_each_frame_once_or_dead_lettered(local_stack, keys, dead)


def test_service_errors_mid_frame_and_duplicate_deliveries_write_each_read_once(
        local_stack: RunningStack, camera: dict[str, Any]) -> None:
    keys = upload_frames(local_stack, camera, 3)
    notify_again(local_stack, keys)
    reads_table = local_stack.environment["PLATEKEEPER_READS_TABLE"]
    images_table = local_stack.environment["PLATEKEEPER_IMAGES_TABLE"]
    with fault("dynamodb", "PutItem", "InternalServerError", times=2,
               when=lambda request: request.get("TableName") == images_table
               and request["Item"].get("status", {}).get("S") == "processed") as finish, \
            fault("dynamodb", "PutItem", "InternalServerError", times=1,
                  when=lambda request: request.get("TableName") == reads_table) as write, \
            fault("s3", "PutObject", "InternalError", times=1) as crop:
        local_stack.event_pump.drain(timeout=300)
    assert (finish.raised, write.raised, crop.raised) == (2, 1, 1)
    dead = dead_letters(local_stack)
    assert dead == []
    assert_each_frame_once_or_dead_lettered(local_stack, keys, dead)


class FunctionCrashed(BaseException):
    """The function died (timeout, out of memory): no batch response reaches the queue."""


def test_a_crash_in_the_middle_of_a_batch_loses_and_duplicates_nothing(
        local_stack: RunningStack, camera: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    keys = upload_frames(local_stack, camera, 5)
    real_ingest = handlers.ingest_message
    real_handler = local_stack.app.handler_map["ingest"]
    calls = {"count": 0}

    def dies_on_the_third_message(*args: Any, **kwargs: Any) -> Any:
        calls["count"] += 1
        if calls["count"] == 3:
            raise FunctionCrashed
        return real_ingest(*args, **kwargs)

    def lambda_runtime(event: dict[str, Any], context: Any) -> Any:
        try:
            return real_handler(event, context)
        except FunctionCrashed:  # what the event source mapping sees: the invocation failed
            raise RuntimeError("function crashed") from None

    monkeypatch.setattr(handlers, "ingest_message", dies_on_the_third_message)
    monkeypatch.setitem(local_stack.app.handler_map, "ingest", lambda_runtime)
    counts = local_stack.event_pump.drain(timeout=300)
    assert calls["count"] > len(keys)  # messages handled before the crash came back too
    assert counts.failed_messages >= 1
    dead = dead_letters(local_stack)
    assert dead == []
    assert_each_frame_once_or_dead_lettered(local_stack, keys, dead)


def test_poison_messages_go_to_the_dead_letter_queue_with_a_reason(
        local_stack: RunningStack) -> None:
    sqs: Any = boto3.client("sqs")
    poison = ["not json at all", json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}),
              json.dumps(["a", "list"])]
    for body in poison:
        sqs.send_message(QueueUrl=local_stack.environment["PLATEKEEPER_INGEST_QUEUE_URL"],
                         MessageBody=body)
    counts = local_stack.event_pump.drain(timeout=120)
    assert counts.failed_messages == 0  # no retry can fix them: dead-lettered at once
    dead = dead_letters(local_stack)
    assert sorted(message["Body"] for message in dead) == sorted(poison)
    assert all(reason_of(message).startswith("malformed message: ") for message in dead)


def test_a_persistent_fault_dead_letters_the_frame_with_its_reason_then_redrive_completes(
        local_stack: RunningStack, camera: dict[str, Any]) -> None:
    keys = upload_frames(local_stack, camera, 3)
    broken = keys[1]
    with fault("s3", "GetObject", "ServiceUnavailable",
               when=lambda request: request["path"].endswith(broken)) as outage:
        counts = local_stack.event_pump.drain(timeout=300)
    assert counts.failed_messages == INGEST_MAX_RECEIVES - 1
    assert outage.raised == INGEST_MAX_RECEIVES
    dead = dead_letters(local_stack)
    assert keys_in(dead) == {broken}
    [letter] = dead
    assert reason_of(letter) == f"TransientStorageError: read {broken}: ServiceUnavailable"
    assert letter["MessageAttributes"]["receive_count"]["StringValue"] == \
        str(INGEST_MAX_RECEIVES)
    assert image_record(local_stack, broken).get("status") in (None, "received")  # unfinished
    assert_each_frame_once_or_dead_lettered(local_stack, keys, dead)
    # S3 recovers; an operator redrives the dead letter: the frame completes, once.
    boto3.client("sqs").send_message(
        QueueUrl=local_stack.environment["PLATEKEEPER_INGEST_QUEUE_URL"],
        MessageBody=letter["Body"])
    local_stack.event_pump.drain(timeout=120)
    assert_each_frame_once_or_dead_lettered(local_stack, keys, [])
