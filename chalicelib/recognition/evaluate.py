"""Score the engine on openalpr/benchmarks folders, on one thread by default.

Usage: python -m chalicelib.recognition.evaluate DIR [DIR ...] [--threads 1] [--json OUT.json]

A folder with labels.csv is a crops folder: each crop is read whole (detection skipped) and the
held-out part of the fixed split (datasets.is_held_out) is reported separately. Any other folder is
an end-to-end folder of NAME.txt files (image, x, y, w, h, plate):
- top-1 exact: a plate returned for the frame has the labeled text as its top reading;
- top-10: the labeled text is among the candidates of a returned plate;
- plate found: a returned box overlaps the labeled box with IoU >= 0.3.
Precision (end-to-end folders): reads per frame, and reads away from the labeled plate (IoU < 0.3
with its box), split into likely other vehicles' plates and non-plates by
plausibility.looks_like_standard_plate (5-8 characters with a digit, no run of three, three or
more different symbols, plate-shaped box); every figure also without the plate screen
(plausibility.screen; "without" = readings of probability >= 0.001, as before it), so the
screen's cost in top-1 is shown beside what it removes.
ms/image is decode plus recognition of the image bytes (file reading and model loading excluded),
as wall-clock time and as this process's CPU time (the latter barely moves when other work shares
the machine, the former does).
Cold start is measured in a fresh interpreter: import plus model load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2

from chalicelib.recognition import recognize
from chalicelib.recognition.datasets import (
    is_crops_folder,
    is_held_out,
    load_crop_labels,
    load_frame_labels,
)
from chalicelib.recognition.decoding import decode_image
from chalicelib.recognition.detector import iou
from chalicelib.recognition.networks import get_networks
from chalicelib.recognition.plausibility import looks_like_standard_plate
from chalicelib.recognition.reader import read
from chalicelib.recognition.results import PlateRead
from chalicelib.recognition.state import classify_states

FOUND_IOU = 0.3
# "Without the screen" means the pipeline before it: every reading of probability >= 0.001.
UNSCREENED_FLOOR = 0.001


@dataclass
class Score:
    name: str
    images: int
    top1: float
    top10: float
    found: float | None
    median_ms: float
    p90_ms: float
    median_cpu_ms: float


@dataclass
class Outcome:
    top1: bool
    top10: bool
    found: bool
    ms: float
    cpu_ms: float
    expected: str
    got: str
    reads: int = 1
    away_plates: int = 0
    away_other: int = 0
    top1_unscreened: bool = False
    reads_unscreened: int = 1
    away_unscreened: int = 0
    state_expected: str = ""
    state_got: str | None = None


@dataclass
class StateScore:
    name: str
    crops: int
    answered: float
    top1_answered: float
    top1_all: float


@dataclass
class Precision:
    name: str
    frames: int
    reads_per_frame: float
    away: int
    away_likely_plates: int
    away_non_plates: int
    reads_per_frame_unscreened: float
    away_unscreened: int
    top1_frames: int
    top1_frames_unscreened: int


def _away(plates: list[PlateRead], box: tuple[int, int, int, int]) -> list[PlateRead]:
    return [p for p in plates if iou(p.box, box) < FOUND_IOU]


def _unique_texts(plates: list[PlateRead]) -> list[PlateRead]:
    unique: dict[str, PlateRead] = {}
    for plate in plates:
        unique.setdefault(plate.text, plate)
    return list(unique.values())


def evaluate_frames(folder: Path) -> list[Outcome]:
    outcomes = []
    for label in load_frame_labels(folder):
        data = label.image.read_bytes()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = recognize(data)
        ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
        kept = list(result.plates)
        unscreened = _unique_texts(
            sorted(kept + [s.plate for s in result.screened_out
                           if s.plate.confidence >= UNSCREENED_FLOOR],
                   key=lambda p: -p.confidence)
        )
        away = _away(kept, label.box)
        outcomes.append(
            Outcome(
                top1=any(p.text == label.plate for p in kept),
                top10=any(c.text == label.plate for p in kept for c in p.candidates),
                found=any(iou(p.box, label.box) >= FOUND_IOU for p in kept),
                ms=ms,
                cpu_ms=cpu_ms,
                expected=label.plate,
                got=" ".join(p.text for p in kept),
                reads=len(kept),
                away_plates=len(away),
                away_other=sum(
                    looks_like_standard_plate(p.text, p.box[2] / p.box[3]) for p in away
                ),
                top1_unscreened=any(p.text == label.plate for p in unscreened),
                reads_unscreened=len(unscreened),
                away_unscreened=len(_away(unscreened, label.box)),
            )
        )
    return outcomes


def precision(name: str, outcomes: list[Outcome]) -> Precision:
    count = max(1, len(outcomes))
    away_other = sum(o.away_other for o in outcomes)
    away = sum(o.away_plates for o in outcomes)
    return Precision(
        name=name,
        frames=len(outcomes),
        reads_per_frame=sum(o.reads for o in outcomes) / count,
        away=away,
        away_likely_plates=away_other,
        away_non_plates=away - away_other,
        reads_per_frame_unscreened=sum(o.reads_unscreened for o in outcomes) / count,
        away_unscreened=sum(o.away_unscreened for o in outcomes),
        top1_frames=sum(o.top1 for o in outcomes),
        top1_frames_unscreened=sum(o.top1_unscreened for o in outcomes),
    )


def precision_table(rows: list[Precision]) -> str:
    lines = [
        "| set | frames | reads/frame | away from labeled plate | likely other plates "
        "| non-plates | without screen: reads/frame, away | top-1 frames (without screen) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.frames} | {r.reads_per_frame:.2f} | {r.away} | "
            f"{r.away_likely_plates} | {r.away_non_plates} | "
            f"{r.reads_per_frame_unscreened:.2f}, {r.away_unscreened} | "
            f"{r.top1_frames} ({r.top1_frames_unscreened}) |"
        )
    return "\n".join(lines)


def evaluate_crops(folder: Path) -> tuple[list[Outcome], list[Outcome]]:
    """Read each crop whole; returns (all outcomes, held-out outcomes)."""
    networks = get_networks()
    everything, held_out = [], []
    for label in load_crop_labels(folder):
        data = label.image.read_bytes()
        started, cpu_started = time.perf_counter(), time.process_time()
        image = decode_image(data)
        readings = read(networks, cv2.cvtColor(image.pixels, cv2.COLOR_BGR2GRAY))
        ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
        texts = [text for text, _ in readings]
        (state, _), = classify_states(networks, [image.pixels])
        outcome = Outcome(
            top1=bool(texts) and texts[0] == label.plate,
            top10=label.plate in texts,
            found=True,
            ms=ms,
            cpu_ms=cpu_ms,
            expected=label.plate,
            got=texts[0] if texts else "",
            state_expected=label.state.upper(),
            state_got=state,
        )
        everything.append(outcome)
        if is_held_out(label.image.name):
            held_out.append(outcome)
    return everything, held_out


def state_score(name: str, outcomes: list[Outcome]) -> StateScore:
    """The state classifier on crops: how often it answers, and how often it is right then."""
    answered = [o for o in outcomes if o.state_got is not None]
    right = sum(o.state_got == o.state_expected for o in answered)
    return StateScore(name=name, crops=len(outcomes),
                      answered=len(answered) / max(1, len(outcomes)),
                      top1_answered=right / max(1, len(answered)),
                      top1_all=right / max(1, len(outcomes)))


def summarize(name: str, outcomes: list[Outcome], with_found: bool) -> Score:
    count = max(1, len(outcomes))
    times = sorted(o.ms for o in outcomes) or [0.0]
    return Score(
        name=name,
        images=len(outcomes),
        top1=sum(o.top1 for o in outcomes) / count,
        top10=sum(o.top10 for o in outcomes) / count,
        found=sum(o.found for o in outcomes) / count if with_found else None,
        median_ms=statistics.median(times),
        p90_ms=times[min(len(times) - 1, round(0.9 * (len(times) - 1)))],
        median_cpu_ms=statistics.median([o.cpu_ms for o in outcomes] or [0.0]),
    )


def measure_cold_start() -> float:
    """Seconds for import + model load in a fresh interpreter."""
    code = (
        "import time; t = time.perf_counter(); import chalicelib.recognition; "
        "from chalicelib.recognition.networks import get_networks; get_networks(); "
        "print(time.perf_counter() - t)"
    )
    root = Path(__file__).resolve().parents[2]
    output = subprocess.run(  # noqa: S603 - fixed code, our own interpreter
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return float(output.stdout.strip())


def markdown_table(scores: list[Score]) -> str:
    lines = [
        "| set | images | top-1 exact | GT in top-10 | plate found (IoU>=0.3) "
        "| median ms | p90 ms | median CPU ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        found = f"{s.found:.1%}" if s.found is not None else "- (crops)"
        lines.append(
            f"| {s.name} | {s.images} | {s.top1:.1%} | {s.top10:.1%} | {found} | "
            f"{s.median_ms:.1f} | {s.p90_ms:.1f} | {s.median_cpu_ms:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument(
        "--threads", type=int, default=1, help="OpenCV threads (targets are for one core)"
    )
    parser.add_argument(
        "--json", type=Path, help="also write scores and per-image misses to this file"
    )
    parser.add_argument("--misses", action="store_true", help="print the misreads")
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.threads)
    cold_start = measure_cold_start()
    get_networks()
    scores: list[Score] = []
    precisions: list[Precision] = []
    states: list[StateScore] = []
    misses: dict[str, list[dict[str, object]]] = {}
    for folder in args.folders:
        if not folder.is_dir():
            print(f"not a folder: {folder}", file=sys.stderr)
            return 2
        name = folder.resolve().name
        if is_crops_folder(folder):
            everything, held_out = evaluate_crops(folder)
            scores.append(summarize(f"{name} (all, crop read whole)", everything, with_found=False))
            scores.append(summarize(f"{name} (held-out split)", held_out, with_found=False))
            states.append(state_score(f"{name} (held-out split)", held_out))
            outcomes = everything
        else:
            outcomes = evaluate_frames(folder)
            scores.append(summarize(name, outcomes, with_found=True))
            precisions.append(precision(name, outcomes))
        misses[name] = [asdict(o) for o in outcomes if not o.top1]
        if args.misses:
            for miss in misses[name]:
                print(
                    f"{name}: expected {miss['expected']} got {miss['got'] or '-'}", file=sys.stderr
                )
    print(markdown_table(scores))
    if precisions:
        print("\nPrecision (reads are what passes the plate screen; see plausibility.py):")
        print(precision_table(precisions))
    for state in states:
        print(f"\nState ({state.name}, {state.crops} crops): answers {state.answered:.1%}, "
              f"top-1 where it answers {state.top1_answered:.1%} "
              f"({state.top1_all:.1%} of all crops)")
    print(
        f"\ncold start (import + model load, fresh interpreter): {cold_start:.2f} s; "
        f"OpenCV threads: {args.threads}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "scores": [asdict(s) for s in scores],
                    "precision": [asdict(p) for p in precisions],
                    "state": [asdict(s) for s in states],
                    "cold_start_s": cold_start,
                    "threads": args.threads,
                    "misses": misses,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
