"""python -m chalicelib.plate_index_cli build [--state FILE] [--restart] | check [--repair]

`build` indexes the reads already stored (a deployment that predates the plate index, or a
restore from backup), page by page with a progress bar. After each page it saves the key to
resume from in the state file, so an interrupted build continues where it stopped; it writes only
what is missing, so it is safe while the ingest runs and safe to run twice. `check` compares the
index with the reads table both ways and prints the counts of what disagrees (exit status 1 when
anything does); `check --repair` fixes it. Both scan the reads table: run them at a quiet hour.
Uses the deployment's environment (PLATEKEEPER_*; AWS_ENDPOINT_URL locally). Operators' tool:
it needs tqdm, which the Lambda package does not carry.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from chalicelib import bootstrap
from chalicelib.adapters.errors import StorageError
from chalicelib.services.index_migration import build_index, check_index
from chalicelib.services.plate_index import IndexWork

DEFAULT_STATE = Path("plate-index-build.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.plate_index_cli")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="index the reads already stored (resumable)")
    build.add_argument("--state", type=Path, default=DEFAULT_STATE,
                       help=f"where progress is kept (default {DEFAULT_STATE})")
    build.add_argument("--restart", action="store_true", help="ignore saved progress")
    check = commands.add_parser("check", help="do the index and the reads table agree?")
    check.add_argument("--repair", action="store_true", help="fix what disagrees")
    args = parser.parse_args(argv)
    try:
        return _build(args.state, args.restart) if args.command == "build" \
            else _check(args.repair)
    except StorageError as error:
        print(f"plate index: storage failed: {error} (run it again to continue)",
              file=sys.stderr)
        return 2


def _build(state_file: Path, restart: bool) -> int:
    container = bootstrap.container()
    state = {} if restart or not state_file.exists() else json.loads(state_file.read_text())
    if state.get("done"):
        print(f"plate index build: already done ({state['reads']} reads); --restart to redo")
        return 0
    done_reads = int(state.get("reads", 0))
    total = max(container.reads.approximate_count(), done_reads)
    with tqdm(total=total, initial=done_reads, unit="read", desc="indexing reads") as bar:
        def saved(count: int, work: IndexWork, resume: dict[str, Any] | None) -> None:
            nonlocal done_reads
            done_reads += count
            bar.update(count)
            _save(state_file, {"reads": done_reads, "resume": resume, "done": resume is None,
                               "items_written": int(state.get("items_written", 0))
                               + work.items_written})

        work = build_index(container.reads.scan_pages(state.get("resume")),
                           container.index_maintenance, saved)
    print(f"plate index build: {done_reads} reads, {work.markers_read} plate-months looked up, "
          f"{work.items_written} index items written in this run")
    return 0


def _check(repair: bool) -> int:
    container = bootstrap.container()
    total = container.reads.approximate_count()
    with tqdm(total=total, unit="read", desc="checking reads") as bar:
        report = check_index(container.reads.scan_pages(), container.plate_index,
                             container.index_maintenance, repair=repair, progress=bar.update)
    print(f"plate index check: {report.reads} reads in {report.plate_months} plate-months, "
          f"{report.index_items} index items; missing entries {report.entries_missing}, "
          f"unlisted alternative readings {report.alternatives_unlisted}, holds not matching "
          f"{report.holds_mismatched}, wrong expiry {report.expiry_wrong}, orphan items "
          f"{report.orphans}" + (f"; repaired ({report.repaired} items written or deleted)"
                                 if repair else ""))
    if report.agrees:
        print("plate index check: the index and the reads table agree")
        return 0
    return 0 if repair else 1


def _save(path: Path, state: dict[str, Any]) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(path)  # atomic: an interruption never leaves half a state file


if __name__ == "__main__":
    raise SystemExit(main())
