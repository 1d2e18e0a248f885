"""Which state issued a plate: a small classifier on the plate's colour crop, or no answer.

Hotlist hits on the wrong state are a known cause of wrongful stops, so a read carries the
state only when the classifier is sure (`MIN_STATE_CONFIDENCE`, chosen on a validation split of
the fine-tuning crops; MODEL_CARD.md "State"), and otherwise no state at all.
"""

from __future__ import annotations

import cv2
import numpy as np

from chalicelib.domain.states import STATE_CODES
from chalicelib.recognition.networks import Networks, run

STATE_HEIGHT = 48
STATE_WIDTH = 96
MIN_STATE_CONFIDENCE = 0.5


def to_state_input(crop_bgr: np.ndarray) -> np.ndarray:
    """A plate crop (BGR or grey) as the classifier's 3 x 48 x 96 float input."""
    if crop_bgr.ndim == 2:
        crop_bgr = cv2.cvtColor(crop_bgr, cv2.COLOR_GRAY2BGR)
    resized = cv2.resize(crop_bgr, (STATE_WIDTH, STATE_HEIGHT), interpolation=cv2.INTER_AREA)
    return ((resized.astype(np.float32) / 255.0 - 0.5) / 0.25).transpose(2, 0, 1)


def classify_states(
    networks: Networks, crops: list[np.ndarray]
) -> list[tuple[str | None, float]]:
    """(state code or None when unsure, the top probability) for each plate crop."""
    if not crops:
        return []
    blob = np.stack([to_state_input(crop) for crop in crops])
    with networks.lock:
        probs = run(networks.state, blob).reshape(len(crops), len(STATE_CODES))
    answers: list[tuple[str | None, float]] = []
    for row in probs:
        best = int(row.argmax())
        confidence = round(float(row[best]), 4)
        answers.append((STATE_CODES[best] if confidence >= MIN_STATE_CONFIDENCE else None,
                        confidence))
    return answers
