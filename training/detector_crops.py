"""Cut reader fine-tuning crops with the trained detector itself (boxes as the runtime sees them).

Usage: python -m training.detector_crops --detector chalicelib/recognition/models/detector.onnx \
           --out .cache/detector_crops.npz

Sources: EU and BR frames (their labeled plate), and the fine-tuning part of openalpr-us-crops
pasted small into those frames (so the crops look like US plates 15-60 px tall in a camera frame).
Every detection overlapping the plate (IoU >= 0.3) is cut with several jittered margins.
openalpr-us-dev and the held-out crops are never read here.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import cv2
import numpy as np

from chalicelib.recognition.datasets import is_held_out, load_crop_labels, load_frame_labels
from chalicelib.recognition.detector import Detection, detect, iou
from chalicelib.recognition.networks import Networks, _load
from chalicelib.recognition.pipeline import cut_plate
from training import synth
from training.train_detector import paste_plate

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
JITTERS = 3


def crops_for(
    networks: Networks,
    rng: random.Random,
    frame: np.ndarray,
    box: tuple[float, float, float, float],
    text: str,
) -> list[tuple[np.ndarray, str]]:
    out = []
    for detection in detect(networks, frame):
        if iou((detection.x, detection.y, detection.w, detection.h), box) < 0.3:
            continue
        for _ in range(JITTERS):
            jittered = Detection(
                detection.x + rng.uniform(-0.04, 0.04) * detection.w,
                detection.y + rng.uniform(-0.08, 0.08) * detection.h,
                detection.w * rng.uniform(0.94, 1.08),
                detection.h * rng.uniform(0.9, 1.15),
                detection.score,
            )
            crop = cut_plate(frame, jittered, rng.uniform(0.0, 0.1), rng.uniform(0.0, 0.2))
            if crop is not None:
                out.append((synth.to_reader_input(crop), text))
        break  # the best-scoring overlapping detection is the one the runtime reads
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--detector", type=Path, required=True)
    parser.add_argument("--pastes-per-frame", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(".cache/detector_crops.npz"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cv2.setNumThreads(1)
    import threading

    networks = Networks(_load(args.detector), cv2.dnn.Net(), threading.Lock())
    us_crops = [
        (cv2.imread(str(c.image)), c.plate)
        for c in load_crop_labels(DATA / "openalpr-us-crops")
        if not is_held_out(c.image.name)
    ]
    samples: list[tuple[np.ndarray, str]] = []
    started = time.time()
    for folder in ("openalpr-eu", "openalpr-br"):
        for label in load_frame_labels(DATA / folder):
            frame = cv2.imread(str(label.image))
            if frame is None:
                continue
            x, y, w, h = label.box
            samples += crops_for(networks, rng, frame, (x, y, w, h), label.plate)
            for _ in range(args.pastes_per_frame):
                canvas = frame.copy()
                scale = 640 / max(canvas.shape[:2])
                canvas = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                boxes: list[tuple[float, float, float, float]] = [
                    (x * scale, y * scale, w * scale, h * scale)
                ]
                plate, text = rng.choice(us_crops)
                paste_plate(rng, canvas, plate, boxes)
                if len(boxes) == 2:
                    samples += crops_for(networks, rng, canvas, boxes[1], text)
    images = np.stack([s[0] for s in samples])
    texts = np.array([s[1] for s in samples])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, images=images, texts=texts)
    print(f"{len(samples)} detector crops -> {args.out} in {time.time() - started:.0f}s")
    grid = np.vstack(
        [np.hstack(list(images[r * 4 : (r + 1) * 4])) for r in range(min(8, len(images) // 4))]
    )
    cv2.imwrite(str(args.out.with_suffix(".png")), grid)


if __name__ == "__main__":
    main()
