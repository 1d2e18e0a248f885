"""Train the CRNN plate reader (CTC) on synthetic plates mixed with real crops, export ONNX.

Usage (see training/README.md for the runs behind the shipped model):
  python -m training.train_reader --minutes 48 --batch 32 --log-every 25 \
      --out .cache/reader_v3.pt --onnx chalicelib/recognition/models/reader.onnx

Each batch is half synthetic (training.synth cache) and half real: the fine-tuning part of
openalpr-us-crops (never the held-out part), EU/BR frame plates cut with jittered boxes, and
optionally crops cut by the detector itself. openalpr-us-dev is never read here.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from chalicelib.recognition.datasets import (
    ALPHABET,
    is_held_out,
    load_crop_labels,
    load_frame_labels,
)
from training import synth
from training.models import PlateReader, count_parameters, for_export
from training.onnx_export import export_checked
from training.onnx_weights import load_onnx_weights
from training.schedule import Budget

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CHAR_INDEX = {ch: i + 1 for i, ch in enumerate(ALPHABET)}


def standardize(gray: np.ndarray) -> np.ndarray:
    """Per-image contrast normalization (identical to the runtime)."""
    values = gray.astype(np.float32)
    return (values - values.mean()) / (values.std() + 8.0)


class RealPlates:
    """Real plates with on-the-fly augmentation: crops (BGR) and frames with their boxes."""

    def __init__(self, rng: random.Random, detector_crops: Path | None) -> None:
        self.rng = rng
        crops = [
            c for c in load_crop_labels(DATA / "openalpr-us-crops") if not is_held_out(c.image.name)
        ]
        self.crops = [(cv2.imread(str(c.image)), c.plate) for c in crops]
        self.frames: list[tuple[np.ndarray, tuple[int, int, int, int], str]] = []
        for folder in ("openalpr-eu", "openalpr-br"):
            for label in load_frame_labels(DATA / folder):
                image = cv2.imread(str(label.image))
                if image is not None and label.plate:
                    self.frames.append((image, label.box, label.plate))
        self.cut: list[tuple[np.ndarray, str]] = []
        if detector_crops is not None:
            cached = np.load(detector_crops)
            self.cut = list(zip(cached["images"], [str(t) for t in cached["texts"]], strict=True))
        print(
            f"real: {len(self.crops)} us crops, {len(self.frames)} eu/br frame plates, "
            f"{len(self.cut)} detector crops"
        )

    def sample(self) -> tuple[np.ndarray, str]:
        roll = self.rng.random()
        if self.cut and roll < 0.35:
            image, text = self.rng.choice(self.cut)
            return self._light(image), text
        if roll < 0.75:
            image, text = self.rng.choice(self.crops)
            return synth.to_reader_input(
                synth.degrade(self.rng, synth._place_in_scene(self.rng, image))
            ), text
        frame, box, text = self.rng.choice(self.frames)
        return self._light(self._cut_jittered(frame, box)), text

    def _cut_jittered(self, frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        x, y, w, h = box
        rng = self.rng
        x0 = int(x - rng.uniform(-0.05, 0.12) * w)
        x1 = int(x + w + rng.uniform(-0.05, 0.12) * w)
        y0 = int(y - rng.uniform(-0.08, 0.25) * h)
        y1 = int(y + h + rng.uniform(-0.08, 0.25) * h)
        fh, fw = frame.shape[:2]
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(fw, max(x1, x0 + 4)), min(fh, max(y1, y0 + 4))
        return frame[y0:y1, x0:x1]

    def _light(self, crop: np.ndarray) -> np.ndarray:
        """Mild augmentation for crops that are already camera-like."""
        gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        rng = self.rng
        if rng.random() < 0.3:
            scale = rng.uniform(0.5, 0.9)
            small = cv2.resize(
                gray,
                (max(8, int(gray.shape[1] * scale)), max(6, int(gray.shape[0] * scale))),
                interpolation=cv2.INTER_AREA,
            )
            gray = small
        values = gray.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)
        if rng.random() < 0.3:
            values = cv2.GaussianBlur(values, (3, 3), rng.uniform(0.3, 1.0))
        return synth.to_reader_input(np.clip(values, 0, 255).astype(np.uint8))


def shift_synthetic(rng: random.Random, image: np.ndarray) -> np.ndarray:
    """Small random translation/scale so cached synthetic samples differ between epochs."""
    if rng.random() < 0.5:
        return image
    h, w = image.shape
    dx, dy = rng.uniform(-4, 4), rng.uniform(-2, 2)
    sx, sy = rng.uniform(0.92, 1.06), rng.uniform(0.9, 1.08)
    matrix = np.float32([[sx, 0, dx + (1 - sx) * w / 2], [0, sy, dy + (1 - sy) * h / 2]])
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def encode_batch(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    targets = torch.tensor([CHAR_INDEX[ch] for t in texts for ch in t], dtype=torch.long)
    lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
    return targets, lengths


def greedy_decode(probs: np.ndarray) -> list[str]:
    """probs T x N x C -> best path texts."""
    best = probs.argmax(axis=2).T
    texts = []
    for row in best:
        chars, previous = [], 0
        for index in row:
            if index != previous and index != 0:
                chars.append(ALPHABET[index - 1])
            previous = index
        texts.append("".join(chars))
    return texts


def held_out_accuracy(model: PlateReader) -> float:
    crops = [c for c in load_crop_labels(DATA / "openalpr-us-crops") if is_held_out(c.image.name)]
    images = np.stack([standardize(synth.to_reader_input(cv2.imread(str(c.image)))) for c in crops])
    model.eval()
    with torch.no_grad():
        probs = model(torch.from_numpy(images[:, None])).numpy()
    model.train()
    predictions = greedy_decode(probs)
    return sum(p == c.plate for p, c in zip(predictions, crops, strict=True)) / len(crops)


def export_onnx(model: PlateReader, path: Path) -> None:
    """Export with the LSTM unrolled (see models.UnrolledBiLSTM); cv2.dnn must agree."""
    model.eval()
    sample = torch.randn(5, 1, synth.READER_HEIGHT, synth.READER_WIDTH)
    unrolled = for_export(model)
    with torch.no_grad():
        if float((unrolled(sample) - model(sample)).abs().max()) > 1e-4:
            raise SystemExit("the unrolled LSTM does not match the trained one")
    export_checked(unrolled, path, sample[:1], [sample], ["image"], ["probs"],
                   {"image": {0: "batch"}, "probs": {1: "batch"}})


def sample_batch(
    rng: random.Random,
    synth_images: np.ndarray,
    synth_texts: list[str],
    real: RealPlates,
    size: int,
    real_fraction: float,
) -> tuple[torch.Tensor, list[str]]:
    """One training batch: (1 - real_fraction) synthetic plates, the rest real ones."""
    real_count = int(size * real_fraction)
    images, texts = [], []
    for _ in range(size - real_count):
        index = rng.randrange(len(synth_texts))
        images.append(shift_synthetic(rng, synth.to_reader_input(synth_images[index])))
        texts.append(synth_texts[index])
    for _ in range(real_count):
        image, text = real.sample()
        images.append(image)
        texts.append(text)
    return torch.from_numpy(np.stack([standardize(i) for i in images])[:, None]), texts


def train(args: argparse.Namespace) -> None:
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    rng = random.Random(args.seed)

    cached = np.load(args.synth)
    synth_images, synth_texts = cached["images"], [str(t) for t in cached["texts"]]
    real = RealPlates(rng, args.detector_crops)
    model = PlateReader()
    if args.init and args.init.suffix == ".onnx":
        # A shipped model: its BatchNorms are re-measured on a batch of this run's mix.
        images, _ = sample_batch(rng, synth_images, synth_texts, real, 256, args.real_fraction)
        load_onnx_weights(model, args.init, images)
    elif args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    print(f"reader parameters: {count_parameters(model)}")
    if args.init:
        print(f"start: held-out crops exact {held_out_accuracy(model):.3f}", flush=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    budget = Budget(optimizer, args.lr, args.steps, args.minutes)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    started = time.time()
    while budget.next():
        step = budget.step
        batch, texts = sample_batch(
            rng, synth_images, synth_texts, real, args.batch, args.real_fraction
        )
        targets, target_lengths = encode_batch(texts)
        log_probs = model.logits(batch).log_softmax(2)
        input_lengths = torch.full((len(texts),), log_probs.shape[0], dtype=torch.long)
        loss = ctc(log_probs, targets, input_lengths, target_lengths)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        if step % args.log_every == 0:
            message = (
                f"step {step}/{args.steps} loss {loss.item():.3f} {time.time() - started:.0f}s"
            )
            if step % (args.log_every * 5) == 0:
                # Monitoring only: the shipped model is the last step, never picked by this number.
                message += f" held-out crops exact {held_out_accuracy(model):.3f}"
                torch.save(model.state_dict(), args.out)
            print(message, flush=True)
    torch.save(model.state_dict(), args.out)
    print(f"{budget.step - 1} steps")
    print(f"trained in {time.time() - started:.0f}s -> {args.out}")
    if args.onnx:
        export_onnx(model, args.onnx)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--synth", type=Path, default=Path(".cache/synth.npz"))
    parser.add_argument("--detector-crops", type=Path)
    parser.add_argument(
        "--init", type=Path, help="start from these weights (.pt, or a shipped .onnx model)"
    )
    parser.add_argument("--minutes", type=float, default=25.0, help="wall-clock budget")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--real-fraction", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path(".cache/reader.pt"))
    parser.add_argument("--onnx", type=Path)
    train(parser.parse_args())


if __name__ == "__main__":
    main()
