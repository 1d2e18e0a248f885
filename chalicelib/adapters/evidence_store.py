"""The evidence bucket (Object Lock, versioned, SSE-KMS): export packages and the written release
requests, each under a legal hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate
from chalicelib.adapters.raw_images import RawImageStore


class EvidenceStore(RawImageStore):
    def store_evidence(self, key: str, body: bytes,
                       content_type: str = "application/zip") -> str | None:
        """Write an object with a legal hold from its first moment, so it cannot be deleted."""
        try:
            response = self._s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                ObjectLockLegalHoldStatus="ON", ChecksumAlgorithm="SHA256")
        except ClientError as error:
            raise translate(error, f"write {key}") from error
        return response.get("VersionId")

    def stored_versions(self, prefix: str) -> list[StoredVersion]:
        """Every version stored under the prefix (packages are written once: a key with more
        than one version was written again, which the exports page shows)."""
        found: list[StoredVersion] = []
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            try:
                page = self._s3.list_object_versions(**request)
            except ClientError as error:
                raise translate(error, f"list {prefix}") from error
            for version in page.get("Versions", []):
                found.append(StoredVersion(
                    key=str(version["Key"]), version_id=version.get("VersionId"),
                    size=int(version.get("Size", 0)), is_latest=bool(version.get("IsLatest")),
                    last_modified=version["LastModified"].isoformat()
                    if hasattr(version.get("LastModified"), "isoformat")
                    else str(version.get("LastModified", ""))))
            if not page.get("IsTruncated"):
                return found
            request["KeyMarker"] = page.get("NextKeyMarker")
            request["VersionIdMarker"] = page.get("NextVersionIdMarker")


@dataclass(frozen=True)
class StoredVersion:
    key: str
    version_id: str | None
    size: int
    is_latest: bool
    last_modified: str
