"""The plate screen (what counts as a read): a table of readings seen on real frames and crops."""

from __future__ import annotations

import pytest

from chalicelib.recognition.plausibility import (
    MIN_CONFIDENCE,
    UNUSUAL_MIN_CONFIDENCE,
    Verdict,
    looks_like_standard_plate,
    screen,
)

PLATE_ASPECT = 2.0

# (text, confidence, box aspect, verdict). Texts are real readings from openalpr frames and crops.
CASES = [
    # ordinary plates, even when the reader is unsure
    ("6RJN062", 0.25, 1.8, Verdict.PLATE),
    ("DH5X9P", 0.197, 2.2, Verdict.PLATE),
    ("4639520", 0.4, 2.0, Verdict.PLATE),  # all digits: several states issue them
    ("78188", 0.8, 2.0, Verdict.PLATE),
    ("AAA0000", 0.9, 2.0, Verdict.PLATE),  # a run of four is an issued series
    ("B33333", 0.99, 2.0, Verdict.PLATE),  # a run of five, sure: kept
    ("DEALERS4", 0.9, 2.5, Verdict.PLATE),  # 8 characters with a digit: a plate shape, if sure
    # camera time stamps and text lines
    ("40617125819", 0.9, 5.0, Verdict.TOO_LONG),
    ("14DG170937", 0.24, 4.4, Verdict.TOO_LONG),
    ("04425073", 0.9, 5.4, Verdict.TIMESTAMP),
    ("11141141", 0.9, 1.7, Verdict.TIMESTAMP),
    # grille, fence and lamp patterns
    ("777777777", 0.9, 3.2, Verdict.TOO_LONG),
    ("IIIIII", 0.9, 1.8, Verdict.REPEATED),
    ("HHHHIH0", 0.05, 2.0, Verdict.LOW_CONFIDENCE),
    ("WWWWDW", 0.2, 4.4, Verdict.UNUSUAL_UNSURE),
    # fragments and signs
    ("0", 0.99, 1.0, Verdict.TOO_SHORT),
    ("00", 0.069, 1.6, Verdict.LOW_CONFIDENCE),
    ("EE", 0.3, 1.9, Verdict.UNUSUAL_UNSURE),
    ("S10", 0.28, 2.4, Verdict.UNUSUAL_UNSURE),
    ("ONLY", 0.45, 2.5, Verdict.UNUSUAL_UNSURE),
    ("CCESS", 0.445, 3.0, Verdict.UNUSUAL_UNSURE),
    ("TITAN", 0.2, 3.0, Verdict.UNUSUAL_UNSURE),
    # vanity and short plates: kept when the reader is sure
    ("GUTSY", 0.9, 2.0, Verdict.PLATE),
    ("BB63", 0.58, 2.0, Verdict.PLATE),
    ("ATHEIST", 0.97, 2.0, Verdict.PLATE),
    # too wide for a US plate: a line of text, unless very sure
    ("RK619A", 0.3, 4.8, Verdict.UNUSUAL_UNSURE),
    ("RK641AL", 0.99, 4.8, Verdict.PLATE),
]


@pytest.mark.parametrize(("text", "confidence", "aspect", "verdict"), CASES)
def test_screen_table(text: str, confidence: float, aspect: float, verdict: Verdict) -> None:
    result = screen(text, confidence, aspect)
    assert result.verdict is verdict
    assert result.kept is (verdict is Verdict.PLATE)


def test_thresholds_are_ordered() -> None:
    assert 0 < MIN_CONFIDENCE < UNUSUAL_MIN_CONFIDENCE < 1


def test_unusual_readings_name_what_is_unusual() -> None:
    assert screen("ONLY", 0.2, 2.5).unusual == ("short", "letters_only")
    assert screen("RK619A", 0.2, 4.8).unusual == ("too_wide",)
    assert screen("7ABC123", 0.9, PLATE_ASPECT).unusual == ()


@pytest.mark.parametrize(("text", "aspect", "standard"), [
    ("6MTP929", 2.2, True), ("205014", 3.0, True), ("ONLY", 2.5, False),
    ("CARBRAXX", 3.0, False), ("B33333", 2.0, False), ("7ABC123", 6.0, False),
])
def test_benchmark_rule_for_likely_other_plates(text: str, aspect: float, standard: bool) -> None:
    assert looks_like_standard_plate(text, aspect) is standard
