"""Presigned POSTs signed with credentials that can write exactly one key.

A presigned POST carries the signer's authority, bounded by its policy conditions. Signed with the
API function's own role, it would carry every right that role has (evidence packages, reports),
bounded only by conditions S3 must enforce. So each ticket is signed with a fresh session of the
camera upload role (which may only PutObject under cameras/ in the raw bucket), narrowed by a
session policy to the ticket's one key: even a POST whose conditions were ignored could write
nothing else, and the buckets of derived data deny that role outright.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.adapters.aws import CLIENT_CONFIG
from chalicelib.adapters.errors import translate

# AssumeRole's shortest session; the POST policy itself expires after the ticket's minutes.
SESSION_SECONDS = 900


class ScopedUploadSigner:
    """Signs each presigned POST with a camera-upload-role session limited to its key."""

    def __init__(self, sts: Any, region: str, role_arn: str, bucket: str,
                 data_key_arn: str) -> None:
        self._sts = sts
        self._region = region
        self._role_arn = role_arn
        self.bucket = bucket
        self._data_key_arn = data_key_arn
        # aws, aws-us-gov (CJIS agencies often deploy there), ...: the key's ARN names it.
        self._partition = data_key_arn.split(":")[1] if data_key_arn.count(":") >= 5 else "aws"
        # One session for every per-ticket client: it loads the S3 service model once. Sessions
        # are not thread-safe (the local API serves requests on threads), clients are.
        self._session: Any = boto3.session.Session()
        self._session_lock = threading.Lock()

    def session_policy(self, key: str) -> dict[str, Any]:
        """What the session may do: put this one object, encrypted with the data key."""
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "ThisObjectOnly", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": f"arn:{self._partition}:s3:::{self.bucket}/{key}"},
            {"Sid": "EncryptIt", "Effect": "Allow", "Action": "kms:GenerateDataKey",
             "Resource": self._data_key_arn}]}

    def presigned_post(self, key: str, content_type: str, content_length: int,
                       metadata: dict[str, str], seconds: int,
                       session_name: str = "camera-upload") -> dict[str, Any]:
        """A presigned POST for exactly this key, type, size and metadata."""
        try:
            credentials = self._sts.assume_role(
                RoleArn=self._role_arn, RoleSessionName=session_name[:64],
                Policy=json.dumps(self.session_policy(key)),
                DurationSeconds=SESSION_SECONDS)["Credentials"]
        except ClientError as error:
            raise translate(error, "assume the camera upload role") from error
        with self._session_lock:
            s3 = self._session.client(
                "s3", region_name=self._region, config=CLIENT_CONFIG,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"])
        fields: dict[str, Any] = {"Content-Type": content_type,
                                  **{f"x-amz-meta-{name}": value
                                     for name, value in metadata.items()}}
        conditions: list[Any] = [{name: value} for name, value in fields.items()]
        conditions.append(["content-length-range", content_length, content_length])
        # boto3 adds {"bucket": ...} and {"key": key} (the exact key, not a prefix).
        return dict(s3.generate_presigned_post(
            Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions,
            ExpiresIn=seconds))
