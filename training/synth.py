"""Synthetic US-style license plates for training the reader (and pasting into detector frames).

Usage: python -m training.synth --count 60000 --out .cache/synth.npz --seed 1

Each sample is a whole plate (with a random margin of surroundings, like a detector crop)
squashed to the reader input (32x128 grayscale), plus its text.
Rendering needs only PIL, OpenCV and numpy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from chalicelib.recognition.datasets import ALPHABET

READER_HEIGHT = 32
READER_WIDTH = 128
VARIANTS_PER_PLATE = 3

FONT_FILES = [
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Demi.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Bold.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Medium.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-CondBold.ttf",
    "/usr/share/fonts/truetype/croscore/Arimo-Bold.ttf",
    "/usr/share/fonts/truetype/croscore/Cousine-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationMono-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    "/usr/share/fonts/opentype/bebas-neue/BebasNeue-Regular.otf",
    "/usr/share/fonts/opentype/bebas-neue/BebasNeue-Bold.otf",
    "/usr/share/fonts/truetype/b612/B612-Bold.ttf",
    "/usr/share/fonts/truetype/b612/B612Mono-Bold.ttf",
]
SCRIPT_FONTS = [
    "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
    "/usr/share/fonts/opentype/urw-base35/C059-BdIta.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-BoldItalic.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Bold.otf",
]
STATES = [
    "CALIFORNIA",
    "TEXAS",
    "FLORIDA",
    "NEW YORK",
    "ILLINOIS",
    "OHIO",
    "GEORGIA",
    "ARIZONA",
    "MICHIGAN",
    "VIRGINIA",
    "NEVADA",
    "OREGON",
    "WASHINGTON",
    "COLORADO",
    "UTAH",
    "IDAHO",
    "MAINE",
    "KANSAS",
    "MISSOURI",
    "NEW JERSEY",
    "MARYLAND",
    "DELAWARE",
    "ALASKA",
    "IOWA",
    "Sunshine State",
    "Land of Lincoln",
    "Pennsylvania",
    "Tennessee",
    "Kentucky",
    "Indiana",
]
SLOGANS = [
    "DMV.CA.GOV",
    "THE LONE STAR STATE",
    "EMPIRE STATE",
    "GRAND CANYON STATE",
    "FAMOUS POTATOES",
    "Great Lakes",
    "Live Free or Die",
    "SHOW-ME STATE",
    "FIRST IN FLIGHT",
    "VIRGINIA IS FOR LOVERS",
    "Sunshine State",
    "IN GOD WE TRUST",
    "THE GREAT STATE",
    "",
    "",
    "",
]
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Shapes that real plates show and OCR confuses: sample them more often.
CONFUSABLE = "0O8B1I2Z5S6GDQUV"

_font_cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    key = (path, size)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(path, size)
    return _font_cache[key]


def available_fonts(paths: list[str]) -> list[str]:
    return [p for p in paths if Path(p).exists()]


def random_plate_text(rng: random.Random) -> tuple[str, list[int]]:
    """Return plate characters and the indices after which a gap (space/logo) is drawn."""
    patterns = [
        "DLLLDDD",
        "LLLDDDD",
        "LLLDDD",
        "DDDLLL",
        "LLDDDDD",
        "DLLDDD",
        "DDDDDD",
        "LLLLDDD",
        "DDLLLD",
        "LDDLLL",
        "DDDLDD",
        "LLDDLL",
    ]
    if rng.random() < 0.3:
        length = rng.randint(4, 8)
        pattern = "".join(rng.choice("LD") for _ in range(length))
    else:
        pattern = rng.choice(patterns)
    chars = []
    for kind in pattern:
        if rng.random() < 0.2:
            chars.append(rng.choice(CONFUSABLE))
        else:
            chars.append(rng.choice(DIGITS if kind == "D" else LETTERS))
    text = "".join(chars)
    gaps: list[int] = []
    if len(text) >= 5 and rng.random() < 0.6:
        gaps.append(rng.randint(1, len(text) - 2))
    return text, gaps


def _random_color(rng: random.Random, dark: bool) -> tuple[int, int, int]:
    if dark:
        base = [(20, 30, 120), (15, 15, 15), (120, 20, 20), (20, 80, 20), (60, 20, 90)]
        r, g, b = rng.choice(base)
    else:
        base = [
            (245, 245, 240),
            (250, 240, 200),
            (220, 235, 250),
            (240, 250, 240),
            (255, 220, 120),
            (200, 220, 240),
            (235, 235, 235),
        ]
        r, g, b = rng.choice(base)
    jitter = lambda v: int(np.clip(v + rng.randint(-25, 25), 0, 255))  # noqa: E731
    return jitter(r), jitter(g), jitter(b)


def _draw_background(
    rng: random.Random, width: int, height: int, bg: tuple[int, int, int]
) -> Image.Image:
    image = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(image)
    style = rng.random()
    if style < 0.35:  # gradient sky or band
        arr = np.array(image).astype(np.float32)
        tint = np.array(_random_color(rng, rng.random() < 0.3), dtype=np.float32)
        ramp = np.linspace(0, rng.uniform(0.3, 0.9), height)[:, None, None]
        if rng.random() < 0.5:
            ramp = ramp[::-1]
        arr = arr * (1 - ramp) + tint * ramp
        image = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
    elif style < 0.6:  # scenery shapes (mountains, waves, logos)
        for _ in range(rng.randint(1, 4)):
            color = _random_color(rng, rng.random() < 0.5)
            pts = [
                (rng.randint(0, width), rng.randint(height // 2, height))
                for _ in range(rng.randint(3, 6))
            ]
            draw.polygon(pts, fill=color)
    elif style < 0.7:
        for _ in range(rng.randint(1, 3)):
            cx, cy, r = rng.randint(0, width), rng.randint(0, height), rng.randint(10, height // 2)
            draw.ellipse(
                (cx - r, cy - r, cx + r, cy + r), fill=_random_color(rng, rng.random() < 0.5)
            )
    return image


def _draw_text_fitted(
    image: Image.Image,
    text: str,
    font_path: str,
    box: tuple[int, int, int, int],
    color: tuple[int, int, int],
    squeeze: float,
    stroke: int,
) -> None:
    """Render text, stretch it to the box height and `squeeze` of the box width, paste centred."""
    x0, y0, x1, y1 = box
    font = _font(font_path, 64)
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    w, h = max(1, right - left), max(1, bottom - top)
    layer = Image.new("L", (w + 4, h + 4), 0)
    ImageDraw.Draw(layer).text(
        (2 - left, 2 - top), text, font=font, fill=255, stroke_width=stroke, stroke_fill=255
    )
    target_h = max(1, y1 - y0)
    target_w = max(1, min(x1 - x0, int(w * target_h / h * squeeze)))
    layer = layer.resize((target_w, target_h), Image.Resampling.BILINEAR)
    ox = x0 + (x1 - x0 - target_w) // 2
    image.paste(Image.new("RGB", layer.size, color), (ox, y0), layer)


def _draw_main_text(
    rng: random.Random,
    image: Image.Image,
    text: str,
    gaps: list[int],
    box: tuple[int, int, int, int],
    color: tuple[int, int, int],
    font_path: str,
) -> None:
    x0, y0, x1, y1 = box
    squeeze = rng.uniform(0.65, 1.15)
    stroke = rng.choice([0, 0, 1, 2])
    groups: list[str] = []
    start = 0
    for gap in gaps:
        groups.append(text[start : gap + 1])
        start = gap + 1
    groups.append(text[start:])
    gap_w = int((x1 - x0) * rng.uniform(0.04, 0.12)) if len(groups) > 1 else 0
    total_chars = len(text)
    usable = (x1 - x0) - gap_w * (len(groups) - 1)
    x = x0
    draw = ImageDraw.Draw(image)
    for index, group in enumerate(groups):
        gw = int(usable * len(group) / total_chars)
        _draw_text_fitted(image, group, font_path, (x, y0, x + gw, y1), color, squeeze, stroke)
        x += gw
        if index < len(groups) - 1:
            mid = x + gap_w // 2
            cy = (y0 + y1) // 2
            style = rng.random()
            if style < 0.3:  # dash
                draw.rectangle((mid - gap_w // 4, cy - 2, mid + gap_w // 4, cy + 2), fill=color)
            elif style < 0.6:  # logo / heart / state shape
                r = max(3, gap_w // 2)
                draw.ellipse(
                    (mid - r, cy - r, mid + r, cy + r), fill=_random_color(rng, rng.random() < 0.5)
                )
            x += gap_w


def render_plate(
    rng: random.Random, fonts: list[str], script_fonts: list[str], header: str | None = None
) -> tuple[np.ndarray, str]:
    """Draw one flat plate (BGR, ~2:1) and return it with its text.

    `header` is drawn as the state name when given (the state classifier's synthetic layouts);
    without it a random one of STATES is drawn on 85% of plates (the reader's training data,
    whose random sequence is unchanged)."""
    width, height = 320, 160
    dark_bg = rng.random() < 0.15
    bg = _random_color(rng, dark_bg)
    fg = _random_color(rng, not dark_bg)
    image = _draw_background(rng, width, height, bg)
    draw = ImageDraw.Draw(image)
    text, gaps = random_plate_text(rng)
    label = text

    # Header (state name) and footer (slogan) in small or script type.
    header_font = rng.choice(script_fonts + fonts)
    if header is not None or rng.random() < 0.85:
        state = header if header is not None else rng.choice(STATES)
        hx = rng.randint(40, 110)
        _draw_text_fitted(
            image,
            state,
            header_font,
            (hx, rng.randint(6, 14), width - hx, rng.randint(34, 46)),
            _random_color(rng, True) if not dark_bg else _random_color(rng, False),
            1.0,
            0,
        )
    slogan = rng.choice(SLOGANS)
    if slogan:
        sx = rng.randint(40, 100)
        _draw_text_fitted(
            image,
            slogan,
            rng.choice(fonts + script_fonts),
            (sx, rng.randint(128, 136), width - sx, rng.randint(146, 154)),
            fg,
            1.0,
            0,
        )

    left, right = rng.randint(12, 40), width - rng.randint(12, 40)
    top, bottom = rng.randint(38, 52), rng.randint(112, 130)
    if rng.random() < 0.15 and len(text) >= 5:
        # Stacked characters at the left (two small letters one above the other).
        stacked = "".join(rng.choice(LETTERS + DIGITS) for _ in range(2))
        col_w = int((right - left) * 0.09)
        mid = (top + bottom) // 2
        _draw_text_fitted(
            image, stacked[0], rng.choice(fonts), (left, top, left + col_w, mid - 2), fg, 1.0, 0
        )
        _draw_text_fitted(
            image, stacked[1], rng.choice(fonts), (left, mid + 2, left + col_w, bottom), fg, 1.0, 0
        )
        left += col_w + 6
        label = stacked + text
    _draw_main_text(rng, image, text, gaps, (left, top, right, bottom), fg, rng.choice(fonts))

    # Stickers in the corners (month/year), bolts, border.
    for _ in range(rng.randint(0, 2)):
        sw, sh = rng.randint(22, 40), rng.randint(16, 28)
        sx = rng.choice([rng.randint(4, 30), width - sw - rng.randint(4, 30)])
        sy = rng.choice([rng.randint(4, 20), height - sh - rng.randint(4, 20)])
        draw.rectangle((sx, sy, sx + sw, sy + sh), fill=_random_color(rng, rng.random() < 0.5))
        draw.text((sx + 3, sy + 2), str(rng.randint(1, 99)), fill=(0, 0, 0))
    if rng.random() < 0.7:
        for bx in (rng.randint(60, 90), width - rng.randint(60, 90)):
            by = rng.randint(14, 24)
            r = rng.randint(4, 7)
            draw.ellipse((bx - r, by - r, bx + r, by + r), fill=(rng.randint(90, 200),) * 3)
    if rng.random() < 0.6:
        draw.rounded_rectangle(
            (1, 1, width - 2, height - 2),
            radius=rng.randint(4, 16),
            outline=_random_color(rng, True),
            width=rng.randint(1, 5),
        )
    bgr = cv2.cvtColor(np.array(image), cv2.COLOR_RGB2BGR)
    if rng.random() < 0.35:
        bgr = _add_license_frame(rng, bgr, fonts)
    return bgr, label


def _add_license_frame(rng: random.Random, plate: np.ndarray, fonts: list[str]) -> np.ndarray:
    """Dealer frame: a dark or chrome border, often with text above or below the plate."""
    h, w = plate.shape[:2]
    top, bottom = rng.randint(3, 18), rng.randint(3, 30)
    side = rng.randint(3, 12)
    color = (rng.randint(0, 60),) * 3 if rng.random() < 0.7 else (rng.randint(150, 230),) * 3
    framed = cv2.copyMakeBorder(plate, top, bottom, side, side, cv2.BORDER_CONSTANT, value=color)
    if bottom > 14 and rng.random() < 0.7:
        pil = Image.fromarray(framed)
        words = rng.choice(
            ["AUTO GROUP", "MOTORS", "HONDA OF CITY", "TOYOTA", "FORD", "SUNTRUP", "DEALER"]
        )
        text_color = (230, 230, 230) if color[0] < 128 else (20, 20, 20)
        _draw_text_fitted(
            pil,
            words,
            rng.choice(fonts),
            (side + 30, h + top + 2, w + side - 30, h + top + bottom - 2),
            text_color,
            1.0,
            0,
        )
        framed = np.array(pil)
    return framed


def _place_in_scene(rng: random.Random, plate: np.ndarray) -> np.ndarray:
    """Warp the plate onto a car-like background; crop around it as a detector would."""
    plate = cv2.resize(
        plate, (plate.shape[1] // 2, plate.shape[0] // 2), interpolation=cv2.INTER_AREA
    )
    ph, pw = plate.shape[:2]
    canvas_w, canvas_h = int(pw * 1.6), int(ph * 1.9)
    base = np.array(_random_color(rng, rng.random() < 0.6), np.float32)
    coarse = np.random.default_rng(rng.randint(0, 2**31)).normal(
        0, rng.uniform(2, 30), (canvas_h // 8, canvas_w // 8, 3)
    )
    texture = cv2.resize(
        coarse.astype(np.float32), (canvas_w, canvas_h), interpolation=cv2.INTER_LINEAR
    )
    scene = np.clip(texture + base, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:  # bumper edges / grille lines
        for _ in range(rng.randint(1, 5)):
            y = rng.randint(0, canvas_h - 1)
            cv2.line(
                scene,
                (0, y),
                (canvas_w, y + rng.randint(-10, 10)),
                (rng.randint(0, 255),) * 3,
                rng.randint(1, 4),
            )
    ox, oy = (canvas_w - pw) // 2, (canvas_h - ph) // 2
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    jitter = 0.08 * pw
    dst = np.float32(
        [
            [ox + rng.uniform(-jitter, jitter), oy + rng.uniform(-jitter, jitter) * 0.6],
            [ox + pw + rng.uniform(-jitter, jitter), oy + rng.uniform(-jitter, jitter) * 0.6],
            [ox + pw + rng.uniform(-jitter, jitter), oy + ph + rng.uniform(-jitter, jitter) * 0.6],
            [ox + rng.uniform(-jitter, jitter), oy + ph + rng.uniform(-jitter, jitter) * 0.6],
        ]
    )
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(
        plate, matrix, (canvas_w, canvas_h), borderMode=cv2.BORDER_TRANSPARENT, dst=scene
    )
    xs, ys = dst[:, 0], dst[:, 1]
    bx0, bx1, by0, by1 = xs.min(), xs.max(), ys.min(), ys.max()
    bw, bh = bx1 - bx0, by1 - by0
    # Crop like a jittered detector box: margins from slightly inside to generously outside.
    mx0, mx1 = rng.uniform(-0.04, 0.12) * bw, rng.uniform(-0.04, 0.12) * bw
    my0, my1 = rng.uniform(-0.06, 0.25) * bh, rng.uniform(-0.06, 0.25) * bh
    x0, x1 = int(max(0, bx0 - mx0)), int(min(canvas_w, bx1 + mx1))
    y0, y1 = int(max(0, by0 - my0)), int(min(canvas_h, by1 + my1))
    return warped[y0:y1, x0:x1]


def degrade(rng: random.Random, crop: np.ndarray) -> np.ndarray:
    """Camera effects: low resolution, blur, glare, night/IR, noise, JPEG. Returns BGR."""
    h, w = crop.shape[:2]
    # Real plates in frames are 15-60 px tall: shrink first (effects then run on few pixels).
    target_h = rng.choice([rng.uniform(16, 30), rng.uniform(24, 60), rng.uniform(40, 80)])
    scale = min(1.0, target_h / h)
    out = cv2.resize(
        crop, (max(8, int(w * scale)), max(6, int(h * scale))), interpolation=cv2.INTER_AREA
    )
    h, w = out.shape[:2]
    if rng.random() < 0.3:  # glare
        overlay = np.zeros((h, w), dtype=np.float32)
        center = (rng.randint(0, w), rng.randint(0, h))
        axes = (rng.randint(w // 8 + 1, w // 2 + 2), rng.randint(h // 8 + 1, h // 2 + 2))
        cv2.ellipse(overlay, center, axes, rng.uniform(0, 180), 0, 360, 255.0, -1)
        overlay = cv2.blur(overlay, (max(3, axes[0] // 2), max(3, axes[1] // 2)))
        out = np.clip(
            out.astype(np.float32) + overlay[..., None] * rng.uniform(0.15, 0.55), 0, 255
        ).astype(np.uint8)
    if rng.random() < 0.4:  # shadow
        overlay = np.ones((h, w), np.float32)
        overlay[:, : rng.randint(0, w)] = rng.uniform(0.4, 0.8)
        out = (out.astype(np.float32) * overlay[..., None]).astype(np.uint8)
    if rng.random() < 0.4:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.0))
    if rng.random() < 0.15:  # motion blur
        k = rng.randint(3, 5)
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        out = cv2.filter2D(out, -1, kernel)
    gray = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY).astype(np.float32)
    look = rng.random()
    if look < 0.12:  # IR: plate bright, text dark, strong contrast
        gray = np.clip((gray - gray.mean()) * rng.uniform(1.5, 2.5) + rng.uniform(120, 200), 0, 255)
    elif look < 0.25:  # night: dark and noisy
        gray = gray * rng.uniform(0.2, 0.5)
    elif look < 0.35:  # inverted polarity is rare but seen on dark plates
        gray = 255 - gray if rng.random() < 0.3 else gray
    gray = gray * rng.uniform(0.6, 1.3) + rng.uniform(-40, 40)
    gray = gray + np.random.default_rng(rng.randint(0, 2**31)).normal(
        0, rng.uniform(0, 10), gray.shape
    )
    gray_u8 = np.clip(gray, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, enc = cv2.imencode(".jpg", gray_u8, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(35, 90)])
        if ok:
            gray_u8 = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    return cv2.cvtColor(gray_u8, cv2.COLOR_GRAY2BGR)


def to_reader_input(bgr_or_gray: np.ndarray) -> np.ndarray:
    """Squash a crop to the reader's 32x128 grayscale (as the runtime does)."""
    gray = bgr_or_gray if bgr_or_gray.ndim == 2 else cv2.cvtColor(bgr_or_gray, cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (READER_WIDTH, READER_HEIGHT), interpolation=cv2.INTER_AREA)


def synth_sample(
    rng: random.Random, fonts: list[str], script_fonts: list[str]
) -> tuple[np.ndarray, str]:
    plate, text = render_plate(rng, fonts, script_fonts)
    crop = _place_in_scene(rng, plate)
    return to_reader_input(degrade(rng, crop)), text


def _worker(args: tuple[int, int]) -> tuple[np.ndarray, list[str]]:
    seed, count = args
    rng = random.Random(seed)
    cv2.setNumThreads(1)
    fonts = available_fonts(FONT_FILES)
    script_fonts = available_fonts(SCRIPT_FONTS) or fonts
    images = np.empty((count, READER_HEIGHT, READER_WIDTH), np.uint8)
    texts: list[str] = []
    plate, text = render_plate(rng, fonts, script_fonts)
    for index in range(count):
        # Each rendered plate is reused for a few camera looks: rendering dominates the cost.
        if index % VARIANTS_PER_PLATE == 0:
            plate, text = render_plate(rng, fonts, script_fonts)
        images[index] = to_reader_input(degrade(rng, _place_in_scene(rng, plate)))
        texts.append(text)
    return images, texts


def generate(count: int, seed: int, workers: int) -> tuple[np.ndarray, list[str]]:
    chunk = 2000
    jobs = [
        (seed * 100003 + i, min(chunk, count - i * chunk))
        for i in range((count + chunk - 1) // chunk)
    ]
    with multiprocessing.Pool(workers) as pool:
        parts = pool.map(_worker, jobs)
    images = np.concatenate([p[0] for p in parts])
    texts = [t for p in parts for t in p[1]]
    if any(ch not in ALPHABET for t in texts for ch in t):
        raise ValueError("synthetic text outside the alphabet")
    return images, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=60000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(".cache/synth.npz"))
    parser.add_argument("--preview", type=Path, help="write a PNG grid of the first 32 samples")
    args = parser.parse_args()
    started = time.time()
    images, texts = generate(args.count, args.seed, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, images=images, texts=np.array(texts))
    print(f"wrote {len(texts)} plates to {args.out} in {time.time() - started:.0f}s")
    if args.preview:
        grid = np.vstack(
            [np.hstack(list(images[r * 4 : (r + 1) * 4])) for r in range(min(8, len(images) // 4))]
        )
        cv2.imwrite(str(args.preview), grid)
        print(" ".join(texts[:32]))


if __name__ == "__main__":
    main()
