"""Tickets bound at ingest, hashes from capture, duplicates: the ingest use case with fakes.

Each test is an attack a camera credential (or whoever holds a ticket) could try while S3's own
checks are absent (moto) or bypassed (a replayed ticket): the stored object must match the ticket
issued for its exact key, and only the first version written under it counts.
"""

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.images import ImageStatus, ObjectRef
from chalicelib.domain.uploads import (
    StoredUpload,
    UploadOutcome,
    ticket_mismatch,
    ticket_reuse,
)
from chalicelib.services.ingest import IngestDependencies, ingest_object, sha256_hex
from tests.unit.fakes import (
    STORED_AT,
    FakeExceptions,
    FakeRawImages,
    FakeReads,
    FakeTickets,
    StoredObject,
)
from tests.unit.test_ingest_service import JPEG_BYTES, KEY, NOW, make_deps, store

CAPTURED = "2026-11-29T11:59:00+00:00"


@pytest.fixture
def deps() -> IngestDependencies:
    return make_deps()


def exceptions_of(deps: IngestDependencies) -> list[tuple[str, str, str]]:
    assert isinstance(deps.exceptions, FakeExceptions)
    return sorted((event.camera_id, event.outcome.value, event.reason)
                  for event in deps.exceptions.events.values())


def reads_of(deps: IngestDependencies) -> int:
    assert isinstance(deps.reads, FakeReads)
    return len(deps.reads.reads)


def test_an_object_without_a_ticket_is_rejected_and_listed(deps: IngestDependencies) -> None:
    outcome = ingest_object(store(deps, ticket=False), deps)
    assert outcome.status == ImageStatus.REJECTED
    assert outcome.reason == "no upload ticket was issued for this object key"
    assert exceptions_of(deps) == [("cam-1", "rejected", outcome.reason)]
    assert reads_of(deps) == 0


def test_a_foreign_prefix_upload_is_rejected(deps: IngestDependencies) -> None:
    """cam-1's ticket, but the object was written under cam-2's prefix (moto ignores the POST
    policy's key condition): cam-2 never asked for that key, so no ticket exists for it."""
    assert isinstance(deps.tickets, FakeTickets)
    deps.tickets.issue(KEY, JPEG_BYTES, {"captured-at": CAPTURED})
    foreign = KEY.replace("cam-1", "cam-2")
    outcome = ingest_object(store(deps, key=foreign, ticket=False), deps)
    assert (outcome.status, outcome.reason) == (
        ImageStatus.REJECTED, "no upload ticket was issued for this object key")
    assert reads_of(deps) == 0


def test_a_reused_ticket_is_rejected_and_the_first_frame_kept(deps: IngestDependencies) -> None:
    first = ingest_object(store(deps), deps)
    assert first.status == ImageStatus.PROCESSED
    # The same ticket POSTed again: S3 stores a second version under the key.
    assert isinstance(deps.raw_images, FakeRawImages)
    deps.raw_images.objects[KEY] = StoredObject(JPEG_BYTES[:-5] + b"other", versions=2,
                                                metadata={"captured-at": CAPTURED})
    replay = ingest_object(ObjectRef("raw", KEY, "v2", 10, NOW.isoformat()), deps)
    assert replay.status == ImageStatus.REJECTED
    assert "already used" in replay.reason
    record = deps.image_records.get(KEY)
    assert record is not None and record.status == ImageStatus.PROCESSED  # not overwritten
    assert record.version_id == "v1"
    assert reads_of(deps) == 1


@pytest.mark.parametrize(("change", "reason"), [
    ({"captured-at": "2026-11-29T11:00:00+00:00"}, "captured-at metadata differs"),
    ({"lat": "10.0", "lon": "10.0", "heading": "0"}, "lat metadata differs"),
])
def test_metadata_other_than_the_tickets_is_rejected(deps: IngestDependencies,
                                                     change: dict[str, str], reason: str) -> None:
    assert isinstance(deps.tickets, FakeTickets)
    deps.tickets.issue(KEY, JPEG_BYTES, {"captured-at": CAPTURED})
    outcome = ingest_object(store(deps, ticket=False, **{"captured_at": CAPTURED, **{
        name.replace("-", "_") if name == "captured-at" else name: value
        for name, value in change.items()}}), deps)
    assert outcome.status == ImageStatus.REJECTED
    assert reason in outcome.reason


