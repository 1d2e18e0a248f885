"""The directory's seed file shipped with the code (chalicelib/static/california-agencies.csv)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalicelib.domain.agency_seed import SeedAgency, parse_seed

SEED_FILE = Path(__file__).resolve().parents[1] / "static" / "california-agencies.csv"


@cache
def load_seed(path: str = str(SEED_FILE)) -> tuple[SeedAgency, ...]:
    """The seed rows (read once per process; the file ships with the deployment)."""
    return tuple(parse_seed(Path(path).read_text(encoding="utf-8")))
