"""The image buckets (versioned, Object Lock enabled, SSE-KMS): the raw bucket, where cameras land
frames, and the derived bucket, where the ingest stores crops no camera can write."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import ObjectLocked, error_code, translate


@dataclass(frozen=True)
class ObjectHead:
    """What S3 says about one stored object version."""

    size: int
    content_type: str
    version_id: str | None
    metadata: dict[str, str]
    legal_hold: bool
    last_modified: datetime | None = None  # when S3 stored this version (S3's clock)
    # The SHA-256 S3 computed of this version's bytes when it was written with a checksum
    # (crops are); None for objects written without one (camera POSTs).
    sha256: str | None = None


class RawImageStore:
    """Reads, describes, writes and deletes image objects in one bucket."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def head(self, key: str, version_id: str | None = None) -> ObjectHead:
        try:
            response = self._s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED",
                                            **_version(version_id))
        except ClientError as error:
            raise translate(error, f"head {key}") from error
        return ObjectHead(
            size=int(response.get("ContentLength", 0)),
            content_type=str(response.get("ContentType", "")),
            version_id=response.get("VersionId"),
            metadata=dict(response.get("Metadata", {})),
            # GetObjectRetention is missing in moto; HeadObject reports the legal hold everywhere.
            legal_hold=response.get("ObjectLockLegalHoldStatus") == "ON",
            last_modified=response.get("LastModified"),
            sha256=_hex_checksum(response.get("ChecksumSHA256")),
        )

    def read(self, key: str, version_id: str | None = None, max_bytes: int | None = None) -> bytes:
        extra: dict[str, Any] = _version(version_id)
        if max_bytes is not None:
            extra["Range"] = f"bytes=0-{max_bytes - 1}"
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, **extra)
            return bytes(response["Body"].read())
        except ClientError as error:
            raise translate(error, f"read {key}") from error

    def put(self, key: str, body: bytes, content_type: str,
            metadata: dict[str, str] | None = None) -> str | None:
        try:
            # S3 verifies the SHA-256 of what it stores and keeps it with the version.
            response = self._s3.put_object(Bucket=self.bucket, Key=key, Body=body,
                                           ContentType=content_type, Metadata=metadata or {},
                                           ChecksumAlgorithm="SHA256")
        except ClientError as error:
            raise translate(error, f"write {key}") from error
        return response.get("VersionId")

    def versions(self, key: str) -> list[str]:
        """Every version id (and delete marker) stored under exactly this key."""
        found: list[str] = []
        paginator = self._s3.get_paginator("list_object_versions")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
                for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    if entry["Key"] == key:
                        found.append(str(entry["VersionId"]))
        except ClientError as error:
            raise translate(error, f"list versions of {key}") from error
        return found

    def delete_every_version(self, key: str) -> int:
        """Delete all versions of a key; a legal hold on any of them raises ObjectLocked."""
        deleted = 0
        for version_id in self.versions(key):
            try:
                self._s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
            except ClientError as error:
                if error_code(error) in {"AccessDenied", "InvalidRequest"}:
                    raise ObjectLocked(f"{key} version is under Object Lock") from error
                raise translate(error, f"delete {key}") from error
            deleted += 1
        return deleted

    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str:
        """A short-lived GET URL for one object version (SigV4, so the expiry is enforced)."""
        return str(self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key, **_version(version_id)},
            ExpiresIn=seconds))

    def set_legal_hold(self, key: str, on: bool) -> None:
        for version_id in self.versions(key):
            try:
                self._s3.put_object_legal_hold(
                    Bucket=self.bucket, Key=key, VersionId=version_id,
                    LegalHold={"Status": "ON" if on else "OFF"})
            except ClientError as error:
                raise translate(error, f"legal hold on {key}") from error


def _hex_checksum(value: object) -> str | None:
    """S3's base64 SHA-256 checksum as hex (a whole-object checksum; multipart ones end -N)."""
    if not isinstance(value, str) or "-" in value:
        return None
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def _version(version_id: str | None) -> dict[str, Any]:
    return {"VersionId": version_id} if version_id else {}
