"""The evidence bucket (Object Lock, versioned, SSE-KMS): export packages and the written release
requests, each under a legal hold."""

from __future__ import annotations

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
