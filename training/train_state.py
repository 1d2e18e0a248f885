"""Train the plate-state classifier on real crops (fine-tuning part only) and synthetic layouts.

Usage (see training/README.md for the run behind the shipped model):
  python -m training.train_state --minutes 45 --threads 1 --out .cache/state.pt \
      --onnx chalicelib/recognition/models/state.onnx

Data: the fine-tuning part of openalpr-us-crops (never the held-out part), of which a fixed 15%
(by a second hash of the file name) is kept aside to choose the answer threshold; plus synthetic
plates drawn by training.synth with a state's name as header (the classifier must not learn
only the real crops' few designs per state). Each real crop is augmented as a detector cut from
a camera frame would look: jittered box, perspective, shrunk to 14-60 px tall, blur, colour and
brightness shifts, grey or infrared-like looks, JPEG.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from chalicelib.domain.states import STATE_CODES, STATE_NAMES
from chalicelib.recognition.datasets import is_held_out, load_crop_labels
from chalicelib.recognition.state import MIN_STATE_CONFIDENCE, to_state_input
from training import synth
from training.models import StateClassifier, count_parameters
from training.onnx_export import export_checked
from training.schedule import Budget

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
VALIDATION_PERCENT = 15
CODE_INDEX = {code: i for i, code in enumerate(STATE_CODES)}


def is_validation(file_name: str) -> bool:
    """A fixed part of the fine-tuning crops, used only to pick the answer threshold."""
    digest = hashlib.sha256(("state-validation:" + file_name).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 100 < VALIDATION_PERCENT


def split_crops() -> tuple[list[tuple[np.ndarray, int]], ...]:
    train, validation, held_out = [], [], []
    for crop in load_crop_labels(DATA / "openalpr-us-crops"):
        code = crop.state.upper()
        if code not in CODE_INDEX:
            continue
        image = cv2.imread(str(crop.image))
        if image is None:
            continue
        sample = (image, CODE_INDEX[code])
        if is_held_out(crop.image.name):
            held_out.append(sample)
        elif is_validation(crop.image.name):
            validation.append(sample)
        else:
            train.append(sample)
    return train, validation, held_out


def augment(rng: random.Random, crop: np.ndarray) -> np.ndarray:
    """A clean crop made to look like a detector's cut from a camera frame (BGR)."""
    h, w = crop.shape[:2]
    # Box jitter: from a little inside the plate to a margin of replicated border around it.
    pad = int(max(h, w) * 0.15)
    padded = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0 = pad + int(rng.uniform(-0.08, 0.05) * w)
    x1 = pad + w + int(rng.uniform(-0.05, 0.08) * w)
    y0 = pad + int(rng.uniform(-0.12, 0.06) * h)
    y1 = pad + h + int(rng.uniform(-0.06, 0.12) * h)
    src = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    jitter = 0.05 * (x1 - x0)
    dst = np.float32([[rng.uniform(-jitter, jitter), rng.uniform(-jitter, jitter) * 0.5]
                      for _ in range(4)]) + np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(padded, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
    # Camera-sized: plates in frames are 14-60 px tall.
    target_h = rng.uniform(14, 60)
    scale = min(1.0, target_h / h)
    out = cv2.resize(out, (max(8, int(w * scale)), max(6, int(h * scale))),
                     interpolation=cv2.INTER_AREA)
    if rng.random() < 0.4:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.0))
    values = out.astype(np.float32)
    values = values * rng.uniform(0.6, 1.3) + rng.uniform(-35, 35)
    values = values * np.float32([rng.uniform(0.85, 1.15) for _ in range(3)])  # white balance
    look = rng.random()
    if look < 0.2:  # grey camera
        grey = cv2.cvtColor(np.clip(values, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)
        values = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR).astype(np.float32)
    elif look < 0.3:  # infrared: bright plate, strong contrast, no colour
        grey = cv2.cvtColor(np.clip(values, 0, 255).astype(np.uint8),
                            cv2.COLOR_BGR2GRAY).astype(np.float32)
        grey = np.clip((grey - grey.mean()) * rng.uniform(1.5, 2.5) + rng.uniform(120, 200),
                       0, 255)
        values = np.repeat(grey[..., None], 3, axis=2)
    values = values + np.random.default_rng(rng.randint(0, 2**31)).normal(
        0, rng.uniform(0, 8), values.shape)
    out = np.clip(values, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(35, 90)])
        if ok:
            out = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return out


