"""python -m chalicelib.evidence verify PACKAGE.zip: check every hash in the package's manifest.

Works offline on a downloaded package (no AWS access). Exit status 0 = every file matches its
manifest entry and every frame and crop the hash the ingest took when it was captured or made;
1 = a file was altered, is missing, was added or differs from its ingest-time hash (the stored
object was replaced after ingest), or the file is not a package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chalicelib.evidence.package import PackageInvalid, VerifyReport, verify_package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.evidence")
    parser.add_argument("command", choices=["verify"])
    parser.add_argument("package", type=Path, help="the evidence package (.zip)")
    args = parser.parse_args(argv)
    try:
        report = verify_package(args.package.read_bytes())
    except OSError as error:
        print(f"evidence verify: cannot read {args.package}: {error.strerror}", file=sys.stderr)
        return 1
    except PackageInvalid as error:
        print(f"evidence verify: NOT A VALID PACKAGE: {error}")
        return 1
    _print(report)
    return 0 if report.ok else 1


def _print(report: VerifyReport) -> None:
    label = f"case {report.case_number}, export {report.export_id}"
    if report.ok:
        print(f"evidence verify: intact ({label}), {report.checked} files match the manifest"
              + (" and their ingest-time hashes" if not report.unpinned else ""))
    else:
        print(f"evidence verify: FAILED ({label})")
    for title, names in (("altered", report.altered), ("missing", report.missing),
                         ("extra", report.extra),
                         ("replaced after ingest (differs from the hash taken at capture)",
                          report.replaced),
                         ("note: a later version was written in storage after ingest; the "
                          "package holds the ingest-time version", report.superseded),
                         ("note: no ingest-time hash recorded", report.unpinned)):
        for name in names:
            print(f"  {title}: {name}")


if __name__ == "__main__":
    raise SystemExit(main())