def test_an_object_of_another_size_or_type_than_declared_is_rejected(
        deps: IngestDependencies) -> None:
    assert isinstance(deps.tickets, FakeTickets)
    deps.tickets.issue(KEY, JPEG_BYTES[:-10], {"captured-at": CAPTURED})
    assert "bytes but its ticket was issued for" in ingest_object(
        store(deps, ticket=False), deps).reason
    png = KEY.replace("frame.jpg", "other.jpg")
    deps.tickets.issue(png, JPEG_BYTES, {"captured-at": CAPTURED}, content_type="image/png")
    assert "not the image/png its ticket" in ingest_object(
        store(deps, key=png, ticket=False), deps).reason


def test_an_object_written_after_its_ticket_expired_is_rejected(
        deps: IngestDependencies) -> None:
    assert isinstance(deps.tickets, FakeTickets)
    deps.tickets.issue(KEY, JPEG_BYTES, {"captured-at": CAPTURED},
                       expires_at=STORED_AT - timedelta(minutes=1))
    outcome = ingest_object(store(deps, ticket=False), deps)
    assert outcome.reason == "the object was written after its upload ticket expired"


def test_hashes_are_taken_at_ingest_and_stored_with_reads_and_record(
        deps: IngestDependencies) -> None:
    ingest_object(store(deps), deps)
    assert isinstance(deps.reads, FakeReads)
    [read] = deps.reads.reads.values()
    record = deps.image_records.get(KEY)
    assert record is not None
    assert read.image_sha256 == record.sha256 == sha256_hex(JPEG_BYTES)
    assert read.crop_sha256 == sha256_hex(b"\xff\xd8crop")
    assert read.crop_version == "v1"
    assert record.crops and record.crops[0].key == read.crop_key
    assert record.crops[0].sha256 == read.crop_sha256


def test_the_same_bytes_from_the_same_camera_are_a_duplicate_counted_once(
        deps: IngestDependencies) -> None:
    ingest_object(store(deps), deps)
    again = KEY.replace("frame.jpg", "again.jpg")
    ref = store(deps, key=again)
    outcome = ingest_object(ref, deps)
    assert outcome.status == ImageStatus.DUPLICATE
    assert KEY in outcome.reason
    assert reads_of(deps) == 1
    record = deps.image_records.get(again)
    assert record is not None and record.duplicate_of == KEY
    assert record.expires_at is not None  # purged with its retention like any upload
    ingest_object(ref, deps)  # redelivered: counted once
    assert [outcome for _, outcome, _ in exceptions_of(deps)] == ["duplicate"]


def test_the_same_bytes_from_another_camera_are_not_a_duplicate() -> None:
    from tests.unit.fakes import FakeCameras

    deps = make_deps(cameras=FakeCameras({"cam-1": (True, None), "cam-2": (True, None)}))
    ingest_object(store(deps), deps)
    other = ingest_object(store(deps, key=KEY.replace("cam-1", "cam-2")), deps)
    assert other.status == ImageStatus.PROCESSED


def test_a_refusal_of_a_processed_frame_does_not_overwrite_it(deps: IngestDependencies) -> None:
    ref = store(deps)
    ingest_object(ref, deps)
    from tests.unit.fakes import FakeCameras

    object.__setattr__(deps, "cameras", FakeCameras({"cam-1": (False, None)}))
    late = ingest_object(ref, deps)  # redelivered after the camera was switched off
    assert late.status == ImageStatus.REJECTED
    record = deps.image_records.get(KEY)
    assert record is not None and record.status == ImageStatus.PROCESSED


def test_ticket_rules_are_pure() -> None:
    from tests.unit.fakes import FakeTickets as Tickets

    ticket = Tickets().issue(KEY, JPEG_BYTES, {"captured-at": CAPTURED})
    upload = StoredUpload(KEY, "cam-1", "v1", len(JPEG_BYTES), "image/jpeg", STORED_AT,
                          {"captured-at": CAPTURED})
    assert ticket_mismatch(ticket, upload) is None
    assert ticket_mismatch(None, upload) is not None
    assert "camera cam-1" in str(ticket_mismatch(ticket, replace(upload, camera_id="cam-9")))
    assert ticket_mismatch(ticket, replace(upload, last_modified=None)) is not None
    assert ticket_reuse(ticket, "v1") is None
    assert ticket_reuse(replace(ticket, used_version="v1"), "v1") is None
    assert ticket_reuse(replace(ticket, used_version="v1"), "v2") is not None
    assert UploadOutcome("duplicate") is UploadOutcome.DUPLICATE
