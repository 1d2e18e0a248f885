from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.images import ImageStatus, ObjectRef
from chalicelib.policy.retention import expiry_epoch
from chalicelib.services.ingest import IngestDependencies, ingest_object
from tests.unit.fakes import FakeImageRecords, FakeRawImages, StoredObject

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KEY = "cameras/cam-1/2026-11-29/frame.jpg"
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"x" * 100


@pytest.fixture
def deps() -> IngestDependencies:
    return IngestDependencies(raw_images=FakeRawImages(), image_records=FakeImageRecords(),
                              retention_days=365, max_upload_bytes=1000, clock=lambda: NOW)


def store(deps: IngestDependencies, key: str = KEY, body: bytes = JPEG_BYTES,
          captured_at: str | None = "2026-11-29T11:59:00+00:00") -> ObjectRef:
    metadata = {} if captured_at is None else {"captured-at": captured_at}
    assert isinstance(deps.raw_images, FakeRawImages)
    deps.raw_images.objects[key] = StoredObject(body, metadata=metadata)
    return ObjectRef("raw", key, "v1", len(body), NOW.isoformat())


def test_valid_image_is_recorded_with_retention_from_capture_time(
        deps: IngestDependencies) -> None:
    outcome = ingest_object(store(deps), deps)
    assert outcome.status == ImageStatus.PROCESSED
    record = deps.image_records.get(KEY)
    assert record is not None
    captured = datetime(2026, 11, 29, 11, 59, tzinfo=UTC)
    assert record.expires_at == expiry_epoch(captured, 365)
    assert record.camera_id == "cam-1"
    assert record.content_type == "image/jpeg"


def test_redelivery_is_a_no_op(deps: IngestDependencies) -> None:
    ref = store(deps)
    ingest_object(ref, deps)
    again = ingest_object(ref, deps)
    assert again.duplicate
    assert isinstance(deps.image_records, FakeImageRecords)
    assert deps.image_records.claims == 1


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


def test_key_outside_camera_prefix_is_rejected(deps: IngestDependencies) -> None:
    outcome = ingest_object(store(deps, key="elsewhere/x.jpg"), deps)
    assert outcome.status == ImageStatus.REJECTED
    assert "not cameras/" in outcome.reason


def test_vanished_object_is_rejected_not_retried(deps: IngestDependencies) -> None:
    ref = ObjectRef("raw", KEY, "v1", 10, NOW.isoformat())
    outcome = ingest_object(ref, deps)
    assert outcome.status == ImageStatus.REJECTED
    assert "no longer exists" in outcome.reason
