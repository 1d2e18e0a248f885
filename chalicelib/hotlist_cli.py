"""python -m chalicelib.hotlist_cli import FILE --list NAME --approved-by USER [...]

Imports an NCIC, CLEW or comma-separated hotlist file into the hotlist table with a progress
bar (large NCIC extracts run to hundreds of thousands of lines). The immigration-violator
category is filtered out; a CLEW file whose footer count does not match is refused whole.
Uses the deployment's environment (PLATEKEEPER_HOTLIST_TABLE; AWS_ENDPOINT_URL locally).
Operators' tool: it needs tqdm, which the Lambda package does not carry.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from chalicelib import bootstrap
from chalicelib.adapters.errors import StorageError
from chalicelib.domain.hotlist_import import HotlistFileError, import_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.hotlist_cli")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("import", help="import a hotlist file")
    command.add_argument("file", type=Path)
    command.add_argument("--list", dest="list_name", required=True)
    command.add_argument("--format", choices=["ncic", "clew", "csv"], default=None)
    command.add_argument("--requested-by", default="")
    command.add_argument("--approved-by", default="")
    args = parser.parse_args(argv)
    container = bootstrap.container()
    total = sum(1 for _ in args.file.open(encoding="latin-1"))
    try:
        with tqdm(total=total, unit="line", desc=f"reading {args.file.name}") as bar:
            result = import_file(args.file, args.list_name, container.clock(), bar.update,
                                 file_format=args.format, added_by=args.requested_by,
                                 approved_by=args.approved_by)
        stored = container.hotlist.put_many(
            tqdm(result.entries, unit="entry", desc="storing"))
    except HotlistFileError as error:
        print(f"hotlist import: refused: {error}", file=sys.stderr)
        return 1
    except StorageError as error:
        print(f"hotlist import: storage failed: {error}", file=sys.stderr)
        return 2
    report = result.report
    print(f"hotlist import: {report.list_name} ({report.file_format}): {report.total_lines} "
          f"lines, {stored} entries stored, {report.filtered_immigration} immigration records "
          f"filtered out, {report.skipped} skipped {dict(report.skipped_by_reason)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
