"""Adapts the recognition engine to the ingest use case's Recognizer shape."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.recognition import InvalidImageError, recognize
from chalicelib.services.ingest import PlateFound, UnreadableImage


def recognize_plates(data: bytes) -> Sequence[PlateFound]:
    """Plates in an image, with crops; a corrupt image becomes UnreadableImage."""
    try:
        result = recognize(data, with_crops=True)
    except InvalidImageError as error:
        raise UnreadableImage(str(error)) from error
    return [PlateFound(plate.text, plate.confidence,
                       tuple((candidate.text, candidate.confidence)
                             for candidate in plate.candidates),
                       plate.box, plate.crop_jpeg, plate.state, plate.state_confidence)
            for plate in result.plates]
