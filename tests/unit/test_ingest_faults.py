"""Ingest under faults, with fakes: throttling and errors from DynamoDB and S3 at any call,
crashes mid-batch, duplicate deliveries and poison messages.

A small queue model delivers messages the way SQS and Lambda do (a failed or crashed delivery
comes back with its receive count raised; a message is deleted once handled). Whatever the
faults, afterwards every uploaded image has its reads exactly once, or is rejected with a
reason, or its message sits in the dead-letter queue with a reason. None is lost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.dead_letters import DeadLetter
from chalicelib.adapters.errors import StorageError, TransientStorageError
from chalicelib.domain.images import ImageStatus, ObjectRef
from chalicelib.domain.reads import Read
from chalicelib.services.ingest import (
    IngestDependencies,
    MessageResult,
    PlateFound,
    QueueMessage,
    ingest_message,
)
from tests.unit.fakes import (
    FakeCameras,
    FakeExceptions,
    FakeFingerprints,
    FakeImageRecords,
    FakeRawImages,
    FakeReads,
    FakeTickets,
    StoredObject,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MAX_RECEIVES = 5
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100 + b"\xff\xd9"
# The calls ingest makes on its adapters, any of which may throttle or fail.
FAULT_POINTS = ("raw_images.head", "raw_images.read", "crops.put",
                "image_records.get", "image_records.claim", "image_records.finish",
                "reads.put_new", "cameras.active_position", "tickets.get", "tickets.mark_used",
                "fingerprints.claim", "exceptions.record")


class Crash(BaseException):
    """The function dies mid-batch (timeout, out of memory): nothing below it catches this."""


@dataclass
class Faults:
    """Which calls fail: (point, nth call of that point) -> exception to raise."""

    planned: dict[tuple[str, int], BaseException] = field(default_factory=dict)
    always: dict[str, BaseException] = field(default_factory=dict)
    only_for: str | None = None  # `always` applies only to calls naming this object key
    calls: dict[str, int] = field(default_factory=dict)

    def check(self, point: str, args: tuple[Any, ...]) -> None:
        number = self.calls.get(point, 0) + 1
        self.calls[point] = number
        if point in self.always and (self.only_for is None or self.only_for in args):
            raise self.always[point]
        if (point, number) in self.planned:
            raise self.planned[(point, number)]


class Faulty:
    """Wraps an adapter fake; each method call first asks Faults whether to fail."""

    def __init__(self, name: str, inner: Any, faults: Faults) -> None:
        self._name, self._inner, self._faults = name, inner, faults

    def __getattr__(self, attribute: str) -> Any:
        method = getattr(self._inner, attribute)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._faults.check(f"{self._name}.{attribute}", args)
            return method(*args, **kwargs)

        return call


class CountingReads(FakeReads):
    """Counts the writes that created a read, to prove each is written exactly once."""

    def __init__(self) -> None:
        super().__init__()
        self.created: dict[str, int] = {}

    def put_new(self, read: Read) -> bool:
        written = super().put_new(read)
        if written:
            self.created[read.read_id] = self.created.get(read.read_id, 0) + 1
        return written


class FakeDeadLetters:
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    def send(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


def recognize(data: bytes) -> Sequence[PlateFound]:
    """Two plates per frame, so a crash between them leaves a half-written frame."""
    return [PlateFound("7ABC123", 0.9, (("7ABC123", 0.9),), (1, 2, 3, 4), b"\xff\xd8crop"),
            PlateFound("8XYZ999", 0.8, (("8XYZ999", 0.8),), (5, 6, 7, 8), b"\xff\xd8crop")]


@dataclass
class World:
    faults: Faults
    raw: FakeRawImages
    records: FakeImageRecords
    reads: CountingReads
    dead_letters: FakeDeadLetters
    deps: IngestDependencies


def world(frames: int) -> tuple[World, list[str]]:
    faults = Faults()
    raw, records, reads = FakeRawImages(), FakeImageRecords(), CountingReads()
    keys = [f"cameras/cam-1/2026-11-29/frame-{index:03d}.jpg" for index in range(frames)]
    tickets = FakeTickets()
    for index, key in enumerate(keys):
        frame = JPEG + index.to_bytes(2, "big")  # each frame different: none is a duplicate
        metadata = {"captured-at": "2026-11-29T11:00:00Z"}
        raw.objects[key] = StoredObject(frame, metadata=metadata)
        tickets.issue(key, frame, metadata)
    deps = IngestDependencies(
        raw_images=Faulty("raw_images", raw, faults),  # type: ignore[arg-type]
        crops=Faulty("crops", FakeRawImages(), faults),  # type: ignore[arg-type]
        tickets=Faulty("tickets", tickets, faults),  # type: ignore[arg-type]
        fingerprints=Faulty("fingerprints", FakeFingerprints(),  # type: ignore[arg-type]
                            faults),
        exceptions=Faulty("exceptions", FakeExceptions(), faults),  # type: ignore[arg-type]
        image_records=Faulty("image_records", records, faults),  # type: ignore[arg-type]
        reads=Faulty("reads", reads, faults),  # type: ignore[arg-type]
        cameras=Faulty("cameras", FakeCameras({"cam-1": (True, None)}),  # type: ignore[arg-type]
                       faults),
        recognize=recognize, retention_days=365, max_upload_bytes=10_000, clock=lambda: NOW)
    return World(faults, raw, records, reads, FakeDeadLetters(), deps), keys


def notification(key: str) -> str:
    return json.dumps({"Records": [{"eventName": "ObjectCreated:Post",
                                    "s3": {"bucket": {"name": "raw"},
                                           "object": {"key": key, "size": len(JPEG)}}}]})


@dataclass
class Queue:
    """SQS + the event source mapping: batches of 10, redelivery, at-least-once."""

    pending: list[tuple[str, str, int]] = field(default_factory=list)  # id, body, receives
    crash_after: dict[int, int] = field(default_factory=dict)  # batch number -> objects done
    duplicate: set[str] = field(default_factory=set)  # message ids delivered twice
    deliveries: int = 0

    def run(self, state: World, max_batches: int = 200) -> None:
        batch_number = 0
        while self.pending and batch_number < max_batches:
            batch, self.pending = self.pending[:10], self.pending[10:]
            batch_number += 1
            done = 0
            for message_id, body, receives in batch:
                message = QueueMessage(message_id, body, receives + 1)
                self.deliveries += 1
                try:
                    if self.crash_after.get(batch_number) == done:
                        raise Crash
                    ingest_message(message, state.deps, state.dead_letters, MAX_RECEIVES)
                    done += 1
                    if message_id in self.duplicate:  # at-least-once: it comes back once more
                        self.duplicate.discard(message_id)
                        self.pending.append((message_id, body, receives + 1))
                except Crash:
                    # The invocation died without reporting: the whole batch comes back,
                    # including the messages it had already handled.
                    self.pending.extend((mid, text, count + 1) for mid, text, count in batch)
                    break
                except StorageError:
                    self.pending.append((message_id, body, receives + 1))


def assert_nothing_lost(state: World, keys: list[str]) -> None:
    dead_keys = {
        record["s3"]["object"]["key"]
        for letter in state.dead_letters.letters if letter.body.startswith("{\"Records\"")
        for record in json.loads(letter.body)["Records"]}
    assert all(letter.reason for letter in state.dead_letters.letters)
    for key in keys:
        record = state.records.get(key)
        finished = record is not None and record.status in (ImageStatus.PROCESSED,
                                                             ImageStatus.REJECTED)
        assert finished or key in dead_keys, f"{key} was lost"
        if record is not None and record.status == ImageStatus.PROCESSED:
            assert len(record.read_ids) == 2
            assert all(state.reads.created.get(read_id) == 1 for read_id in record.read_ids)
    assert all(count == 1 for count in state.reads.created.values())


# ---------------------------------------------------------------------- scenarios
def test_throttling_at_every_call_point_is_retried_to_exactly_once() -> None:
    state, keys = world(len(FAULT_POINTS))
    for index, point in enumerate(FAULT_POINTS):
        state.faults.planned[(point, index + 1)] = TransientStorageError(
            f"{point}: ThrottlingException")
    queue = Queue(pending=[(f"m{index}", notification(key), 0) for index, key in enumerate(keys)])
    queue.run(state)
    assert_nothing_lost(state, keys)
    assert state.dead_letters.letters == []
    assert queue.deliveries > len(keys)  # the faults did cause retries
    assert all(state.records.get(key).status == ImageStatus.PROCESSED  # type: ignore[union-attr]
               for key in keys)


def test_a_crash_mid_batch_redelivers_and_writes_each_read_once() -> None:
    state, keys = world(25)
    queue = Queue(pending=[(f"m{index}", notification(key), 0) for index, key in enumerate(keys)],
                  crash_after={1: 4, 2: 0, 3: 9})
    # A crash inside one frame too: after its first read is written, before the second.
    state.faults.planned[("reads.put_new", 13)] = Crash()
    queue.run(state)
    assert_nothing_lost(state, keys)
    assert len(state.reads.reads) == 2 * len(keys)
    assert state.dead_letters.letters == []


def test_duplicate_deliveries_write_nothing_twice() -> None:
    state, keys = world(10)
    ids = [f"m{index}" for index in range(len(keys))]
    queue = Queue(pending=[(mid, notification(key), 0) for mid, key in zip(ids, keys,
                                                                            strict=True)],
                  duplicate=set(ids))
    queue.pending += list(queue.pending)  # and S3 notified twice
    queue.run(state)
    assert_nothing_lost(state, keys)
    assert len(state.reads.reads) == 2 * len(keys)


@pytest.mark.parametrize("body", ["not json", "[]", "{\"Records\": []}",
                                  "{\"Records\": [{\"eventName\": \"ObjectCreated:Put\"}]}"])
def test_poison_messages_go_to_the_dead_letter_queue_at_once_with_a_reason(body: str) -> None:
    state, _ = world(0)
    queue = Queue(pending=[("poison", body, 0)])
    queue.run(state)
    [letter] = state.dead_letters.letters
    assert letter.reason.startswith("malformed message: ")
    assert (letter.body, letter.source_message_id, letter.receive_count) == (body, "poison", 1)
    assert queue.deliveries == 1


def test_a_persistent_fault_dead_letters_after_the_last_delivery_then_redrive_completes() -> None:
    state, keys = world(3)
    state.faults.always["raw_images.read"] = TransientStorageError(
        f"read {keys[1]}: SlowDown")
    state.faults.only_for = keys[1]
    queue = Queue(pending=[(f"m{index}", notification(key), 0) for index, key in enumerate(keys)])
    queue.run(state)
    [letter] = state.dead_letters.letters
    assert letter.receive_count == MAX_RECEIVES
    assert letter.reason == f"TransientStorageError: read {keys[1]}: SlowDown"
    assert_nothing_lost(state, keys)
    # The store recovers; an operator redrives the dead letter: the frame completes once.
    state.faults.always.clear()
    redrive = Queue(pending=[("redriven", letter.body, 0)])
    redrive.run(state)
    assert state.records.get(keys[1]).status == ImageStatus.PROCESSED  # type: ignore[union-attr]
    assert_nothing_lost(state, keys)


def test_an_unexpected_error_on_the_last_delivery_leaves_only_its_type_as_reason() -> None:
    state, keys = world(1)
    state.faults.always["reads.put_new"] = KeyError("7ABC123")
    queue = Queue(pending=[("m0", notification(keys[0]), MAX_RECEIVES - 1)])
    with pytest.raises(KeyError):  # not our storage error: the queue model lets it escape...
        ingest_message(QueueMessage("m0", notification(keys[0]), 1), state.deps,
                       state.dead_letters, MAX_RECEIVES)
    queue.run(state)  # ...until the last delivery, which dead-letters it
    [letter] = state.dead_letters.letters
    assert letter.reason == "unexpected KeyError"
    assert "7ABC123" not in letter.reason


@settings(max_examples=60, deadline=None)
@given(faults=st.lists(st.tuples(st.sampled_from(FAULT_POINTS), st.integers(1, 40),
                                 st.sampled_from(["ThrottlingException", "InternalError",
                                                  "ServiceUnavailable", "crash"])),
                       max_size=25),
       crashes=st.dictionaries(st.integers(1, 8), st.integers(0, 9), max_size=3),
       duplicated=st.sets(st.integers(0, 11), max_size=4))
def test_any_mix_of_faults_loses_nothing_and_duplicates_nothing(
        faults: list[tuple[str, int, str]], crashes: dict[int, int],
        duplicated: set[int]) -> None:
    state, keys = world(12)
    for point, number, code in faults:
        state.faults.planned[(point, number)] = (
            Crash() if code == "crash" else TransientStorageError(f"{point}: {code}"))
    queue = Queue(pending=[(f"m{index}", notification(key), 0) for index, key in enumerate(keys)],
                  crash_after=crashes, duplicate={f"m{index}" for index in duplicated})
    queue.run(state)
    assert queue.pending == []
    assert_nothing_lost(state, keys)


def test_objects_are_refs_the_model_understands() -> None:
    """Guard for the queue model itself: its notifications parse as S3 ObjectCreated."""
    from chalicelib.domain.images import objects_from_notification

    assert objects_from_notification(notification("cameras/c/2026-11-29/x.jpg")) == [
        ObjectRef("raw", "cameras/c/2026-11-29/x.jpg", None, len(JPEG), "")]


def test_the_configuration_test_event_is_neither_ingested_nor_dead_lettered() -> None:
    """S3 sends it when notifications are set up; counting it as dead-lettered would page
    someone for nothing."""
    state, _ = world(1)
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent",
                             "Bucket": "platekeeper-images"})
    result = ingest_message(QueueMessage("m-test", test_event, 1), state.deps,
                            state.dead_letters, MAX_RECEIVES)
    assert result == MessageResult()
    assert state.dead_letters.letters == []


def test_a_dead_lettered_message_says_so_with_its_reason() -> None:
    state, keys = world(1)
    malformed = ingest_message(QueueMessage("m-bad", "not json", 1), state.deps,
                               state.dead_letters, MAX_RECEIVES)
    done = ingest_message(QueueMessage("m-ok", notification(keys[0]), 1), state.deps,
                          state.dead_letters, MAX_RECEIVES)
    assert malformed.outcomes == ()
    assert (malformed.dead_letter_reason or "").startswith("malformed message")
    assert [letter.reason for letter in state.dead_letters.letters] == [
        malformed.dead_letter_reason]
    assert done.dead_letter_reason is None
    assert [outcome.image_key for outcome in done.outcomes] == [keys[0]]
