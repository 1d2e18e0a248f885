"""License-plate recognition: image bytes in, plate reads out.

The only package of the project that imports OpenCV. Networks are ONNX files run by cv2.dnn,
loaded once per process on first use.
"""

from chalicelib.recognition.pipeline import recognize
from chalicelib.recognition.results import (
    Candidate,
    InvalidImageError,
    PlateRead,
    RecognitionError,
    RecognitionResult,
)

__all__ = [
    "Candidate",
    "InvalidImageError",
    "PlateRead",
    "RecognitionError",
    "RecognitionResult",
    "recognize",
]
