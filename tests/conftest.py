"""Shared fixtures: one local stack (moto server + provisioned resources + API) per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.stack import RunningStack

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def local_stack() -> Iterator[RunningStack]:
    """The whole local stack; the pump runs only when a test drains it, for determinism."""
    with RunningStack(pump_in_background=False) as stack:
        yield stack
