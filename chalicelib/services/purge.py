"""Policy 428.5 purge: when TTL deletes a record past retention, delete its images too."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.errors import ObjectLocked
from chalicelib.domain.streams import is_ttl_removal, old_string


class ImageDeleter(Protocol):
    """Deletes every version of an image (RawImageStore, or a fake in unit tests)."""

    def delete_every_version(self, key: str) -> int: ...


@dataclass(frozen=True)
class PurgeSummary:
    """Counts of one purge run; deliberately free of plate data and keys."""

    records_seen: int = 0
    images_purged: int = 0
    versions_deleted: int = 0
    kept_under_legal_hold: int = 0


def purge_images_of_expired_records(records: Iterable[Mapping[str, Any]],
                                    raw_images: ImageDeleter) -> PurgeSummary:
    """Delete every version of the image behind each TTL-expired image record."""
    seen = purged = versions = held = 0
    for record in records:
        seen += 1
        if not is_ttl_removal(record):
            continue
        image_key = old_string(record, "image_key")
        if image_key is None:
            continue
        try:
            versions += raw_images.delete_every_version(image_key)
        except ObjectLocked:
            # A legal hold outranks TTL: the hold's release makes the image purgeable again.
            held += 1
            continue
        purged += 1
    return PurgeSummary(seen, purged, versions, held)
