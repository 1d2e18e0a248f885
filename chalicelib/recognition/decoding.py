"""Validate and decode image bytes into a BGR array; reject anything but a sound JPEG/PNG."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from chalicelib.recognition.results import InvalidImageError

MAX_BYTES = 40 * 1024 * 1024
MIN_SIDE = 32
MAX_SIDE = 10_000
MAX_PIXELS = 60_000_000
# Decode large JPEGs at reduced size (libjpeg scales during the DCT, which is much faster);
# plates stay large enough to read.
REDUCE_ABOVE = 2600

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXIF_ORIENTATION = 274
ORIENTATIONS_SWAPPING_AXES = {5, 6, 7, 8}


@dataclass(frozen=True)
class DecodedImage:
    """Pixels as decoded (possibly reduced) plus the factor back to the original pixel grid."""

    pixels: np.ndarray
    width: int
    height: int
    scale: float  # original pixels per decoded pixel


def decode_image(data: bytes) -> DecodedImage:
    """Decode JPEG/PNG bytes; raise InvalidImageError with a clear message for anything unusable."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidImageError(f"expected image bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise InvalidImageError("image is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise InvalidImageError(f"image is too large ({len(data)} bytes, limit {MAX_BYTES})")
    image_format = _sniff_format(data)
    _check_complete(data, image_format)
    width, height = _header_size(data)
    if min(width, height) < MIN_SIDE:
        raise InvalidImageError(
            f"image is too small ({width}x{height}, minimum side {MIN_SIDE} px)"
        )
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise InvalidImageError(
            f"image is too large ({width}x{height}, limit {MAX_SIDE} px a side)"
        )
    reduce = 2 if image_format == "jpeg" and max(width, height) > REDUCE_ABOVE else 1
    flags = cv2.IMREAD_REDUCED_COLOR_2 if reduce == 2 else cv2.IMREAD_COLOR
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if pixels is None or pixels.size == 0:
        raise InvalidImageError(f"{image_format.upper()} data could not be decoded (corrupt image)")
    decoded_w = pixels.shape[1]
    return DecodedImage(pixels, width, height, scale=width / decoded_w if decoded_w else 1.0)


def _sniff_format(data: bytes) -> str:
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    raise InvalidImageError("not a JPEG or PNG image (unrecognized file signature)")


def _check_complete(data: bytes, image_format: str) -> None:
    """Truncated files decode to half-grey images without an error, so look for the end markers."""
    tail = data[-4096:]
    if image_format == "jpeg" and b"\xff\xd9" not in tail:
        raise InvalidImageError("JPEG data is truncated (no end-of-image marker)")
    if image_format == "png" and b"IEND" not in data[-64:]:
        raise InvalidImageError("PNG data is truncated (no IEND chunk)")


def _header_size(data: bytes) -> tuple[int, int]:
    """Display size (after EXIF rotation, as cv2.imdecode applies it) read from the header only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as header:
                width, height = header.size
                orientation = (
                    header.getexif().get(EXIF_ORIENTATION, 1) if header.format == "JPEG" else 1
                )
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidImageError(f"image header is corrupt: {error}") from error
    if orientation in ORIENTATIONS_SWAPPING_AXES:
        width, height = height, width
    return int(width), int(height)
