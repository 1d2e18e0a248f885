"""Command line: python -m chalicelib.recognition IMAGE [IMAGE ...]

Prints one JSON object per image per line:
{"image": PATH, "plates": [{"text", "confidence", "box": [x, y, w, h], "candidates": [...]}],
 "elapsed_ms"}
elapsed_ms covers decode plus recognition (model loading excluded). A bad image prints a line with
an "error" field; the exit status is 1 when any image failed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from chalicelib.recognition import RecognitionError, RecognitionResult, recognize
from chalicelib.recognition.networks import get_networks


def result_to_json(image: str, result: RecognitionResult, elapsed_ms: float) -> dict[str, object]:
    return {
        "image": image,
        "plates": [
            {
                "text": plate.text,
                "confidence": plate.confidence,
                "box": list(plate.box),
                "candidates": [
                    {"text": c.text, "confidence": c.confidence} for c in plate.candidates
                ],
            }
            for plate in result.plates
        ],
        "elapsed_ms": round(elapsed_ms, 1),
    }


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__, file=sys.stderr)
        return 2
    get_networks()  # load once up front so elapsed_ms measures recognition only
    failed = False
    for path in argv:
        try:
            data = Path(path).read_bytes()
            started = time.perf_counter()
            result = recognize(data)
            elapsed = (time.perf_counter() - started) * 1000
            print(json.dumps(result_to_json(path, result, elapsed)), flush=True)
        except (OSError, RecognitionError) as error:
            failed = True
            print(json.dumps({"image": path, "error": str(error)}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
