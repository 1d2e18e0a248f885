"""In-memory stand-ins for adapters, for unit tests of the use cases (no network)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.adapters.audit_log import AuditUnavailable
from chalicelib.adapters.errors import AlreadyExists, ObjectLocked, ObjectNotFound
from chalicelib.adapters.raw_images import ObjectHead
from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.adapters.report_store import StoredObject as StoredReportObject
from chalicelib.adapters.report_store import StoredVersion
from chalicelib.domain.agencies import AgencyEntry, EntryStatus
from chalicelib.domain.audit import AuditEntry, AuditRecord, link
from chalicelib.domain.checkpoints import KEY_PREFIX, CheckpointVersion, checkpoint_key
from chalicelib.domain.images import ImageRecord, ImageStatus
from chalicelib.domain.plate_index import IndexKey, Marker, marker_key
from chalicelib.domain.reads import Read
from chalicelib.domain.uploads import (
    DailyCount,
    UploadException,
    UploadOutcome,
    UploadTicket,
    version_label,
)

STORED_AT = datetime(2026, 11, 29, 11, 59, 30, tzinfo=UTC)


@dataclass
class StoredObject:
    body: bytes
    content_type: str = "image/jpeg"
    metadata: dict[str, str] = field(default_factory=dict)
    legal_hold: bool = False
    versions: int = 1
    stored_at: datetime = STORED_AT


class FakeRawImages:
    def __init__(self) -> None:
        self.objects: dict[str, StoredObject] = {}

    def head(self, key: str, version_id: str | None = None) -> ObjectHead:
        if key not in self.objects:
            raise ObjectNotFound(key)
        stored = self.objects[key]
        return ObjectHead(len(stored.body), stored.content_type, f"v{stored.versions}",
                          dict(stored.metadata), stored.legal_hold, stored.stored_at)

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

    def record_unclaimed(self, record: ImageRecord) -> bool:
        existing = self.records.get(record.image_key)
        if existing is not None and not (
                existing.version_id == record.version_id
                and existing.status in (ImageStatus.REJECTED, ImageStatus.DUPLICATE)):
            return False
        self.records[record.image_key] = record
        return True


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

    def head(self) -> AuditRecord | None:
        return self.chain[-1] if self.chain else None

    def record(self, seq: int) -> AuditRecord | None:
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
    """A versioned bucket: every put keeps the earlier versions."""

    bucket = "reports-bucket"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.history: dict[str, list[bytes]] = {}

    def put(self, key: str, body: bytes, content_type: str) -> str | None:
        self.objects[key] = (body, content_type)
        self.history.setdefault(key, []).append(body)
        return f"v{len(self.history[key])}"

    def versions(self, key: str) -> tuple[StoredVersion, ...]:
        return tuple(StoredVersion(key, f"v{number}", f"2026-06-01T06:{number:02d}:00+00:00")
                     for number in range(1, len(self.history.get(key, [])) + 1))

    def get_version(self, key: str, version_id: str) -> bytes:
        return self.history[key][int(version_id[1:]) - 1]

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


class LocalSigner:
    """An ECC P-256 key in memory that signs like KMS's ECDSA_SHA_256 (DER signatures)."""

    def __init__(self, key_id: str = "arn:aws:kms:us-west-2:123456789012:key/local") -> None:
        self.key_id = key_id
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.signed: list[bytes] = []

    def sign(self, message: bytes) -> bytes:
        self.signed.append(message)
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))

    def public_key(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def public_key_pem(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class FakeCheckpointStore:
    """The Object Lock bucket: write-once keys, every version kept, newest checkpoint first."""

    def __init__(self) -> None:
        self.stored: dict[str, list[tuple[str, bytes | None]]] = {}
        self.counter = 0

    def put_new(self, number: int, body: bytes) -> str | None:
        key = checkpoint_key(number)
        if any(body is not None for _, body in self.stored.get(key, [])):
            raise AlreadyExists(key)
        return self.put_raw(key, body)

    def put_raw(self, key: str, body: bytes | None) -> str:
        """Any write an attacker with bucket access could make (None = a delete marker)."""
        self.counter += 1
        version = f"v{self.counter}"
        self.stored.setdefault(key, []).insert(0, (version, body))
        return version

    def versions(self, prefix: str = KEY_PREFIX) -> Iterator[CheckpointVersion]:
        for key in sorted(self.stored):
            if key.startswith(prefix):
                for version, body in self.stored[key]:
                    yield CheckpointVersion(key, version, f"2026-06-01T00:00:{version[1:]}", body)

    def versions_of(self, number: int) -> list[CheckpointVersion]:
        key = checkpoint_key(number)
        return [version for version in self.versions(key) if version.key == key]


class FakeTickets:
    """Issued upload tickets; `issue` makes one matching a stored object (as the API would)."""

    def __init__(self) -> None:
        self.tickets: dict[str, UploadTicket] = {}

    def issue(self, key: str, body: bytes, metadata: dict[str, str],
              content_type: str = "image/jpeg",
              expires_at: datetime = STORED_AT + timedelta(minutes=4)) -> UploadTicket:
        camera = key.split("/")[1]
        ticket = UploadTicket(key.rsplit("/", 1)[1], camera, key, content_type, len(body),
                              {name: value for name, value in metadata.items()
                               if name in ("captured-at", "lat", "lon", "heading")},
                              expires_at - timedelta(minutes=5), expires_at)
        self.tickets[key] = ticket
        return ticket

    def put(self, ticket: UploadTicket) -> None:
        self.tickets[ticket.object_key] = ticket

    def get(self, object_key: str) -> UploadTicket | None:
        return self.tickets.get(object_key)

    def mark_used(self, object_key: str, version_id: str | None, at: str) -> bool:
        ticket = self.tickets.get(object_key)
        if ticket is None:
            return False
        if ticket.used_version not in (None, version_label(version_id)):
            return False
        self.tickets[object_key] = replace(ticket, used_version=version_label(version_id),
                                           used_at=ticket.used_at or at)
        return True


class FakeFingerprints:
    def __init__(self) -> None:
        self.owners: dict[str, tuple[str, str]] = {}

    def claim(self, camera_id: str, sha256: str, image_key: str, version_id: str | None,
              expires_at: int) -> tuple[str, str]:
        return self.owners.setdefault(f"{camera_id}#{sha256}",
                                      (image_key, version_label(version_id)))


class FakeExceptions:
    def __init__(self) -> None:
        self.events: dict[str, UploadException] = {}

    def record(self, event: UploadException, expires_at: int) -> bool:
        if event.event_id in self.events:
            return False
        self.events[event.event_id] = event
        return True

    def for_camera(self, camera_id: str, start: str, end: str, limit: int,
                   outcome: UploadOutcome | None = None) -> list[UploadException]:
        return self._matching(lambda event: event.camera_id == camera_id, start, end, limit,
                              outcome)

    def for_day(self, day: str, start: str, end: str, limit: int,
                outcome: UploadOutcome | None = None) -> list[UploadException]:
        return self._matching(lambda event: event.day == day, start, end, limit, outcome)

    def counts(self, day: str) -> list[DailyCount]:
        cameras = sorted({event.camera_id for event in self.events.values()
                          if event.day == day})
        return [DailyCount(day, camera,
                           sum(1 for event in self.events.values() if event.day == day
                               and event.camera_id == camera
                               and event.outcome is UploadOutcome.REJECTED),
                           sum(1 for event in self.events.values() if event.day == day
                               and event.camera_id == camera
                               and event.outcome is UploadOutcome.DUPLICATE))
                for camera in cameras]

    def _matching(self, wanted: object, start: str, end: str, limit: int,
                  outcome: UploadOutcome | None) -> list[UploadException]:
        assert callable(wanted)
        found = [event for event in self.events.values() if wanted(event)
                 and start <= event.at < end and outcome in (None, event.outcome)]
        return sorted(found, key=lambda event: event.at, reverse=True)[:limit]


class FakeAgencyRecords:
    """The agency directory table in memory, with its conditional status changes."""

    def __init__(self) -> None:
        self.entries: dict[str, AgencyEntry] = {}

    def put_new(self, entry: AgencyEntry) -> None:
        if entry.agency_id in self.entries:
            raise AlreadyExists(entry.agency_id)
        self.entries[entry.agency_id] = entry

    def get(self, agency_id: str) -> AgencyEntry | None:
        return self.entries.get(agency_id)

    def transition(self, entry: AgencyEntry, expected: EntryStatus) -> bool:
        stored = self.entries.get(entry.agency_id)
        if stored is None or stored.status is not expected:
            return False
        self.entries[entry.agency_id] = entry
        return True

    def list_by_status(self, status: EntryStatus) -> list[AgencyEntry]:
        return sorted((entry for entry in self.entries.values() if entry.status is status),
                      key=lambda entry: entry.name.casefold())

    def with_ori(self, ori: str) -> list[AgencyEntry]:
        return [entry for entry in self.entries.values() if entry.facts.ori == ori]

    def all_entries(self) -> list[AgencyEntry]:
        return list(self.entries.values())
