"""Train the plate-region detector on EU+BR frames with US plates pasted in; export ONNX.

Usage (see training/README.md for the runs behind the shipped model):
  python -m training.train_detector --minutes 22 --out .cache/detector.pt \
      --onnx chalicelib/recognition/models/detector.onnx

Frames are scaled so the longest side is around 640 px (as at run time), then 256x256 windows are
cut around plates. Pasted plates are the fine-tuning part of openalpr-us-crops (never the held-out
part) and synthetic plates from training.synth. openalpr-us-dev is never read here.
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

from chalicelib.recognition.datasets import is_held_out, load_crop_labels, load_frame_labels
from training import synth
from training.models import PlateDetector, count_parameters
from training.onnx_export import export_checked
from training.onnx_weights import load_onnx_weights
from training.schedule import Budget

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WINDOW = 192
STRIDE = 4
RUNTIME_SIDE = 640


def load_frames() -> list[tuple[np.ndarray, list[tuple[float, float, float, float]]]]:
    frames = []
    for folder in ("openalpr-eu", "openalpr-br"):
        for label in load_frame_labels(DATA / folder):
            image = cv2.imread(str(label.image))
            if image is None:
                continue
            scale = RUNTIME_SIDE / max(image.shape[:2])
            resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            x, y, w, h = label.box
            frames.append((resized, [(x * scale, y * scale, w * scale, h * scale)]))
    return frames


def load_plates(rng: random.Random, synthetic: int) -> list[np.ndarray]:
    crops = [
        c for c in load_crop_labels(DATA / "openalpr-us-crops") if not is_held_out(c.image.name)
    ]
    plates = [cv2.imread(str(c.image)) for c in crops]
    fonts = synth.available_fonts(synth.FONT_FILES)
    script_fonts = synth.available_fonts(synth.SCRIPT_FONTS) or fonts
    plates += [synth.render_plate(rng, fonts, script_fonts)[0] for _ in range(synthetic)]
    return [p for p in plates if p is not None]


def paste_plate(
    rng: random.Random,
    frame: np.ndarray,
    plate: np.ndarray,
    boxes: list[tuple[float, float, float, float]],
) -> None:
    """Paste a perspective-warped, lighting-matched plate at a free spot of the frame (in place)."""
    fh, fw = frame.shape[:2]
    width = rng.uniform(22, 150)
    height = width * rng.uniform(0.45, 0.58)
    for _ in range(10):
        x = rng.uniform(0, fw - width)
        y = rng.uniform(fh * 0.2, fh - height)
        if all(
            x + width < bx or bx + bw < x or y + height < by or by + bh < y
            for bx, by, bw, bh in boxes
        ):
            break
    else:
        return
    ph, pw = plate.shape[:2]
    jitter = 0.06 * width
    dst = np.float32(
        [
            [x + rng.uniform(-jitter, jitter), y + rng.uniform(-jitter, jitter) * 0.5],
            [x + width + rng.uniform(-jitter, jitter), y + rng.uniform(-jitter, jitter) * 0.5],
            [
                x + width + rng.uniform(-jitter, jitter),
                y + height + rng.uniform(-jitter, jitter) * 0.5,
            ],
            [x + rng.uniform(-jitter, jitter), y + height + rng.uniform(-jitter, jitter) * 0.5],
        ]
    )
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    small = cv2.resize(
        plate, (max(4, int(width * 2)), max(4, int(height * 2))), interpolation=cv2.INTER_AREA
    )
    src *= np.float32([small.shape[1] / pw, small.shape[0] / ph])
    matrix = cv2.getPerspectiveTransform(src, dst)
    tinted = np.clip(
        small.astype(np.float32) * rng.uniform(0.4, 1.1) + rng.uniform(-30, 20), 0, 255
    ).astype(np.uint8)
    if rng.random() < 0.5:
        tinted = cv2.GaussianBlur(tinted, (5, 5), rng.uniform(0.5, 2.0))
    mask = cv2.warpPerspective(np.full(small.shape[:2], 255, np.uint8), matrix, (fw, fh))
    warped = cv2.warpPerspective(tinted, matrix, (fw, fh))
    frame[mask > 127] = warped[mask > 127]
    xs, ys = dst[:, 0], dst[:, 1]
    boxes.append(
        (float(xs.min()), float(ys.min()), float(xs.max() - xs.min()), float(ys.max() - ys.min()))
    )


def make_target(boxes: list[tuple[float, float, float, float]], size: int) -> np.ndarray:
    """Fraction of each 1/4-resolution cell covered by a plate box."""
    full = np.zeros((size, size), np.float32)
    for x, y, w, h in boxes:
        if w >= 6:
            cv2.rectangle(full, (round(x), round(y)), (round(x + w) - 1, round(y + h) - 1), 1.0, -1)
    return cv2.resize(full, (size // STRIDE, size // STRIDE), interpolation=cv2.INTER_AREA)


def sample_window(
    rng: random.Random, frames: list, plates: list[np.ndarray]
) -> tuple[np.ndarray, list]:
    frame, boxes = rng.choice(frames)
    scale = rng.uniform(0.5, 1.3)
    image = cv2.resize(
        frame,
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    boxes = [(x * scale, y * scale, w * scale, h * scale) for x, y, w, h in boxes]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        paste_plate(rng, image, rng.choice(plates), boxes)
    if rng.random() < 0.5:
        image = image[:, ::-1].copy()
        boxes = [(image.shape[1] - x - w, y, w, h) for x, y, w, h in boxes]
    fh, fw = image.shape[:2]
    if fh < WINDOW or fw < WINDOW:
        image = cv2.copyMakeBorder(
            image,
            0,
            max(0, WINDOW - fh),
            0,
            max(0, WINDOW - fw),
            cv2.BORDER_CONSTANT,
            value=(rng.randint(0, 255),) * 3,
        )
        fh, fw = image.shape[:2]
    if boxes and rng.random() < 0.8:  # centre the window near some plate most of the time
        x, y, w, h = rng.choice(boxes)
        x0 = int(np.clip(x + w / 2 - rng.uniform(0.15, 0.85) * WINDOW, 0, fw - WINDOW))
        y0 = int(np.clip(y + h / 2 - rng.uniform(0.15, 0.85) * WINDOW, 0, fh - WINDOW))
    else:
        x0, y0 = rng.randint(0, fw - WINDOW), rng.randint(0, fh - WINDOW)
    window = image[y0 : y0 + WINDOW, x0 : x0 + WINDOW]
    shifted = []
    for x, y, w, h in boxes:
        cx, cy = x + w / 2 - x0, y + h / 2 - y0
        if 0 <= cx < WINDOW and 0 <= cy < WINDOW:
            shifted.append((x - x0, y - y0, w, h))
    window = photometric(rng, window)
    return window, shifted


def photometric(rng: random.Random, image: np.ndarray) -> np.ndarray:
    values = image.astype(np.float32)
    values = values * rng.uniform(0.5, 1.4) + rng.uniform(-40, 40)
    if rng.random() < 0.2:
        gray = cv2.cvtColor(np.clip(values, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)
        values = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR).astype(np.float32)
    values += np.random.default_rng(rng.randint(0, 2**31)).normal(
        0, rng.uniform(0, 8), values.shape
    )
    out = np.clip(values, 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        _, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(30, 90)])
        out = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return out


def segmentation_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Pixel BCE plus soft Dice (the Dice term keeps small plates from being ignored)."""
    pred = pred.clamp(1e-5, 1 - 1e-5)
    bce = nn.functional.binary_cross_entropy(pred, target)
    inter = (pred * target).sum(dim=(1, 2, 3))
    dice = 1 - (2 * inter + 1) / (pred.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3)) + 1)
    return bce * 10 + dice.mean()


