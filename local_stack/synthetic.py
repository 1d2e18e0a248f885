"""Synthetic camera frames with known plates, for the demo and the end-to-end tests.

Generated here so that no real image (../shared/data) is ever copied into the repository.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def render_plate(text: str, width: int = 240) -> Image.Image:
    """A plain white US-style plate: dark border, state name on top, big dark characters."""
    height = width // 2
    plate = Image.new("RGB", (width, height), (236, 238, 240))
    draw = ImageDraw.Draw(plate)
    draw.rounded_rectangle((2, 2, width - 3, height - 3), radius=8, outline=(40, 40, 60), width=3)
    draw.text((width // 2, height // 9), "CALIFORNIA", font=font(height // 7),
              fill=(170, 30, 40), anchor="mt")
    layer = Image.new("L", plate.size, 0)
    ImageDraw.Draw(layer).text((width // 2, int(height * 0.56)), text,
                               font=font(int(height * 0.5)), fill=255, anchor="mm")
    bbox = layer.getbbox() or (0, 0, width, height)
    glyphs = layer.crop(bbox).resize((int(width * 0.84), int(height * 0.5)))
    plate.paste(Image.new("RGB", glyphs.size, (25, 30, 80)),
                (int(width * 0.08), int(height * 0.27)), glyphs)
    return plate


def render_frame(text: str, size: tuple[int, int] = (1280, 720),
                 plate_width: int = 180) -> Image.Image:
    """A car-rear-like scene (body, bumper, lights) with one plate in it."""
    width, height = size
    frame = Image.new("RGB", size, (96, 100, 104))
    draw = ImageDraw.Draw(frame)
    body = (width // 5, height // 4, width * 4 // 5, height * 7 // 8)
    draw.rectangle(body, fill=(120, 24, 30))
    draw.rectangle((body[0], height * 3 // 4, body[2], height * 7 // 8), fill=(30, 30, 32))
    lights = height // 3, height // 3 + height // 12
    draw.rectangle((body[0] + 20, lights[0], body[0] + width // 10, lights[1]),
                   fill=(220, 60, 40))
    draw.rectangle((body[2] - width // 10, lights[0], body[2] - 20, lights[1]),
                   fill=(220, 60, 40))
    plate = render_plate(text, width=plate_width)
    frame.paste(plate, ((width - plate.width) // 2, height * 3 // 5 - plate.height // 2))
    return frame


def frame_jpeg(text: str, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    render_frame(text).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def blank_jpeg() -> bytes:
    """A frame with no plate in it (an empty road)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1280, 720), (92, 96, 100)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
