"""Readers for the openalpr/benchmarks folder formats and the fixed crops split.

Shared by the evaluator and the training scripts so that both use the same split.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Crops whose name hashes below this percentile are held out from every training run.
HELD_OUT_PERCENT = 36


@dataclass(frozen=True)
class FrameLabel:
    """One labeled plate of a camera frame (benchmarks `NAME.txt` format)."""

    image: Path
    box: tuple[int, int, int, int]
    plate: str


@dataclass(frozen=True)
class CropLabel:
    """One cropped plate of a crops folder (`labels.csv`)."""

    image: Path
    state: str
    plate: str


def normalize_plate(text: str) -> str:
    """Upper-case and keep only A-Z0-9, as the benchmarks compare plates."""
    return "".join(ch for ch in text.upper() if ch in ALPHABET)


def is_held_out(file_name: str) -> bool:
    """Deterministic split of the crops folder by a hash of the file name."""
    digest = hashlib.sha256(Path(file_name).name.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 100 < HELD_OUT_PERCENT


def is_crops_folder(folder: Path) -> bool:
    return (folder / "labels.csv").is_file()


def load_frame_labels(folder: Path) -> list[FrameLabel]:
    """Parse every `NAME.txt` of a benchmarks end-to-end folder."""
    labels: list[FrameLabel] = []
    for txt in sorted(folder.glob("*.txt")):
        for line in txt.read_text(encoding="utf-8").splitlines():
            fields = line.strip().split("\t")
            if len(fields) < 6:
                continue
            name, x, y, w, h = fields[:5]
            plate = normalize_plate(" ".join(fields[5:]))
            labels.append(FrameLabel(folder / name, (int(x), int(y), int(w), int(h)), plate))
    return labels


def load_crop_labels(folder: Path) -> list[CropLabel]:
    """Parse `labels.csv` (file,state,plate) of a crops folder."""
    labels: list[CropLabel] = []
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            image = folder / "images" / row["file"]
            if not image.exists():
                image = folder / row["file"]
            labels.append(CropLabel(image, row["state"], normalize_plate(row["plate"])))
    return labels
