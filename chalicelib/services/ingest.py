"""Ingest one uploaded camera frame: validate it, record it once, and keep it under retention.

Presigned POST conditions are not enforced everywhere (moto ignores them), so every check the
upload policy makes is made again here, on the stored object itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.adapters.errors import AlreadyExists, ObjectNotFound
from chalicelib.adapters.raw_images import ObjectHead
from chalicelib.domain.images import (
    ACCEPTED_CONTENT_TYPES,
    ImageKey,
    ImageRecord,
    ImageStatus,
    InvalidImageKey,
    ObjectRef,
    sniff_content_type,
)
from chalicelib.policy.retention import expiry_epoch

Clock = Callable[[], datetime]
CAPTURED_AT_METADATA = "captured-at"
# Camera clocks drift; a capture time slightly ahead of ours is still plausible.
_CLOCK_SKEW = timedelta(minutes=5)


class RawImageReader(Protocol):
    """Reads stored camera objects (RawImageStore, or a fake in unit tests)."""

    def head(self, key: str, version_id: str | None = None) -> ObjectHead: ...

    def read(self, key: str, version_id: str | None = None,
             max_bytes: int | None = None) -> bytes: ...


class ImageRecordStore(Protocol):
    """Stores ImageRecord values (ImageRecords, or a fake in unit tests)."""

    def get(self, image_key: str) -> ImageRecord | None: ...

    def claim(self, record: ImageRecord) -> None: ...

    def finish(self, record: ImageRecord) -> None: ...


class RejectedImage(ValueError):
    """The object can never become reads; it is recorded with this reason, not retried."""


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one object."""

    image_key: str
    status: str
    reason: str = ""
    duplicate: bool = False


@dataclass(frozen=True)
class IngestDependencies:
    """Adapters and settings the ingest use case needs."""

    raw_images: RawImageReader
    image_records: ImageRecordStore
    retention_days: int
    max_upload_bytes: int
    clock: Clock


def ingest_object(ref: ObjectRef, deps: IngestDependencies) -> IngestOutcome:
    """Validate, claim and record one uploaded object; transient errors propagate for retry."""
    now = deps.clock()
    try:
        record = _validated_record(ref, deps, now)
    except RejectedImage as rejection:
        return _record_rejection(ref, str(rejection), deps, now)
    try:
        deps.image_records.claim(record)
    except AlreadyExists:
        existing = deps.image_records.get(ref.key)
        status = existing.status if existing else ImageStatus.PROCESSED
        return IngestOutcome(ref.key, status, duplicate=True)
    finished = replace(record, status=ImageStatus.PROCESSED)
    deps.image_records.finish(finished)
    return IngestOutcome(ref.key, finished.status)


def _validated_record(ref: ObjectRef, deps: IngestDependencies, now: datetime) -> ImageRecord:
    try:
        image_key = ImageKey.parse(ref.key)
    except InvalidImageKey as error:
        raise RejectedImage(str(error)) from error
    try:
        head = deps.raw_images.head(ref.key, ref.version_id)
    except ObjectNotFound as error:
        raise RejectedImage("object no longer exists") from error
    if head.size <= 0:
        raise RejectedImage("object is empty")
    if head.size > deps.max_upload_bytes:
        raise RejectedImage(f"object is {head.size} bytes, over the {deps.max_upload_bytes} limit")
    content_type = sniff_content_type(deps.raw_images.read(ref.key, ref.version_id, max_bytes=16))
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise RejectedImage("object is neither a JPEG nor a PNG image")
    captured_at = _capture_time(head.metadata.get(CAPTURED_AT_METADATA), image_key, now)
    return ImageRecord(
        image_key=ref.key,
        camera_id=image_key.camera_id,
        version_id=head.version_id or ref.version_id,
        status=ImageStatus.RECEIVED,
        captured_at=captured_at.isoformat(),
        received_at=now.isoformat(),
        expires_at=expiry_epoch(captured_at, deps.retention_days),
        size=head.size,
        content_type=str(content_type),
    )


def _capture_time(text: str | None, image_key: ImageKey, now: datetime) -> datetime:
    """Capture time from the object's metadata: timezone-aware, on the key's day, not future."""
    if not text:
        raise RejectedImage("object has no captured-at metadata")
    try:
        captured_at = datetime.fromisoformat(text)
    except ValueError as error:
        raise RejectedImage("captured-at metadata is not an ISO 8601 time") from error
    if captured_at.tzinfo is None:
        raise RejectedImage("captured-at metadata has no time zone")
    captured_at = captured_at.astimezone(UTC)
    if captured_at.date() != image_key.capture_day:
        raise RejectedImage("captured-at metadata is not on the day the key names")
    if captured_at > now.astimezone(UTC).replace(microsecond=0) + _CLOCK_SKEW:
        raise RejectedImage("captured-at metadata lies in the future")
    return captured_at


def _record_rejection(ref: ObjectRef, reason: str, deps: IngestDependencies,
                      now: datetime) -> IngestOutcome:
    try:
        camera_id = ImageKey.parse(ref.key).camera_id
    except InvalidImageKey:
        camera_id = "unknown"
    # Rejected objects stay under the same retention as any upload, so the purge removes them.
    deps.image_records.finish(ImageRecord(
        image_key=ref.key, camera_id=camera_id, version_id=ref.version_id,
        status=ImageStatus.REJECTED, captured_at="", received_at=now.isoformat(),
        expires_at=expiry_epoch(now, deps.retention_days), size=ref.size, content_type="",
        reason=reason,
    ))
    return IngestOutcome(ref.key, ImageStatus.REJECTED, reason)

