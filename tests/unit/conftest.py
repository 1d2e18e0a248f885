"""Unit tests use no network: never let a local stack started by other tests leak in."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_local_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    # The session's local stack sets AWS_ENDPOINT_URL; in-process moto must not follow it.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
