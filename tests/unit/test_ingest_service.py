from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.images import ImageStatus, ObjectRef, sniff_content_type
from chalicelib.domain.reads import Read
from chalicelib.policy.retention import expiry_epoch
from chalicelib.services.ingest import (
    IngestDependencies,
    PlateFound,
    UnreadableImage,
    crop_key_for,
    ingest_object,
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
KEY = "cameras/cam-1/2026-11-29/frame.jpg"
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"x" * 100
PLATE = PlateFound("7ABC123", 0.97, (("7ABC123", 0.97), ("7A8C123", 0.02)), (10, 20, 120, 40),
                   b"\xff\xd8crop")


def recognizer(plates: Sequence[PlateFound]) -> object:
    def recognize(data: bytes) -> Sequence[PlateFound]:
        if not data.startswith(b"\xff\xd8"):
            raise UnreadableImage("not a JPEG")
        return plates

    return recognize


def make_deps(plates: Sequence[PlateFound] = (PLATE,),
              cameras: FakeCameras | None = None) -> IngestDependencies:
    return IngestDependencies(
        raw_images=FakeRawImages(), crops=FakeRawImages(), image_records=FakeImageRecords(),
        reads=FakeReads(),
        cameras=cameras or FakeCameras({"cam-1": (True, (37.35, -121.95, 90.0))}),
        tickets=FakeTickets(), fingerprints=FakeFingerprints(), exceptions=FakeExceptions(),
        recognize=recognizer(plates),  # type: ignore[arg-type]
        retention_days=365, max_upload_bytes=1000, clock=lambda: NOW)


@pytest.fixture
def deps() -> IngestDependencies:
    return make_deps()


def store(deps: IngestDependencies, key: str = KEY, body: bytes = JPEG_BYTES,
          captured_at: str | None = "2026-11-29T11:59:00+00:00", ticket: bool = True,
          **metadata: str) -> ObjectRef:
    """What a camera does: get a ticket for the object (as the API issues it), then write it."""
    if captured_at is not None:
        metadata["captured-at"] = captured_at
    assert isinstance(deps.raw_images, FakeRawImages) and isinstance(deps.tickets, FakeTickets)
    if ticket:
        deps.tickets.issue(key, body, metadata, sniff_content_type(body[:16]) or "image/jpeg")
    deps.raw_images.objects[key] = StoredObject(body, metadata=metadata)
    return ObjectRef("raw", key, "v1", len(body), NOW.isoformat())


def written_reads(deps: IngestDependencies) -> list[Read]:
    assert isinstance(deps.reads, FakeReads)
    return list(deps.reads.reads.values())


def test_each_plate_becomes_a_read_with_retention_crop_and_position(
        deps: IngestDependencies) -> None:
    outcome = ingest_object(store(deps), deps)
    assert outcome.status == ImageStatus.PROCESSED
    [read] = written_reads(deps)
    captured = datetime(2026, 11, 29, 11, 59, tzinfo=UTC)
    assert read.plate == "7ABC123"
    assert read.expires_at == expiry_epoch(captured, 365)
    assert read.captured_at == "2026-11-29T11:59:00Z"
    assert [candidate.text for candidate in read.candidates] == ["7ABC123", "7A8C123"]
    assert (read.lat, read.lon, read.heading) == (37.35, -121.95, 90.0)
    assert read.crop_key == crop_key_for(KEY, 0) == "crops/cam-1/2026-11-29/frame-0.jpg"
    assert isinstance(deps.crops, FakeRawImages)
    assert deps.crops.objects[read.crop_key].body == b"\xff\xd8crop"
    record = deps.image_records.get(KEY)
    assert record is not None
    assert (record.plates_found, record.read_ids) == (1, (read.read_id,))


def test_the_state_read_off_the_plate_is_stored_with_the_read() -> None:
    deps = make_deps((replace(PLATE, state="NV", state_confidence=0.91),))
    ingest_object(store(deps), deps)
    [read] = written_reads(deps)
    assert (read.state, read.state_confidence) == ("NV", 0.91)


def test_mobile_camera_position_comes_from_metadata(deps: IngestDependencies) -> None:
    ingest_object(store(deps, lat="37.1", lon="-121.5", heading="270"), deps)
    [read] = written_reads(deps)
    assert (read.lat, read.lon, read.heading) == (37.1, -121.5, 270.0)


def test_frame_without_plates_is_kept_as_a_no_read_record() -> None:
    deps = make_deps(plates=())
    outcome = ingest_object(store(deps), deps)
    assert outcome.status == ImageStatus.PROCESSED
    record = deps.image_records.get(KEY)
    assert record is not None and record.plates_found == 0 and record.expires_at is not None
    assert written_reads(deps) == []


def test_redelivery_writes_nothing_new(deps: IngestDependencies) -> None:
    ref = store(deps)
    ingest_object(ref, deps)
    again = ingest_object(ref, deps)
    assert again.redelivered
    assert isinstance(deps.image_records, FakeImageRecords)
    assert deps.image_records.claims == 1
    assert len(written_reads(deps)) == 1


def test_crash_after_claim_is_completed_by_the_retry(deps: IngestDependencies) -> None:
    ref = store(deps)
    failing = make_deps()
    for shared in ("raw_images", "crops", "image_records", "reads", "tickets", "fingerprints",
                   "exceptions"):
        object.__setattr__(failing, shared, getattr(deps, shared))

    def crash(reads: Sequence[Read]) -> None:
        raise RuntimeError("lambda timed out")

    object.__setattr__(failing, "on_reads", crash)
    with pytest.raises(RuntimeError):
        ingest_object(ref, failing)
    retry = ingest_object(ref, deps)
    assert retry.status == ImageStatus.PROCESSED and not retry.redelivered
    assert len(written_reads(deps)) == 1


@pytest.mark.parametrize(("body", "captured_at", "reason"), [
    (b"", "2026-11-29T11:59:00+00:00", "empty"),
    (b"\xff\xd8\xff" + b"x" * 2000, "2026-11-29T11:59:00+00:00", "over the 1000 limit"),
    (b"GIF89a" + b"x" * 10, "2026-11-29T11:59:00+00:00", "neither a JPEG nor a PNG"),
    (JPEG_BYTES, None, "no captured-at"),
    (JPEG_BYTES, "yesterday", "not an ISO 8601"),
    (JPEG_BYTES, "2026-11-29T11:59:00", "no time zone"),
    (JPEG_BYTES, "2026-11-28T11:59:00+00:00", "not on the day"),
    (JPEG_BYTES, (NOW + timedelta(hours=1)).isoformat(), "in the future"),
])
def test_bad_objects_are_recorded_as_rejected_with_a_reason(
        deps: IngestDependencies, body: bytes, captured_at: str | None, reason: str) -> None:
    outcome = ingest_object(store(deps, body=body, captured_at=captured_at), deps)
    assert outcome.status == ImageStatus.REJECTED
    assert reason in outcome.reason
    record = deps.image_records.get(KEY)
    assert record is not None and record.status == ImageStatus.REJECTED
    assert reason in record.reason
    assert record.expires_at is not None  # rejected uploads are purged like any other
    assert written_reads(deps) == []


def test_undecodable_image_is_rejected() -> None:
    deps = make_deps()
    outcome = ingest_object(store(deps, body=b"\x89PNG\r\n\x1a\n" + b"garbage" * 5), deps)
    assert outcome.status == ImageStatus.REJECTED
    assert "cannot be decoded" in outcome.reason


@pytest.mark.parametrize("cameras", [FakeCameras({}), FakeCameras({"cam-1": (False, None)})])
def test_unknown_or_inactive_camera_is_rejected(cameras: FakeCameras) -> None:
    deps = make_deps(cameras=cameras)
    outcome = ingest_object(store(deps), deps)
    assert outcome.status == ImageStatus.REJECTED
    assert "not a registered, active camera" in outcome.reason


def test_key_outside_camera_prefix_is_rejected(deps: IngestDependencies) -> None:
    outcome = ingest_object(store(deps, key="elsewhere/x.jpg"), deps)
    assert outcome.status == ImageStatus.REJECTED
    assert "not cameras/" in outcome.reason


def test_vanished_object_is_rejected_not_retried(deps: IngestDependencies) -> None:
    assert isinstance(deps.tickets, FakeTickets)
    deps.tickets.issue(KEY, JPEG_BYTES, {})
    ref = ObjectRef("raw", KEY, "v1", 10, NOW.isoformat())
    outcome = ingest_object(ref, deps)
    assert outcome.status == ImageStatus.REJECTED
    assert "no longer exists" in outcome.reason
