"""Wildcard patterns cannot be made expensive: over-long ones are refused before any work, and
matching costs at most about len(pattern) x len(plate) steps, counted (not timed)."""

from __future__ import annotations

import fnmatch
import sys
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.hotlist import parse_listed_plate
from chalicelib.domain.plates import (
    MAX_PATTERN_LENGTH,
    MAX_PLATE_LENGTH,
    InvalidPlate,
    PlatePattern,
)

PATTERN_TEXT = st.text(alphabet="AB7*?", min_size=1, max_size=MAX_PATTERN_LENGTH)
PLATE_TEXT = st.text(alphabet="AB7", min_size=1, max_size=MAX_PLATE_LENGTH)


def lines_executed(function: Any, *args: Any) -> tuple[Any, int]:
    """Run function(*args) and count the lines it executes (its own frame only)."""
    executed = 0
    code = function.__code__

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal executed
        if frame.f_code is not code:
            return None
        if event == "line":
            executed += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = function(*args)
    finally:
        sys.settrace(previous)
    return result, executed


@pytest.mark.parametrize("text", [
    "*?" * 5_000, "?" * 10_000, "A*" * 5_000 + "B", "*" * 10_000 + "7AB",
    "7" * (MAX_PATTERN_LENGTH + 1) + "*", "7-" * 10_000 + "AB*",
])
def test_over_long_patterns_are_refused_before_matching(text: str) -> None:
    with pytest.raises(InvalidPlate, match="longer than"):
        PlatePattern.parse(text)
    with pytest.raises(ValueError, match="longer than"):
        parse_listed_plate(text)


def test_separators_are_stripped_in_one_pass() -> None:
    """Spaces and dashes around a pattern are dropped by one linear regex, not refused."""
    assert PlatePattern.parse(" " * 50_000 + "7ab-*" + "-" * 10_000).text == "7AB*"


def test_too_many_stars_are_refused() -> None:
    with pytest.raises(InvalidPlate, match="at most 3"):
        PlatePattern.parse("7*A*B*C*")


@settings(max_examples=300, deadline=None)
@given(pattern=PATTERN_TEXT, plate=PLATE_TEXT)
def test_matching_agrees_with_fnmatch_and_its_work_is_bounded(pattern: str,
                                                              plate: str) -> None:
    try:
        parsed = PlatePattern.parse(pattern)
    except InvalidPlate:
        return
    matched, lines = lines_executed(PlatePattern.matches, parsed, plate)
    assert matched == fnmatch.fnmatchcase(plate, parsed.text.replace("[", "[[]"))
    # Each loop turn runs a handful of lines; turns are bounded by len(pattern) x len(plate).
    assert lines <= 8 * (len(parsed.text) + 1) * (len(plate) + 1)


def test_worst_case_pattern_work_stays_small() -> None:
    """The most backtracking-prone pattern the rules admit, against the longest plate."""
    pattern = PlatePattern.parse("*A*A*A?????")
    _, lines = lines_executed(PlatePattern.matches, pattern, "A" * 9 + "B")
    assert lines <= 8 * (len(pattern.text) + 1) * (MAX_PLATE_LENGTH + 1)
