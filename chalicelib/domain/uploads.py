"""Upload tickets and what became of uploads that produced no reads (1798.90.51: reasonable
technical security; 428.3.1(c) monitoring).

A camera may write exactly one object: the key its ticket names, of the type and size it
declared, with the capture time and position it declared, before the ticket expires. S3 checks
the presigned POST's signed policy in AWS; moto does not, and a stolen ticket could be replayed
while it is valid, so the ingest path holds every stored object against its ticket again and
accepts only the first version written under it.

Objects that produce no reads are not silent: each rejected or duplicate upload becomes an
UploadException the administrator can list, and per-camera daily counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

# A ticket is kept past its expiry so that a message redelivered late (the dead-letter queue
# keeps messages 14 days) still finds it; then DynamoDB TTL removes it.
TICKET_KEPT_DAYS = 30
# The object's stored time comes from S3's clock, the expiry from ours: allow a little drift.
UPLOAD_CLOCK_TOLERANCE = timedelta(seconds=30)
# The metadata a ticket binds: what the camera declared when it asked for the ticket.
BOUND_METADATA = ("captured-at", "lat", "lon", "heading")


@dataclass(frozen=True)
class UploadTicket:
    """One issued presigned POST: the exact key, type, size and metadata a camera may write."""

    ticket_id: str
    camera_id: str
    object_key: str
    content_type: str
    content_length: int
    metadata: Mapping[str, str]
    issued_at: datetime
    expires_at: datetime
    used_version: str | None = None
    used_at: str | None = None

    @property
    def purge_epoch(self) -> int:
        return int((self.expires_at + timedelta(days=TICKET_KEPT_DAYS)).timestamp())


@dataclass(frozen=True)
class StoredUpload:
    """What S3 says about the object a notification names (its version, size, time, metadata),
    and the type its first bytes really are."""

    object_key: str
    camera_id: str
    version_id: str | None
    size: int
    sniffed_type: str | None
    last_modified: datetime | None
    metadata: Mapping[str, str] = field(default_factory=dict)


def ticket_mismatch(ticket: UploadTicket | None, upload: StoredUpload) -> str | None:
    """Why the stored object is not what its ticket allowed, or None when it is."""
    if ticket is None:
        return "no upload ticket was issued for this object key"
    if ticket.object_key != upload.object_key or ticket.camera_id != upload.camera_id:
        return f"the ticket for this key was issued to camera {ticket.camera_id}"
    if upload.last_modified is None:
        return "the object has no stored time to hold against its ticket"
    if upload.last_modified > ticket.expires_at + UPLOAD_CLOCK_TOLERANCE:
        return "the object was written after its upload ticket expired"
    if upload.size != ticket.content_length:
        return (f"the object is {upload.size} bytes but its ticket was issued for "
                f"{ticket.content_length}")
    if upload.sniffed_type != ticket.content_type:
        return f"the object is not the {ticket.content_type} its ticket was issued for"
    for name in BOUND_METADATA:
        if upload.metadata.get(name) != ticket.metadata.get(name):
            return f"the object's {name} metadata differs from its ticket"
    return None


def ticket_reuse(ticket: UploadTicket, version_id: str | None) -> str | None:
    """Why this version may not use the ticket (another version already did), or None."""
    if ticket.used_version is None or ticket.used_version == version_label(version_id):
        return None
    return "the upload ticket was already used by an earlier upload to this key"


def version_label(version_id: str | None) -> str:
    """A version id as stored in records: S3 calls the version of an unversioned write "null"."""
    return version_id or "null"


class UploadOutcome(StrEnum):
    """Why an upload produced no reads: refused by a rule, or the same frame sent again."""

    REJECTED = "rejected"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class UploadException:
    """A rejected or duplicate upload, as the administrator sees it (no plate data)."""

    event_id: str
    camera_id: str
    object_key: str
    version_id: str
    outcome: UploadOutcome
    reason: str
    at: str
    duplicate_of: str = ""

    @property
    def day(self) -> str:
        return self.at[:10]


@dataclass(frozen=True)
class DailyCount:
    """How many uploads of one camera on one UTC day were rejected or duplicates."""

    day: str
    camera_id: str
    rejected: int = 0
    duplicate: int = 0


MAX_EXCEPTION_WINDOW_DAYS = 31
