"""Result types and errors of the recognition engine (no OpenCV needed to use them)."""

from __future__ import annotations

from dataclasses import dataclass


class RecognitionError(Exception):
    """Any failure of the recognition engine."""


class InvalidImageError(RecognitionError, ValueError):
    """Bytes that are not a usable JPEG/PNG image: corrupt, truncated, empty, too small or large."""


@dataclass(frozen=True)
class Candidate:
    """One possible reading of a plate and its probability (0-1)."""

    text: str
    confidence: float


@dataclass(frozen=True)
class PlateRead:
    """One plate found in a frame.

    `box` is (x, y, w, h) in image pixels; `corners` are four (x, y) points clockwise from top-left;
    `candidates` are alternative readings, best first, the top one included. `state` is the
    issuing state's two-letter code when the state classifier is sure, else None;
    `state_confidence` is its top probability either way.
    """

    text: str
    confidence: float
    candidates: tuple[Candidate, ...]
    box: tuple[int, int, int, int]
    corners: tuple[tuple[float, float], ...]
    crop_jpeg: bytes | None = None
    state: str | None = None
    state_confidence: float = 0.0


@dataclass(frozen=True)
class ScreenedOut:
    """A reading that did not pass the plate screen (plausibility.screen) and why: not a read."""

    plate: PlateRead
    reason: str


@dataclass(frozen=True)
class RecognitionResult:
    """All plates read in one image, plus the image size in pixels.

    `screened_out` are the readings judged not to be plates (time stamps, signs, fragments, too
    unsure); they are never stored as reads, and are kept here for measurement.
    """

    plates: tuple[PlateRead, ...]
    width: int
    height: int
    screened_out: tuple[ScreenedOut, ...] = ()
