"""Policy 428.5: keep ALPR data at least one year, then purge unless held."""

from __future__ import annotations

from datetime import datetime, timedelta


def expiry_epoch(captured_at: datetime, retention_days: int) -> int:
    """The DynamoDB TTL (epoch seconds) of data captured at `captured_at`."""
    return int((captured_at + timedelta(days=retention_days)).timestamp())


def is_expired(expires_at: int | None, now: datetime) -> bool:
    """Whether an item with TTL `expires_at` is past retention; items without TTL never are."""
    return expires_at is not None and expires_at <= int(now.timestamp())