def synthetic_sample(rng: random.Random, fonts: list[str], script_fonts: list[str]
                     ) -> tuple[np.ndarray, int]:
    code = rng.choice(STATE_CODES)
    name = STATE_NAMES[code]
    if rng.random() < 0.5:
        name = name.title()
    plate, _ = synth.render_plate(rng, fonts, script_fonts, header=name)
    return augment(rng, plate), CODE_INDEX[code]


def batch(rng: random.Random, real: list[tuple[np.ndarray, int]], size: int,
          synthetic_fraction: float, fonts: list[str], script_fonts: list[str]
          ) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = [], []
    for _ in range(size):
        if rng.random() < synthetic_fraction:
            image, label = synthetic_sample(rng, fonts, script_fonts)
        else:
            crop, label = rng.choice(real)
            image = augment(rng, crop)
        images.append(to_state_input(image))
        labels.append(label)
    return torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.long)


def predict(model: StateClassifier, samples: list[tuple[np.ndarray, int]]) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        probs = model(torch.from_numpy(np.stack([to_state_input(c) for c, _ in samples])))
    model.train()
    return probs.numpy()


def coverage_and_accuracy(probs: np.ndarray, labels: list[int], threshold: float
                          ) -> tuple[float, float]:
    """(share answered, top-1 among the answered) at a confidence threshold."""
    best, confidence = probs.argmax(1), probs.max(1)
    answered = confidence >= threshold
    if not answered.any():
        return 0.0, 0.0
    right = best[answered] == np.array(labels)[answered]
    return float(answered.mean()), float(right.mean())


def report(name: str, model: StateClassifier, samples: list[tuple[np.ndarray, int]]) -> str:
    probs = predict(model, samples)
    labels = [label for _, label in samples]
    overall = float((probs.argmax(1) == np.array(labels)).mean())
    parts = [f"{name} top-1 {overall:.3f}"]
    for threshold in (0.3, MIN_STATE_CONFIDENCE, 0.7):
        cov, acc = coverage_and_accuracy(probs, labels, threshold)
        parts.append(f"@{threshold}: answers {cov:.2f} right {acc:.3f}")
    return "; ".join(parts)


def export_onnx(model: StateClassifier, path: Path) -> None:
    sample = torch.randn(4, 3, 48, 96)
    export_checked(model, path, sample[:1], [sample], ["image"], ["probs"],
                   {"image": {0: "batch"}, "probs": {0: "batch"}})


def train(args: argparse.Namespace) -> None:
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    rng = random.Random(args.seed)
    fonts = synth.available_fonts(synth.FONT_FILES)
    script_fonts = synth.available_fonts(synth.SCRIPT_FONTS) or fonts
    real, validation, held_out = split_crops()
    print(f"crops: {len(real)} train, {len(validation)} validation, {len(held_out)} held out")
    model = StateClassifier(len(STATE_CODES))
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    print(f"state classifier parameters: {count_parameters(model)}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    budget = Budget(optimizer, args.lr, args.steps, args.minutes)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    started = time.time()
    while budget.next():
        images, labels = batch(rng, real, args.batch, args.synthetic_fraction, fonts,
                               script_fonts)
        loss = loss_fn(model.logits(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if budget.step % args.log_every == 0:
            message = f"step {budget.step} loss {loss.item():.3f} {time.time() - started:.0f}s"
            if budget.step % (args.log_every * 5) == 0:
                # Monitoring only: the shipped model is the last step.
                message += " | " + report("validation", model, validation)
                torch.save(model.state_dict(), args.out)
            print(message, flush=True)
    torch.save(model.state_dict(), args.out)
    print(f"{budget.step - 1} steps in {time.time() - started:.0f}s -> {args.out}")
    print(report("validation", model, validation))
    if args.onnx:
        export_onnx(model, args.onnx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--init", type=Path)
    parser.add_argument("--minutes", type=float, default=45.0)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--synthetic-fraction", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path(".cache/state.pt"))
    parser.add_argument("--onnx", type=Path)
    train(parser.parse_args())


if __name__ == "__main__":
    main()
