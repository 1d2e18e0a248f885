"""The checkpoint bucket (S3 Object Lock, COMPLIANCE default retention, versioned, SSE-KMS).

Checkpoints are written once under a key that counts down (domain/checkpoints.checkpoint_key),
with If-None-Match so two runs can never both write one number. Reading goes through object
versions, never the current listing alone: a delete marker (DeleteObject without a version,
which Object Lock does not prevent) would otherwise hide a checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate
from chalicelib.domain.checkpoints import KEY_PREFIX, CheckpointVersion, checkpoint_key


class CheckpointStore:
    def __init__(self, s3: Any, bucket: str, kms_key_arn: str) -> None:
        self._s3 = s3
        self.bucket = bucket
        self._kms_key_arn = kms_key_arn

    def put_new(self, number: int, body: bytes) -> str | None:
        """Write checkpoint `number`; AlreadyExists if that number is taken."""
        key = checkpoint_key(number)
        try:
            response = self._s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json",
                IfNoneMatch="*", ServerSideEncryption="aws:kms", SSEKMSKeyId=self._kms_key_arn,
                ChecksumAlgorithm="SHA256")
        except ClientError as error:
            raise translate(error, f"write {key}") from error
        return response.get("VersionId")

    def versions(self, prefix: str = KEY_PREFIX) -> Iterator[CheckpointVersion]:
        """Every version and delete marker under the prefix, newest checkpoint first."""
        paginator = self._s3.get_paginator("list_object_versions")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                entries = [(item, True) for item in page.get("Versions", [])]
                entries += [(item, False) for item in page.get("DeleteMarkers", [])]
                entries.sort(key=lambda pair: (pair[0]["Key"], not pair[0].get("IsLatest")))
                for item, is_version in entries:
                    key, version_id = str(item["Key"]), str(item["VersionId"])
                    body = self._read(key, version_id) if is_version else None
                    yield CheckpointVersion(key, version_id, item["LastModified"].isoformat(),
                                            body)
        except ClientError as error:
            raise translate(error, f"list {prefix}") from error

    def versions_of(self, number: int) -> list[CheckpointVersion]:
        """Every version of one checkpoint's object."""
        key = checkpoint_key(number)
        return [version for version in self.versions(key) if version.key == key]

    def _read(self, key: str, version_id: str) -> bytes:
        response = self._s3.get_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        return bytes(response["Body"].read())
