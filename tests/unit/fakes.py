"""In-memory stand-ins for adapters, for unit tests of the use cases (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from chalicelib.adapters.audit_log import AuditUnavailable
from chalicelib.adapters.errors import AlreadyExists, ObjectLocked, ObjectNotFound
from chalicelib.adapters.raw_images import ObjectHead
from chalicelib.adapters.report_store import StoredObject as StoredReportObject
from chalicelib.domain.audit import AuditEntry, AuditRecord, link
from chalicelib.domain.images import ImageRecord, ImageStatus
from chalicelib.domain.reads import Read


@dataclass
class StoredObject:
    body: bytes
    content_type: str = "image/jpeg"
    metadata: dict[str, str] = field(default_factory=dict)
    legal_hold: bool = False
    versions: int = 1


class FakeRawImages:
    def __init__(self) -> None:
        self.objects: dict[str, StoredObject] = {}

    def head(self, key: str, version_id: str | None = None) -> ObjectHead:
        if key not in self.objects:
            raise ObjectNotFound(key)
        stored = self.objects[key]
        return ObjectHead(len(stored.body), stored.content_type, "v1", dict(stored.metadata),
                          stored.legal_hold)

    def read(self, key: str, version_id: str | None = None,
             max_bytes: int | None = None) -> bytes:
        if key not in self.objects:
            raise ObjectNotFound(key)
        body = self.objects[key].body
        return body if max_bytes is None else body[:max_bytes]

    def put(self, key: str, body: bytes, content_type: str,
            metadata: dict[str, str] | None = None) -> str | None:
        self.objects[key] = StoredObject(body, content_type, dict(metadata or {}))
        return "v1"

    def delete_every_version(self, key: str) -> int:
        stored = self.objects.get(key)
        if stored is None:
            return 0
        if stored.legal_hold:
            raise ObjectLocked(key)
        del self.objects[key]
        return stored.versions


class FakeImageRecords:
    def __init__(self) -> None:
        self.records: dict[str, ImageRecord] = {}
        self.claims = 0

    def get(self, image_key: str) -> ImageRecord | None:
        return self.records.get(image_key)

    def claim(self, record: ImageRecord) -> None:
        existing = self.records.get(record.image_key)
        if existing is not None and existing.status != ImageStatus.RECEIVED:
            raise AlreadyExists(record.image_key)
        self.claims += 1
        self.records[record.image_key] = record

    def finish(self, record: ImageRecord) -> None:
        self.records[record.image_key] = record


class FakeReads:
    def __init__(self) -> None:
        self.reads: dict[str, Read] = {}

    def put_new(self, read: Read) -> bool:
        if read.read_key in self.reads:
            return False
        self.reads[read.read_key] = read
        return True


class FakeCameras:
    """Registered cameras: id -> (active, fixed position or None)."""

    def __init__(self, cameras: dict[str, tuple[bool, tuple[float, float, float] | None]]
                 ) -> None:
        self.cameras = cameras

    def active_position(self, camera_id: str) -> tuple[bool, tuple[float, float, float] | None]:
        return self.cameras.get(camera_id, (False, None))


class FakeAuditLog:
    """The hash-chained access record in memory; `unavailable` makes appends fail (fail closed)."""

    def __init__(self) -> None:
        self.chain: list[AuditRecord] = []
        self.unavailable = False

    def append(self, entry: AuditEntry) -> AuditRecord:
        if self.unavailable:
            raise AuditUnavailable("audit table unavailable")
        record = link(entry, self.chain[-1] if self.chain else None)
        self.chain.append(record)
        return record

    def between(self, start: str, end: str, user_id: str | None = None) -> Iterator[AuditRecord]:
        return iter([record for record in self.chain if start <= record.entry.at < end
                     and (user_id is None or record.entry.user_id == user_id)])

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]:
        return iter([record for record in self.chain if record.seq > after_seq])

    def get(self, seq: int) -> AuditRecord | None:
        return next((record for record in self.chain if record.seq == seq), None)

    def count_between(self, start: str, end: str, action: str, outcome: str = "allowed") -> int:
        return sum(1 for record in self.chain if start <= record.entry.at < end
                   and record.entry.action == action and record.entry.outcome == outcome)

    def count_searches(self, start: str, end: str, extended_only: bool = False) -> int:
        return sum(1 for record in self.chain if start <= record.entry.at < end
                   and record.entry.action == "search_reads"
                   and record.entry.outcome == "allowed" and record.entry.search_page == 1
                   and (record.entry.authority or not extended_only))

    def actions(self) -> list[str]:
        return [record.entry.action for record in self.chain]


class FakeReportStore:
    bucket = "reports-bucket"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, body: bytes, content_type: str) -> str | None:
        self.objects[key] = (body, content_type)
        return "v1"

    def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise ObjectNotFound(key)
        return self.objects[key][0]

    def list(self, prefix: str) -> list[StoredReportObject]:
        return [StoredReportObject(key, "2026-06-01T06:00:00+00:00", len(body))
                for key, (body, _) in sorted(self.objects.items()) if key.startswith(prefix)]

    def presigned_get(self, key: str, seconds: int) -> str:
        return f"https://reports.example/{key}?expires={seconds}"


class FakeNotices:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def publish(self, subject: str, message: str, kind: str) -> None:
        self.sent.append((subject, message, kind))