def export_onnx(model: PlateDetector, path: Path) -> None:
    export_checked(model, path, torch.rand(1, 3, 384, 640),
                   [torch.rand(1, 3, 384, 640), torch.rand(1, 3, 640, 480)],
                   ["image"], ["maps"],
                   {"image": {2: "height", 3: "width"}, "maps": {2: "out_height", 3: "out_width"}})


def sample_batch(
    rng: random.Random, frames: list, plates: list[np.ndarray], size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """`size` training windows (N x 3 x H x W, 0-1) and their plate-coverage targets."""
    windows, targets = [], []
    for _ in range(size):
        window, boxes = sample_window(rng, frames, plates)
        windows.append(window)
        targets.append(make_target(boxes, WINDOW))
    batch = torch.from_numpy(np.stack(windows).astype(np.float32).transpose(0, 3, 1, 2) / 255.0)
    return batch, torch.from_numpy(np.stack(targets))[:, None]


def train(args: argparse.Namespace) -> None:
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    rng = random.Random(args.seed)
    frames = load_frames()
    plates = load_plates(rng, args.synthetic_plates)
    print(f"{len(frames)} frames, {len(plates)} plates to paste")
    model = PlateDetector()
    if args.init and args.init.suffix == ".onnx":
        # A shipped model: its BatchNorms are re-measured on windows like the training ones.
        calibration, _ = sample_batch(rng, frames, plates, 48)
        load_onnx_weights(model, args.init, calibration)
        print(f"initialized from {args.init}")
    elif args.init:
        # Reuse whatever matches (e.g. the backbone of an earlier head design).
        own = model.state_dict()
        loaded = torch.load(args.init, map_location="cpu")
        matching = {k: v for k, v in loaded.items() if k in own and own[k].shape == v.shape}
        model.load_state_dict(matching, strict=False)
        print(f"initialized {len(matching)}/{len(own)} tensors from {args.init}")
    print(f"detector parameters: {count_parameters(model)}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    budget = Budget(optimizer, args.lr, args.steps, args.minutes)
    started = time.time()
    while budget.next():
        step = budget.step
        batch, target = sample_batch(rng, frames, plates, args.batch)
        loss = segmentation_loss(model(batch), target)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimizer.step()
        if step % args.log_every == 0:
            elapsed = time.time() - started
            print(f"step {step} loss {loss.item():.4f} {elapsed:.0f}s", flush=True)
            torch.save(model.state_dict(), args.out)
    torch.save(model.state_dict(), args.out)
    print(f"{budget.step - 1} steps")
    print(f"trained in {time.time() - started:.0f}s -> {args.out}")
    if args.onnx:
        export_onnx(model, args.onnx)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=25.0, help="wall-clock budget")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--synthetic-plates", type=int, default=300)
    parser.add_argument(
        "--init", type=Path, help="start from these weights (.pt, or a shipped .onnx model)"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--out", type=Path, default=Path(".cache/detector.pt"))
    parser.add_argument("--onnx", type=Path)
    train(parser.parse_args())


if __name__ == "__main__":
    main()
