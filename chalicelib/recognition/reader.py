"""Plate reading: CRNN over a 32x128 grayscale crop; CTC prefix beam search ranks candidates."""

from __future__ import annotations

import heapq

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
    return read_many(networks, [gray_crop])[0]


def read_many(networks: Networks, gray_crops: list[np.ndarray]) -> list[list[tuple[str, float]]]:
    """read() for several crops in one batched forward pass (cheaper than one pass each)."""
    if not gray_crops:
        return []
    batch = np.concatenate([prepare(crop) for crop in gray_crops])
    with networks.lock:
        probs = run(networks.reader, batch)  # T x batch x classes
    probs = probs.reshape(probs.shape[0], len(gray_crops), -1)
    return [beam_search(probs[:, index]) for index in range(len(gray_crops))]


def beam_search(probs: np.ndarray) -> list[tuple[str, float]]:
    """CTC prefix beam search over T x 37 column probabilities (index 0 is the blank)."""
    # prefix -> (p ends in blank, p ends in symbol)
    beams: dict[str, tuple[float, float]] = {"": (1.0, 0.0)}
    for column in probs:
        blank = float(column[0])
        if blank > 1.0 - PRUNE_PROBABILITY:
            # Nothing but blank can extend here: every beam just ends in blank, order unchanged.
            beams = {
                prefix: ((p_blank + p_symbol) * blank, 0.0)
                for prefix, (p_blank, p_symbol) in beams.items()
            }
            continue
        indices = np.flatnonzero(column[1:] > PRUNE_PROBABILITY)
        symbols = [(ALPHABET[i], float(column[i + 1])) for i in indices.tolist()]
        next_beams: dict[str, list[float]] = {}
        for prefix, (p_blank, p_symbol) in beams.items():
            total = p_blank + p_symbol
            entry = next_beams.get(prefix)
            if entry is None:
                entry = next_beams[prefix] = [0.0, 0.0]
            entry[0] += total * blank
            last = prefix[-1] if prefix else ""
            for char, p in symbols:
                if char == last:
                    entry[1] += p_symbol * p  # repeated symbol without blank collapses
                    extended = p_blank * p
                else:
                    extended = total * p
                key = prefix + char
                target = next_beams.get(key)
                if target is None:
                    next_beams[key] = [0.0, extended]
                else:
                    target[1] += extended
        ranked = heapq.nlargest(
            BEAM_WIDTH, next_beams.items(), key=lambda item: item[1][0] + item[1][1]
        )
        beams = {prefix: (values[0], values[1]) for prefix, values in ranked}
    results = [
        (prefix, p_blank + p_symbol) for prefix, (p_blank, p_symbol) in beams.items() if prefix
    ]
    results.sort(key=lambda item: -item[1])
    return [(text, min(1.0, probability)) for text, probability in results[:MAX_CANDIDATES]]
