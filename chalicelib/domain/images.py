"""Camera images as the ingest path sees them: object keys, notifications and content types."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote_plus

# cameras/<camera id>/<capture day>/<file>.<jpg|png>: the prefix a camera's presigned POST allows.
_IMAGE_KEY = re.compile(
    r"^cameras/(?P<camera>[a-z0-9][a-z0-9-]{0,62})/(?P<day>\d{4}-\d{2}-\d{2})/"
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,127})\.(?P<ext>jpe?g|png)$"
)
JPEG = "image/jpeg"
PNG = "image/png"
ACCEPTED_CONTENT_TYPES = (JPEG, PNG)


class MalformedMessage(ValueError):
    """A queue message that is not an S3 notification; retrying cannot fix it."""


class InvalidImageKey(ValueError):
    """An object key outside the layout cameras upload to."""


@dataclass(frozen=True)
class ImageKey:
    """Where a camera's frame lives: camera, capture day and file name."""

    camera_id: str
    capture_day: date
    name: str

    @classmethod
    def parse(cls, key: str) -> ImageKey:
        match = _IMAGE_KEY.match(key)
        if match is None:
            raise InvalidImageKey(
                f"object key {key!r} is not cameras/<camera>/<day>/<file>.jpg|png")
        try:
            day = date.fromisoformat(match["day"])
        except ValueError as error:
            raise InvalidImageKey(f"object key {key!r} names no real day") from error
        return cls(match["camera"], day, f"{match['name']}.{match['ext']}")

    @property
    def key(self) -> str:
        return f"cameras/{self.camera_id}/{self.capture_day.isoformat()}/{self.name}"


@dataclass(frozen=True)
class ObjectRef:
    """One object named by an S3 ObjectCreated notification."""

    bucket: str
    key: str
    version_id: str | None
    size: int
    event_time: str


def objects_from_notification(body: str) -> list[ObjectRef]:
    """Objects in an S3 notification delivered through SQS; the configuration TestEvent has none."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError as error:
        raise MalformedMessage("message body is not JSON") from error
    if not isinstance(message, dict):
        raise MalformedMessage("message body is not a JSON object")
    if message.get("Event") == "s3:TestEvent":
        return []
    records = message.get("Records")
    if not isinstance(records, list) or not records:
        raise MalformedMessage("message has no S3 Records")
    objects = []
    for record in records:
        try:
            if not str(record["eventName"]).startswith("ObjectCreated:"):
                continue
            s3 = record["s3"]
            objects.append(ObjectRef(
                bucket=str(s3["bucket"]["name"]),
                # S3 notifications carry keys URL-encoded with '+' for spaces.
                key=unquote_plus(str(s3["object"]["key"])),
                version_id=s3["object"].get("versionId"),
                size=int(s3["object"].get("size", 0)),
                event_time=str(record.get("eventTime", "")),
            ))
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"S3 record lacks {error}") from error
    return objects


def sniff_content_type(head: bytes) -> str | None:
    """The image type the bytes really are (JPEG or PNG), whatever the upload claimed."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


class ImageStatus:
    """Lifecycle of an uploaded object in the ingest path."""

    RECEIVED = "received"
    PROCESSED = "processed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"  # the same camera sent the same bytes before: no new reads


@dataclass(frozen=True)
class StoredCopy:
    """One stored object version and the SHA-256 its bytes had when the ingest wrote or read it.
    Links and exports name the version; exports check the bytes against the hash."""

    key: str
    version_id: str | None
    sha256: str


@dataclass(frozen=True)
class ImageRecord:
    """What the system knows about one uploaded frame; the unit of idempotent ingest."""

    image_key: str
    camera_id: str
    version_id: str | None
    status: str
    captured_at: str
    received_at: str
    expires_at: int | None
    size: int
    content_type: str
    reason: str = ""
    read_ids: tuple[str, ...] = ()
    plates_found: int = 0
    sha256: str = ""  # of the frame's bytes, computed at ingest
    crops: tuple[StoredCopy, ...] = ()  # the crops the ingest stored, with their hashes
    duplicate_of: str = ""  # the earlier upload of the same bytes (status duplicate)

    def crop(self, key: str) -> StoredCopy | None:
        return next((copy for copy in self.crops if copy.key == key), None)
