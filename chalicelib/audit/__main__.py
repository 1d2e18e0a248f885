"""python -m chalicelib.audit verify | report --month YYYY-MM [--save DIR]

verify: check the hash chain and name the first broken link.
report: build, store and announce one month's audit report (what the 1st-of-month schedule does
for the previous month), print its findings and a five-minute link to the HTML; --save also
writes report.json and report.html into DIR.

Both read the deployment named by the environment (PLATEKEEPER_AUDIT_TABLE etc.;
AWS_ENDPOINT_URL for the local stack). Exit status: verify 0 = intact, 1 = broken; report 0 =
built; 2 = could not read or write what is needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chalicelib import bootstrap
from chalicelib.adapters.errors import StorageError
from chalicelib.domain.audit import verify_chain
from chalicelib.domain.monthly_audit import InvalidMonth
from chalicelib.services.monthly_audit import LINK_SECONDS, build_for_month
from chalicelib.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.audit")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="check the access record's hash chain")
    report = commands.add_parser("report", help="build one month's audit report now")
    report.add_argument("--month", required=True, help="YYYY-MM (UTC calendar month)")
    report.add_argument("--save", type=Path, default=None,
                        help="also write report.json and report.html into this folder")
    args = parser.parse_args(argv)
    if args.command == "verify":
        return verify()
    return build(args.month, args.save)


def verify() -> int:
    try:
        check = verify_chain(bootstrap.container().audit_log.records())
    except (SettingsError, StorageError) as error:
        print(f"audit verify: could not read the audit record: {error}", file=sys.stderr)
        return 2
    if check.intact:
        print(f"audit verify: chain intact, {check.records_checked} records checked")
        return 0
    print(f"audit verify: BROKEN at record {check.first_broken_seq}: {check.problem} "
          f"({check.records_checked} records before it are intact)")
    return 1


def build(month: str, save: Path | None) -> int:
    try:
        container = bootstrap.container()
        published = build_for_month(month, container.monthly_audit)
        store = container.report_store
        document = json.loads(store.get(published.json_key))
        link = store.presigned_get(published.html_key, LINK_SECONDS)
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            (save / "report.json").write_bytes(store.get(published.json_key))
            (save / "report.html").write_bytes(store.get(published.html_key))
    except InvalidMonth as error:
        print(f"audit report: {error}", file=sys.stderr)
        return 2
    except (SettingsError, StorageError, OSError) as error:
        print(f"audit report: could not build the report: {error}", file=sys.stderr)
        return 2
    print(f"audit report {published.month}: {published.findings} findings, "
          f"{document['summary']['data_accesses']} data accesses, "
          f"{document['summary']['refused_attempts']} refused attempts; "
          f"chain {'intact' if document['audit_chain']['intact'] else 'BROKEN'}")
    for finding in document["findings"]:
        print(f"  {finding['kind']}: {finding['subject']} - {finding['detail']}")
    print(f"stored: s3://{store.bucket}/{published.html_key} and {published.json_key} "
          f"(sha256 {published.sha256[:16]}...)")
    print(f"link (valid {LINK_SECONDS // 60} minutes): {link}")
    if save is not None:
        print(f"saved: {save / 'report.html'} and {save / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
