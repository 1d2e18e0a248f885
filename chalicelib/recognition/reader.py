"""Plate reading: CRNN over a 32x128 grayscale crop; CTC prefix beam search ranks candidates."""

from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np

from chalicelib.recognition.datasets import ALPHABET
from chalicelib.recognition.networks import Networks, run

INPUT_HEIGHT = 32
INPUT_WIDTH = 128
BEAM_WIDTH = 12
MAX_CANDIDATES = 10
# Symbols below this per-column probability are never extended; keeps the search cheap.
PRUNE_PROBABILITY = 1e-3


def prepare(gray_crop: np.ndarray) -> np.ndarray:
    """Squash to 32x128 and standardize contrast (same as training)."""
    resized = cv2.resize(gray_crop, (INPUT_WIDTH, INPUT_HEIGHT), interpolation=cv2.INTER_AREA)
    values = resized.astype(np.float32)
    values = (values - values.mean()) / (values.std() + 8.0)
    return values[None, None]


def read(networks: Networks, gray_crop: np.ndarray) -> list[tuple[str, float]]:
    """Return up to MAX_CANDIDATES (text, probability) readings of one plate crop, best first."""
    with networks.lock:
        probs = run(networks.reader, prepare(gray_crop))
    return beam_search(probs.reshape(probs.shape[0], -1))


def beam_search(probs: np.ndarray) -> list[tuple[str, float]]:
    """CTC prefix beam search over T x 37 column probabilities (index 0 is the blank)."""
    beams: dict[str, tuple[float, float]] = {
        "": (1.0, 0.0)
    }  # prefix -> (p ends in blank, p ends in symbol)
    for column in probs:
        next_beams: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        symbols = [int(i) for i in np.nonzero(column > PRUNE_PROBABILITY)[0] if i != 0]
        blank = float(column[0])
        for prefix, (p_blank, p_symbol) in beams.items():
            total = p_blank + p_symbol
            next_beams[prefix][0] += total * blank
            last = prefix[-1] if prefix else None
            for index in symbols:
                char = ALPHABET[index - 1]
                p = float(column[index])
                if char == last:
                    next_beams[prefix][1] += p_symbol * p  # repeated symbol without blank collapses
                    next_beams[prefix + char][1] += p_blank * p
                else:
                    next_beams[prefix + char][1] += total * p
        ranked = sorted(next_beams.items(), key=lambda item: -(item[1][0] + item[1][1]))[
            :BEAM_WIDTH
        ]
        beams = {prefix: (values[0], values[1]) for prefix, values in ranked}
    results = [
        (prefix, p_blank + p_symbol) for prefix, (p_blank, p_symbol) in beams.items() if prefix
    ]
    results.sort(key=lambda item: -item[1])
    return [(text, min(1.0, probability)) for text, probability in results[:MAX_CANDIDATES]]
