"""Plate finding: plate-region segmentation at 1/4 resolution (long side 640-960) + components."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from chalicelib.recognition.networks import Networks, run

# The longest side is scaled into this range: small frames are enlarged to 640 px (the scale the
# detector was trained at) and larger frames keep up to 800 px; plates 40 px wide at that scale
# (10 map cells) are still found. Judged on EU, BR and US frames, 800 beat 640 and 960 (see
# MODEL_CARD.md, "Run-time pipeline" and "Plate size").
MIN_INPUT_SIDE = 640
MAX_INPUT_SIDE = 800
STRIDE = 4
ALIGN = 32  # the network downsamples 32x, so inputs are padded to a multiple of it
REGION_THRESHOLD = 0.4  # cells with this plate probability form regions
# A region must peak at least this high to be read: 0.5-0.8 found and read the same plates on EU,
# BR and US frames; 0.7 reads ~10% fewer car-part regions than 0.5 and keeps a margin for dim
# plates.
MIN_SCORE = 0.7
MIN_REGION_CELLS = 2
# Plates are wider than tall and never fill the frame; regions outside these bounds are car parts.
MIN_ASPECT = 1.1
MAX_ASPECT = 8.0
MAX_WIDTH_FRACTION = 0.5
MAX_DETECTIONS = 6
NMS_IOU = 0.3


@dataclass(frozen=True)
class Detection:
    """Axis-aligned plate box in the pixels of the image given to `detect`."""

    x: float
    y: float
    w: float
    h: float
    score: float


def detect(networks: Networks, image: np.ndarray) -> list[Detection]:
    """Find plate boxes in a BGR image, best score first."""
    height, width = image.shape[:2]
    longest = max(height, width)
    scale = min(MAX_INPUT_SIDE, max(MIN_INPUT_SIDE, longest)) / longest
    resized = cv2.resize(
        image,
        (max(1, round(width * scale)), max(1, round(height * scale))),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    padded = _pad_to_multiple(resized, ALIGN)
    blob = cv2.dnn.blobFromImage(padded, scalefactor=1.0 / 255.0)
    with networks.lock:
        maps = run(networks.detector, blob)[0]
    detections = _decode(maps, scale)
    return _non_max_suppression(detections)


def _pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    height, width = image.shape[:2]
    pad_h = (-height) % multiple
    pad_w = (-width) % multiple
    if pad_h == 0 and pad_w == 0:
        return image
    return cv2.copyMakeBorder(image, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=(0, 0, 0))


def _decode(maps: np.ndarray, scale: float) -> list[Detection]:
    """Connected plate regions -> boxes in the caller's pixel grid, scored by their peak."""
    probability = maps[0]
    mask = (probability >= REGION_THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    detections = []
    for region in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[region])
        if area < MIN_REGION_CELLS or not _plate_shaped(w, h, probability.shape[1]):
            continue
        peak = float(
            probability[y : y + h, x : x + w][labels[y : y + h, x : x + w] == region].max()
        )
        if peak < MIN_SCORE:
            continue
        detections.append(
            Detection(
                x * STRIDE / scale, y * STRIDE / scale, w * STRIDE / scale, h * STRIDE / scale, peak
            )
        )
    return detections


def _plate_shaped(width: int, height: int, map_width: int) -> bool:
    aspect = width / max(1, height)
    return MIN_ASPECT <= aspect <= MAX_ASPECT and width <= MAX_WIDTH_FRACTION * map_width


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _non_max_suppression(detections: list[Detection]) -> list[Detection]:
    kept: list[Detection] = []
    for detection in sorted(detections, key=lambda d: -d.score):
        box = (detection.x, detection.y, detection.w, detection.h)
        if all(iou(box, (k.x, k.y, k.w, k.h)) < NMS_IOU for k in kept):
            kept.append(detection)
        if len(kept) == MAX_DETECTIONS:
            break
    return kept
