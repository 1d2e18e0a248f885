"""Policy 428.5 purge of reads: when TTL deletes a read, delete its crop and, unless another read
still needs it, every version of its image; and a daily check for reads TTL has not reached yet.

An Object Lock legal hold outranks TTL: a locked object is counted and kept, never an error, so one
held object cannot block the rest of the stream batch. Summaries hold counts only, no plate data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.errors import ObjectLocked
from chalicelib.domain.reads import Read, parse_time
from chalicelib.domain.streams import is_ttl_removal, old_string
from chalicelib.policy.retention import expiry_epoch, is_expired


class ObjectDeleter(Protocol):
    """Deletes every version of a key (adapters/raw_images.RawImageStore)."""

    def delete_every_version(self, key: str) -> int: ...


@dataclass(frozen=True)
class PurgeDependencies:
    images: ObjectDeleter  # frames, in the raw bucket
    crops: ObjectDeleter  # crops, in the derived bucket
    # True while a live or held read other than the purged one uses this image (the wiring
    # answers it from the images table's read ids).
    image_still_needed: Callable[[str], bool]
    # Deletes the frame's image record once its image is gone (no-op by default).
    forget_image: Callable[[str], None] = lambda image_key: None


@dataclass(frozen=True)
class ReadPurgeSummary:
    """Counts of one purge run; deliberately free of plate data and keys."""

    records_seen: int = 0
    reads_purged: int = 0
    crops_deleted: int = 0
    images_deleted: int = 0
    versions_deleted: int = 0
    images_still_needed: int = 0
    kept_under_legal_hold: int = 0
    held_reads_skipped: int = 0


@dataclass
class _Counts:
    seen: int = 0
    reads: int = 0
    crops: int = 0
    images: int = 0
    versions: int = 0
    shared: int = 0
    locked: int = 0
    held: int = 0

    def summary(self) -> ReadPurgeSummary:
        return ReadPurgeSummary(self.seen, self.reads, self.crops, self.images, self.versions,
                                self.shared, self.locked, self.held)


def purge_expired_reads(records: Iterable[Mapping[str, Any]],
                        deps: PurgeDependencies) -> ReadPurgeSummary:
    """For each TTL REMOVE of a read: delete its crop, and its image unless still needed."""
    counts = _Counts()
    for record in records:
        counts.seen += 1
        if not is_ttl_removal(record):
            continue
        if _old_holds(record):
            # TTL should never reach a held read (holds remove expires_at); keep its objects.
            counts.held += 1
            continue
        _purge_objects(old_string(record, "image_key"), old_string(record, "crop_key"), deps,
                       counts)
    return counts.summary()


def purge_reads(reads: Iterable[Read], deps: PurgeDependencies) -> ReadPurgeSummary:
    """The same clean-up for reads the daily check deleted itself (their stream records carry
    no TTL principal, so purge_expired_reads ignores them). Held reads are skipped."""
    counts = _Counts()
    for read in reads:
        counts.seen += 1
        if read.holds:
            counts.held += 1
            continue
        _purge_objects(read.image_key, read.crop_key, deps, counts)
    return counts.summary()


def find_overdue(reads: Iterable[Read], now: datetime,
                 retention_days: int | None = None) -> list[Read]:
    """Reads past retention with no hold (TTL lags up to days); with `retention_days`, reads that
    lost their TTL without a hold are judged by their capture time too."""
    overdue: list[Read] = []
    for read in reads:
        if read.holds:
            continue
        expires = read.expires_at
        if expires is None and retention_days is not None:
            expires = expiry_epoch(parse_time(read.captured_at), retention_days)
        if is_expired(expires, now):
            overdue.append(read)
    return overdue


def _purge_objects(image_key: str | None, crop_key: str | None, deps: PurgeDependencies,
                   counts: _Counts) -> None:
    counts.reads += 1
    if crop_key and _delete(crop_key, deps.crops, counts):
        counts.crops += 1
    if not image_key:
        return
    if deps.image_still_needed(image_key):
        counts.shared += 1
        return
    locked_before = counts.locked
    if _delete(image_key, deps.images, counts):
        counts.images += 1
    if counts.locked == locked_before:
        deps.forget_image(image_key)


def _delete(key: str, images: ObjectDeleter, counts: _Counts) -> bool:
    """Delete every version; True when something was deleted (the image purge may have been
    first), False when nothing was there or Object Lock kept it."""
    try:
        deleted = images.delete_every_version(key)
    except ObjectLocked:
        counts.locked += 1
        return False
    counts.versions += deleted
    return deleted > 0


def _old_holds(record: Mapping[str, Any]) -> bool:
    holds = record.get("dynamodb", {}).get("OldImage", {}).get("holds", {})
    return isinstance(holds, Mapping) and bool(holds.get("SS"))
