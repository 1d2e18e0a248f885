"""Ingest one uploaded camera frame: hold it against its ticket, hash it, drop repeats, read its
plates, write each read once.

Presigned POST conditions are not enforced everywhere (moto ignores them) and a ticket can be
replayed while it is valid, so the stored object itself must match an issued, unexpired ticket of
its camera (exact key, type, size, capture time, position), and only the first version written
under a ticket is accepted. The frame's SHA-256 is taken here, before recognition, and stored with
the image record and every read, as is each crop's: exports check the bytes against them. The
same camera sending the same bytes again is a duplicate, recorded and counted, not new reads.
Every id and key written is derived from the object (key + version), so a redelivered message
rewrites nothing: reads, crops and alerts are created with conditions or deterministic keys.

A queue message either ends with every object it names recorded (processed or rejected with a
reason), or in the dead-letter queue with the reason it failed: at once when it is malformed,
after its last delivery when a failure persists. Transient failures before that are raised so
the queue delivers the message again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.adapters.dead_letters import DeadLetter
from chalicelib.adapters.errors import AlreadyExists, ObjectNotFound, StorageError
from chalicelib.adapters.raw_images import ObjectHead
from chalicelib.domain.images import (
    ACCEPTED_CONTENT_TYPES,
    ImageKey,
    ImageRecord,
    ImageStatus,
    InvalidImageKey,
    MalformedMessage,
    ObjectRef,
    StoredCopy,
    objects_from_notification,
    sniff_content_type,
)
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from chalicelib.domain.uploads import (
    StoredUpload,
    UploadException,
    UploadOutcome,
    UploadTicket,
    ticket_mismatch,
    ticket_reuse,
    version_label,
)
from chalicelib.policy.retention import expiry_epoch
from chalicelib.services.camera_health import NoActivity

Clock = Callable[[], datetime]
CAPTURED_AT_METADATA = "captured-at"
POSITION_METADATA = ("lat", "lon", "heading")
# Camera clocks drift; a capture time slightly ahead of ours is still plausible.
_CLOCK_SKEW = timedelta(minutes=5)
_EVENT_NAMESPACE = uuid.UUID("0c5a7f43-96c1-4f0e-8a55-2f1d3e4b6a70")


class RawImageReader(Protocol):
    """Reads stored camera objects (RawImageStore on the raw bucket, or a fake)."""

    def head(self, key: str, version_id: str | None = None) -> ObjectHead: ...

    def read(self, key: str, version_id: str | None = None,
             max_bytes: int | None = None) -> bytes: ...


class CropWriter(Protocol):
    """Stores crops where no camera can write (RawImageStore on the derived bucket)."""

    def put(self, key: str, body: bytes, content_type: str,
            metadata: dict[str, str] | None = None) -> str | None: ...


class TicketLedger(Protocol):
    """Issued upload tickets (adapters/uploads_tables.UploadTicketsTable)."""

    def get(self, object_key: str) -> UploadTicket | None: ...

    def mark_used(self, object_key: str, version_id: str | None, at: str) -> bool: ...


class FingerprintStore(Protocol):
    """The first upload of each frame's bytes per camera (adapters/uploads_tables)."""

    def claim(self, camera_id: str, sha256: str, image_key: str, version_id: str | None,
              expires_at: int) -> tuple[str, str]: ...


class ExceptionLog(Protocol):
    """Rejected and duplicate uploads with daily counts (adapters/uploads_tables)."""

    def record(self, event: UploadException, expires_at: int) -> bool: ...


class ImageRecordStore(Protocol):
    """Stores ImageRecord values (ImageRecords, or a fake in unit tests)."""

    def get(self, image_key: str) -> ImageRecord | None: ...

    def claim(self, record: ImageRecord) -> None: ...

    def finish(self, record: ImageRecord) -> None: ...

    def record_unclaimed(self, record: ImageRecord) -> bool: ...


class ReadWriter(Protocol):
    def put_new(self, read: Read) -> bool: ...


class CameraCheck(Protocol):
    """Whether a camera id belongs to a registered, active camera, and where it stands."""

    def active_position(self, camera_id: str) -> tuple[bool, tuple[float, float, float] | None]: ...


