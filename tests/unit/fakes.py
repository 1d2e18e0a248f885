"""In-memory stand-ins for adapters, for unit tests of the use cases (no network)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.audit_log import AuditUnavailable
from chalicelib.adapters.errors import AlreadyExists, ObjectLocked, ObjectNotFound
from chalicelib.adapters.raw_images import ObjectHead
from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.adapters.report_store import StoredObject as StoredReportObject
from chalicelib.domain.audit import AuditEntry, AuditRecord, link
from chalicelib.domain.images import ImageRecord, ImageStatus
from chalicelib.domain.plate_index import IndexKey, Marker, marker_key
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

    def count_between(self, start: str, end: str, action: str, outcome: str = "allowed") -> int:
        return sum(1 for record in self.chain if start <= record.entry.at < end
                   and record.entry.action == action and record.entry.outcome == outcome)

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


class FakePlateIndex:
    """The plate index table's contract in memory: sorted sort keys, inclusive ranges, marker
    sets and TTLs (adapters/plate_index_table.PlateIndexTable)."""

    def __init__(self) -> None:
        self.items: dict[IndexKey, dict[str, Any]] = {}
        self.writes = 0

    def entries(self, key: str, low: str, high: str, descending: bool, stats: QueryStats,
                page_items: int | None = None) -> Iterator[str]:
        if low > high:
            return
        found = sorted((item.entry for item in self.items if item.key == key
                        and low <= item.entry <= high), reverse=descending)
        page = page_items or len(found) or 1
        for start in range(0, max(len(found), 1), page):
            chunk = found[start:start + page]
            stats.requests += 1
            stats.examined += len(chunk)
            yield from chunk

    def marker(self, plate: str, month: str) -> Marker | None:
        item = self.items.get(marker_key(plate, month))
        return None if item is None else _fake_marker(item)

    def create_marker(self, plate: str, month: str, alternatives: Iterable[str],
                      expires_at: int | None) -> bool:
        key = marker_key(plate, month)
        if key in self.items:
            return False
        self.writes += 1
        self.items[key] = {"plate": plate, "alternatives": set(alternatives), "holds": set(),
                           "expires_at": expires_at}
        return True

    def add_to_marker(self, plate: str, month: str, alternatives: Iterable[str] = (),
                      holds: Iterable[str] = ()) -> Marker:
        self.writes += 1
        item = self.items.setdefault(marker_key(plate, month), {
            "plate": plate, "alternatives": set(), "holds": set(), "expires_at": None})
        item["alternatives"] |= set(alternatives)
        added = set(holds)
        item["holds"] |= added
        if added:
            item["expires_at"] = None
        return _fake_marker(item)

    def remove_from_marker(self, plate: str, month: str, alternatives: Iterable[str] = (),
                           holds: Iterable[str] = ()) -> Marker | None:
        item = self.items.get(marker_key(plate, month))
        if item is None:
            return None
        self.writes += 1
        item["alternatives"] -= set(alternatives)
        item["holds"] -= set(holds)
        return _fake_marker(item)

    def restore_marker_expiry(self, plate: str, month: str, expires_at: int) -> bool:
        item = self.items.get(marker_key(plate, month))
        if item is None or item["holds"]:
            return False
        self.writes += 1
        item["expires_at"] = expires_at
        return True

    def put(self, keys: Sequence[IndexKey], plate: str, expires_at: int | None) -> int:
        for key in dict.fromkeys(keys):
            self.items[key] = {"plate": plate, "expires_at": expires_at}
        self.writes += len(set(keys))
        return len(set(keys))

    def delete(self, keys: Sequence[IndexKey]) -> int:
        for key in keys:
            self.items.pop(key, None)
        return len(set(keys))

    def expire(self, now_epoch: int) -> int:
        """What DynamoDB TTL would delete by now."""
        gone = [key for key, item in self.items.items()
                if item.get("expires_at") is not None and item["expires_at"] <= now_epoch]
        for key in gone:
            del self.items[key]
        return len(gone)


def _fake_marker(item: dict[str, Any]) -> Marker:
    return Marker(frozenset(item["alternatives"]), frozenset(item["holds"]), item["expires_at"])


class FakePlateReads:
    """The reads table by key (plate + read key): writes, key queries and lookups by id."""

    def __init__(self) -> None:
        self.reads: dict[str, Read] = {}

    def put_new(self, read: Read) -> bool:
        if read.read_id in self.reads:
            return False
        self.reads[read.read_id] = read
        return True

    def remove(self, read_id: str) -> Read:
        return self.reads.pop(read_id)

    def get(self, read_id: str) -> Read | None:
        return self.reads.get(read_id)

    def of_plate(self, plate: str, low: str, high: str) -> list[Read]:
        return sorted((read for read in self.reads.values()
                       if read.plate == plate and low <= read.read_key <= high),
                      key=lambda read: read.read_key, reverse=True)

    def newest_first(self, partition: Partition, low: str, high: str, stats: QueryStats,
                     page_items: int | None = 200,
                     first_page_items: int | None = None) -> Iterator[Read]:
        if low > high:
            return
        assert partition.index is None and partition.key_name == "plate"
        found = self.of_plate(partition.key_value, low, high)
        limit = first_page_items or page_items or len(found) or 1
        start = 0
        while True:
            chunk = found[start:start + limit]
            stats.requests += 1
            stats.examined += len(chunk)
            yield from chunk
            start += limit
            if start >= len(found):
                return
            limit = page_items or len(found)
