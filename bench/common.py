"""Shared helpers for the `make bench-*` commands (they print figures; nothing is asserted)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary_row(name: str, latencies_ms: list[float], extra: str = "") -> str:
    return (f"| {name} | {len(latencies_ms)} | {statistics.median(latencies_ms):.0f} | "
            f"{percentile(latencies_ms, 0.95):.0f} | {extra} |")
