"""Lazily built boto3 clients shared by all adapters of one process."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# SigV4 everywhere: presigned URLs must carry short, verifiable expiry (boto3 may default to V2).
CLIENT_CONFIG = Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 4},
                 connect_timeout=5, read_timeout=30)


@cache
def client(service: str, region: str) -> Any:
    """One client per service and region; boto3 honours AWS_ENDPOINT_URL for the local stack."""
    session: Any = boto3.session.Session()  # typed as Any: the service name is a runtime value
    return session.client(service, region_name=region, config=CLIENT_CONFIG)
