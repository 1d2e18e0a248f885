"""Load the three ONNX networks once per process (lazily) and run them through cv2.dnn."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from chalicelib.recognition.results import RecognitionError

MODELS_DIR = Path(__file__).resolve().parent / "models"
DETECTOR_FILE = MODELS_DIR / "detector.onnx"
READER_FILE = MODELS_DIR / "reader.onnx"
STATE_FILE = MODELS_DIR / "state.onnx"


@dataclass
class Networks:
    detector: cv2.dnn.Net
    reader: cv2.dnn.Net
    state: cv2.dnn.Net
    # cv2.dnn.Net objects are not safe to share between threads running forward() at once.
    lock: threading.Lock


_cache: Networks | None = None
_cache_lock = threading.Lock()


def get_networks() -> Networks:
    """Return the process-wide networks, loading them on first use."""
    global _cache
    if _cache is None:
        with _cache_lock:
            if _cache is None:
                _cache = Networks(_load(DETECTOR_FILE), _load(READER_FILE), _load(STATE_FILE),
                                  threading.Lock())
    return _cache


def _load(path: Path) -> cv2.dnn.Net:
    if not path.is_file():
        raise RecognitionError(f"model file missing: {path}")
    try:
        return cv2.dnn.readNetFromONNX(str(path))
    except cv2.error as error:
        raise RecognitionError(f"cannot load model {path.name}: {error}") from error


def run(net: cv2.dnn.Net, blob: np.ndarray) -> np.ndarray:
    net.setInput(blob)
    return np.asarray(net.forward())
