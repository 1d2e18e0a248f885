"""Shared helpers for the `make bench-*` commands (they print figures; nothing is asserted)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

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


def dynamodb_item_bytes(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB counts it for capacity units (attribute names plus values;
    "DynamoDB item sizes and formats" in the DynamoDB developer guide)."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: Mapping[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_bytes(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode()) for text in inner)
    if kind == "NS":
        return sum(_number_bytes(text) for text in inner)
    if kind == "L":
        return 3 + sum(1 + _value_bytes(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_bytes(element)
                       for name, element in inner.items())
    raise ValueError(f"not a DynamoDB value: {kind}")


def _number_bytes(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return (len(digits) + 1) // 2 + 1
