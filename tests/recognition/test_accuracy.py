"""Accuracy regression test on openalpr-us-dev (81 US frames; never used for training).

Floors sit a little below the figures measured when the models were committed (see
chalicelib/recognition/MODEL_CARD.md); a drop below them means a regression. Not a timing test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.recognition.evaluate import (
    evaluate_crops,
    evaluate_frames,
    precision,
    summarize,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
US_DEV = DATA / "openalpr-us-dev"

TOP1_FLOOR = 0.74  # measured 0.790 (64/81)
TOP10_FLOOR = 0.88  # measured 0.938
FOUND_FLOOR = 0.94  # measured 0.975 (the one box screened out read FFWNT at p=0.001)
# Precision: reads away from the labeled plate, over all 81 frames (issue target: at most 10;
# measured 4, 3 of them other vehicles' plates) and the top-1 frames the screen may cost (1).
AWAY_CEILING = 10
SCREEN_TOP1_COST = 1


@pytest.mark.skipif(not US_DEV.is_dir(), reason=f"benchmark data not found at {US_DEV}")
def test_us_dev_accuracy_does_not_regress() -> None:
    outcomes = evaluate_frames(US_DEV)
    score = summarize("openalpr-us-dev", outcomes, with_found=True)
    assert score.images == 81
    screened = precision("openalpr-us-dev", outcomes)
    assert screened.away <= AWAY_CEILING
    assert screened.top1_frames_unscreened - screened.top1_frames <= SCREEN_TOP1_COST
    assert score.found is not None and score.found >= FOUND_FLOOR
    assert score.top10 >= TOP10_FLOOR
    assert score.top1 >= TOP1_FLOOR


US_CROPS = DATA / "openalpr-us-crops"
HELD_OUT_CROPS_FLOOR = 0.85  # measured 0.892 (222/249) on the crops no training run has seen


@pytest.mark.skipif(not US_CROPS.is_dir(), reason=f"benchmark data not found at {US_CROPS}")
def test_held_out_crops_accuracy_does_not_regress() -> None:
    _, held_out = evaluate_crops(US_CROPS)
    score = summarize("held-out crops", held_out, with_found=False)
    assert score.images == 249
    assert score.top1 >= HELD_OUT_CROPS_FLOOR
