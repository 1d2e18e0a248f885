"""The reports bucket (versioned, SSE-KMS, private): monthly audit reports as JSON and HTML.

Rebuilding a month writes a new version of its objects; earlier versions stay in the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate


@dataclass(frozen=True)
class StoredObject:
    key: str
    last_modified: str
    size: int


@dataclass(frozen=True)
class StoredVersion:
    key: str
    version_id: str
    last_modified: str


class ReportStore:
    def __init__(self, s3: Any, bucket: str, kms_key_arn: str) -> None:
        self._s3 = s3
        self.bucket = bucket
        self._kms_key_arn = kms_key_arn

    def put(self, key: str, body: bytes, content_type: str) -> str | None:
        """Write one object encrypted with the data key; returns its version id."""
        try:
            response = self._s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                ServerSideEncryption="aws:kms", SSEKMSKeyId=self._kms_key_arn,
                ChecksumAlgorithm="SHA256")
        except ClientError as error:
            raise translate(error, f"write {key}") from error
        return response.get("VersionId")

    def get(self, key: str) -> bytes:
        """The object's body; ObjectNotFound when there is none."""
        try:
            return bytes(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as error:
            raise translate(error, f"read {key}") from error

    def list(self, prefix: str) -> list[StoredObject]:
        """Every current object under the prefix, in key order."""
        found: list[StoredObject] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                found.extend(StoredObject(str(item["Key"]), item["LastModified"].isoformat(),
                                          int(item["Size"])) for item in page.get("Contents", []))
        except ClientError as error:
            raise translate(error, f"list {prefix}") from error
        return sorted(found, key=lambda item: item.key)

    def versions(self, key: str) -> tuple[StoredVersion, ...]:
        """Every stored version of one object, oldest first (delete markers left out)."""
        found: list[StoredVersion] = []
        paginator = self._s3.get_paginator("list_object_versions")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
                found.extend(StoredVersion(str(item["Key"]), str(item["VersionId"]),
                                           item["LastModified"].isoformat())
                             for item in page.get("Versions", []) if item["Key"] == key)
        except ClientError as error:
            raise translate(error, f"list versions of {key}") from error
        return tuple(sorted(found, key=lambda version: version.last_modified))

    def get_version(self, key: str, version_id: str) -> bytes:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, VersionId=version_id)
            return bytes(response["Body"].read())
        except ClientError as error:
            raise translate(error, f"read {key} version {version_id}") from error

    def presigned_get(self, key: str, seconds: int) -> str:
        return str(self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds))