class CameraActivityLog(Protocol):
    """The camera health counters (services/camera_health.CameraActivity); best effort."""

    def frame_accepted(self, camera_id: str, at: datetime, reads: int) -> None: ...

    def upload_rejected(self, camera_id: str, at: datetime) -> None: ...

    def duplicate(self, camera_id: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class PlateFound:
    """What the recognizer reports for one plate (a subset of recognition.PlateRead)."""

    text: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    box: tuple[int, int, int, int]
    crop_jpeg: bytes | None
    state: str | None = None  # the issuing state, when the recognizer is sure
    state_confidence: float = 0.0


Recognizer = Callable[[bytes], Sequence[PlateFound]]


class UnreadableImage(ValueError):
    """The recognizer could not decode the image (corrupt, truncated, not an image)."""


class RejectedImage(ValueError):
    """The object can never become reads; it is recorded with this reason, not retried.
    `version_id` is the stored version when known (notifications may not name one)."""

    def __init__(self, reason: str, version_id: str | None = None) -> None:
        super().__init__(reason)
        self.version_id = version_id


class DuplicateFrame(ValueError):
    """The camera sent these bytes before; `record` is this upload's, `original` the first."""

    def __init__(self, record: ImageRecord, original: str) -> None:
        super().__init__(f"the same frame was uploaded before as {original}")
        self.record = record
        self.original = original


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one object."""

    image_key: str
    status: str
    reason: str = ""
    redelivered: bool = False  # this object was already done: nothing was written again
    reads: tuple[Read, ...] = ()


@dataclass(frozen=True)
class MessageResult:
    """What happened to one queue message: each object's outcome, or why it was dead-lettered.
    A message may name no object at all (S3's configuration TestEvent) and be neither."""

    outcomes: tuple[IngestOutcome, ...] = ()
    dead_letter_reason: str | None = None


ReadsWritten = Callable[[Sequence[Read]], object]


@dataclass(frozen=True)
class IngestDependencies:
    """Adapters and settings the ingest use case needs."""

    raw_images: RawImageReader
    crops: CropWriter
    image_records: ImageRecordStore
    reads: ReadWriter
    cameras: CameraCheck
    tickets: TicketLedger
    fingerprints: FingerprintStore
    exceptions: ExceptionLog
    recognize: Recognizer
    retention_days: int
    max_upload_bytes: int
    clock: Clock
    on_reads: ReadsWritten = lambda reads: None  # hotlist matching hooks in here
    activity: CameraActivityLog = field(default_factory=NoActivity)  # camera health counters


@dataclass(frozen=True)
class QueueMessage:
    """One delivery of an ingest queue message."""

    message_id: str
    body: str
    receive_count: int


class DeadLetterSink(Protocol):
    def send(self, letter: DeadLetter) -> None: ...


def ingest_message(message: QueueMessage, deps: IngestDependencies,
                   dead_letters: DeadLetterSink, max_receives: int) -> MessageResult:
    """Ingest every object the message names; raise to have it delivered again.

    A malformed message goes to the dead-letter queue at once (no delivery can fix it); any
    other failure does on the message's last delivery, so that it leaves a reason there.
    """
    try:
        refs = objects_from_notification(message.body)
    except MalformedMessage as error:
        return _dead_letter(message, f"malformed message: {error}", deps, dead_letters)
    try:
        return MessageResult(tuple(ingest_object(ref, deps) for ref in refs))
    except Exception as error:  # the last delivery must leave a reason, whatever failed
        if message.receive_count < max_receives:
            raise
        return _dead_letter(message, failure_reason(error), deps, dead_letters)


def failure_reason(error: Exception) -> str:
    """Why a delivery failed: our storage errors name the call and AWS error code; anything else
    only its type, since its text may hold data the dead-letter queue should not."""
    if isinstance(error, StorageError):
        return f"{type(error).__name__}: {error}"
    return f"unexpected {type(error).__name__}"


def _dead_letter(message: QueueMessage, reason: str, deps: IngestDependencies,
                 dead_letters: DeadLetterSink) -> MessageResult:
    dead_letters.send(DeadLetter(
        body=message.body, reason=reason, source_message_id=message.message_id,
        receive_count=message.receive_count, failed_at=format_time(deps.clock())))
    return MessageResult(dead_letter_reason=reason)


def ingest_object(ref: ObjectRef, deps: IngestDependencies) -> IngestOutcome:
    """Check, claim, recognize and record one object; transient errors propagate for retry."""
    now = deps.clock()
    try:
        record, position, frame = _accepted_frame(ref, deps, now)
    except RejectedImage as rejection:
        return _record_rejection(replace(ref, version_id=rejection.version_id or ref.version_id),
                                 str(rejection), deps, now)
    except DuplicateFrame as duplicate:
        return _record_duplicate(duplicate, deps, now)
    try:
        deps.image_records.claim(record)
    except AlreadyExists:
        existing = deps.image_records.get(ref.key)
        status = existing.status if existing else ImageStatus.PROCESSED
        return IngestOutcome(ref.key, status, redelivered=True)
    try:
        plates = deps.recognize(frame)
    except UnreadableImage as error:
        return _record_rejection(ref, f"image cannot be decoded: {error}", deps, now,
                                 claimed=record)
    stored = [_store_read(record, index, plate, position, deps)
              for index, plate in enumerate(plates)]
    reads = tuple(read for read, _ in stored)
    deps.on_reads(reads)
    # A frame without a readable plate stays as a no-read image record under the same retention
    # (its TTL purges the image). A frame with reads lives as long as its reads: their TTL
    # purge deletes the image and this record once no live or held read needs them.
    deps.image_records.finish(replace(
        record, status=ImageStatus.PROCESSED, read_ids=tuple(read.read_id for read in reads),
        plates_found=len(reads), expires_at=None if reads else record.expires_at,
        crops=tuple(copy for _, copy in stored if copy is not None)))
    deps.activity.frame_accepted(record.camera_id, now, len(reads))
    return IngestOutcome(ref.key, ImageStatus.PROCESSED, reads=reads)


def crop_key_for(image_key: str, index: int) -> str:
    """Where a read's crop lives in the derived bucket."""
    stem = image_key.removeprefix("cameras/").rsplit(".", 1)[0]
    return f"crops/{stem}-{index}.jpg"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _store_read(record: ImageRecord, index: int, plate: PlateFound,
                position: tuple[float, float, float] | None,
                deps: IngestDependencies) -> tuple[Read, StoredCopy | None]:
    crop = None
    if plate.crop_jpeg:
        key = crop_key_for(record.image_key, index)
        version = deps.crops.put(key, plate.crop_jpeg, "image/jpeg")
        crop = StoredCopy(key, version, sha256_hex(plate.crop_jpeg))
    captured = datetime.fromisoformat(record.captured_at)
    lat, lon, heading = position if position is not None else (None, None, None)
    read = Read(
        read_id=read_id_for(record.image_key, record.version_id, index),
        plate=plate.text, captured_at=format_time(captured), camera_id=record.camera_id,
        confidence=plate.confidence, image_key=record.image_key, expires_at=record.expires_at,
        candidates=tuple(Candidate(text, confidence) for text, confidence in plate.candidates),
        box=plate.box, image_version=record.version_id, image_sha256=record.sha256 or None,
        crop_key=crop.key if crop else None, crop_version=crop.version_id if crop else None,
        crop_sha256=crop.sha256 if crop else None, lat=lat, lon=lon, heading=heading,
        state=plate.state, state_confidence=plate.state_confidence)
    deps.reads.put_new(read)
    return read, crop


def _accepted_frame(ref: ObjectRef, deps: IngestDependencies, now: datetime
                    ) -> tuple[ImageRecord, tuple[float, float, float] | None, bytes]:
    """The record, position and bytes of an object its ticket allows; RejectedImage, or
    DuplicateFrame when the camera sent the same bytes before."""
    image_key, head, frame = _ticketed_object(ref, deps, now)
    active, fixed_position = deps.cameras.active_position(image_key.camera_id)
    if not active:
        raise RejectedImage(f"camera {image_key.camera_id} is not a registered, active camera")
    captured_at = _capture_time(head.metadata.get(CAPTURED_AT_METADATA), image_key, now)
    record = ImageRecord(
        image_key=ref.key,
        camera_id=image_key.camera_id,
        version_id=head.version_id or ref.version_id,
        status=ImageStatus.RECEIVED,
        captured_at=captured_at.isoformat(),
        received_at=now.isoformat(),
        expires_at=expiry_epoch(captured_at, deps.retention_days),
        size=head.size,
        content_type=str(sniff_content_type(frame[:16])),
        sha256=sha256_hex(frame),
    )
    _check_not_a_repeat(record, deps)
    return record, _position(head.metadata) or fixed_position, frame


def _ticketed_object(ref: ObjectRef, deps: IngestDependencies, now: datetime
                     ) -> tuple[ImageKey, ObjectHead, bytes]:
    """The key, head and bytes of the object, once they match the ticket issued for its key
    and this version is the one that used it; RejectedImage otherwise."""
    try:
        image_key = ImageKey.parse(ref.key)
    except InvalidImageKey as error:
        raise RejectedImage(str(error)) from error
    ticket = deps.tickets.get(ref.key)
    if ticket is None:  # checked before reading anything a stranger may have written
        raise RejectedImage("no upload ticket was issued for this object key")
    try:
        head = deps.raw_images.head(ref.key, ref.version_id)
    except ObjectNotFound as error:
        raise RejectedImage("object no longer exists") from error
    if head.size <= 0:
        raise RejectedImage("object is empty")
    if head.size > deps.max_upload_bytes:
        raise RejectedImage(f"object is {head.size} bytes, over the {deps.max_upload_bytes} limit")
    version = head.version_id or ref.version_id
    frame = deps.raw_images.read(ref.key, version)
    content_type = sniff_content_type(frame[:16])
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise RejectedImage("object is neither a JPEG nor a PNG image")
    mismatch = ticket_mismatch(ticket, StoredUpload(
        ref.key, image_key.camera_id, version, len(frame), content_type, head.last_modified,
        head.metadata))
    if mismatch is not None:
        raise RejectedImage(mismatch, version)
    _use_ticket(ticket, version, deps, now)
    return image_key, head, frame


def _use_ticket(ticket: UploadTicket, version_id: str | None, deps: IngestDependencies,
                now: datetime) -> None:
    """Only the first version written under a ticket is accepted (a replay writes another)."""
    reuse = ticket_reuse(ticket, version_id)
    if reuse is None and not deps.tickets.mark_used(ticket.object_key, version_id,
                                                    now.isoformat()):
        reuse = "the upload ticket was already used by an earlier upload to this key"
    if reuse is not None:
        raise RejectedImage(reuse, version_id)


def _check_not_a_repeat(record: ImageRecord, deps: IngestDependencies) -> None:
    """The same camera sending the same bytes again is a duplicate, not new reads."""
    owner_key, owner_version = deps.fingerprints.claim(
        record.camera_id, record.sha256, record.image_key, record.version_id,
        record.expires_at or 0)
    if (owner_key, owner_version) != (record.image_key, version_label(record.version_id)):
        raise DuplicateFrame(record, owner_key)


def _position(metadata: dict[str, str]) -> tuple[float, float, float] | None:
    """A mobile camera's position from the object's metadata, when complete and in range."""
    try:
        lat, lon, heading = (float(metadata[name]) for name in POSITION_METADATA)
    except (KeyError, ValueError):
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= heading < 360:
        return lat, lon, heading
    return None


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
    if captured_at > now.astimezone(UTC) + _CLOCK_SKEW:
        raise RejectedImage("captured-at metadata lies in the future")
    return captured_at


def _record_rejection(ref: ObjectRef, reason: str, deps: IngestDependencies, now: datetime,
                      claimed: ImageRecord | None = None) -> IngestOutcome:
    try:
        camera_id = ImageKey.parse(ref.key).camera_id
    except InvalidImageKey:
        camera_id = "unknown"
    # Rejected objects stay under the same retention as any upload, so the purge removes them.
    record = ImageRecord(
        image_key=ref.key, camera_id=camera_id, version_id=ref.version_id,
        status=ImageStatus.REJECTED, captured_at="", received_at=now.isoformat(),
        expires_at=expiry_epoch(now, deps.retention_days), size=ref.size, content_type="",
        reason=reason, sha256=claimed.sha256 if claimed else "")
    if claimed is not None:
        deps.image_records.finish(replace(record, version_id=claimed.version_id,
                                          size=claimed.size))
    else:
        # A replayed ticket's second version must not overwrite the frame it replays.
        deps.image_records.record_unclaimed(record)
    _record_exception(ref.key, camera_id, record.version_id, UploadOutcome.REJECTED, reason,
                      "", deps, now)
    return IngestOutcome(ref.key, ImageStatus.REJECTED, reason)


def _record_duplicate(duplicate: DuplicateFrame, deps: IngestDependencies,
                      now: datetime) -> IngestOutcome:
    """A duplicate keeps a record (so the purge removes its object with the retention of its
    capture) and is counted; it yields no reads."""
    record = replace(duplicate.record, status=ImageStatus.DUPLICATE,
                     duplicate_of=duplicate.original, reason=str(duplicate))
    deps.image_records.record_unclaimed(record)
    _record_exception(record.image_key, record.camera_id, record.version_id,
                      UploadOutcome.DUPLICATE, str(duplicate), duplicate.original, deps, now)
    return IngestOutcome(record.image_key, ImageStatus.DUPLICATE, str(duplicate))


def _record_exception(key: str, camera_id: str, version_id: str | None, outcome: UploadOutcome,
                      reason: str, duplicate_of: str, deps: IngestDependencies,
                      now: datetime) -> None:
    """List and count the upload for the administrators; a redelivery records nothing twice."""
    version = version_label(version_id)
    event = UploadException(
        event_id=str(uuid.uuid5(_EVENT_NAMESPACE, f"{key}|{version}|{outcome.value}")),
        camera_id=camera_id, object_key=key, version_id=version, outcome=outcome,
        reason=reason[:300], at=format_time(now), duplicate_of=duplicate_of)
    if deps.exceptions.record(event, expiry_epoch(now, deps.retention_days)):
        if outcome is UploadOutcome.DUPLICATE:
            deps.activity.duplicate(camera_id, now)
        elif camera_id != "unknown":
            deps.activity.upload_rejected(camera_id, now)
