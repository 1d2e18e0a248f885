"""In-memory stand-ins for adapters, for unit tests of the use cases (no network)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.adapters.errors import AlreadyExists, ObjectLocked, ObjectNotFound
from chalicelib.adapters.raw_images import ObjectHead
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
