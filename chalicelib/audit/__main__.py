"""python -m chalicelib.audit verify [--public-key PEM] | public-key | report --month YYYY-MM

verify: check the hash chain end to end and against every signed checkpoint: each checkpoint's
signature (against the checkpoint key's public key), that the chain reproduces the hash each one
signed (a chain recomputed after an edit fails at the first checkpoint after the edit) and that
the chain still reaches the newest one (a cut tail fails); name the records written since the
newest checkpoint, the only part not yet anchored. --public-key checks against a PEM key you
hold (e.g. one published by the agency) instead of the one KMS reports.
public-key: print the checkpoint key's public key (PEM) for verifying elsewhere.
report: build, store and announce one month's audit report (what the 1st-of-month schedule does
for the previous month), print its findings and a five-minute link to the HTML; --save also
writes report.json and report.html into DIR.

All read the deployment named by the environment (PLATEKEEPER_AUDIT_TABLE etc.;
AWS_ENDPOINT_URL for the local stack) or, when none is named, the local stack `make run` is
serving (build/local-stack.env). Exit status: verify 0 = intact, 1 = any failure; report 0 =
built; 2 = could not read or write what is needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chalicelib import bootstrap
from chalicelib.adapters.errors import StorageError
from chalicelib.domain.checkpoints import RecordAnchoring
from chalicelib.domain.monthly_audit import InvalidMonth
from chalicelib.domain.signatures import (
    PublicKeyInvalid,
    fingerprint,
    public_key_from_pem,
    public_key_pem,
)
from chalicelib.policy.audit_integrity import stale_since
from chalicelib.services.checkpoints import verify_record
from chalicelib.services.monthly_audit import LINK_SECONDS, build_for_month
from chalicelib.settings import SettingsError, adopt_local_stack_environment

PREFIX = "audit verify:"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.audit")
    commands = parser.add_subparsers(dest="command", required=True)
    verify_parser = commands.add_parser(
        "verify", help="check the access record's hash chain and its signed checkpoints")
    verify_parser.add_argument("--public-key", type=Path, default=None,
                               help="PEM public key to check checkpoint signatures against")
    commands.add_parser("public-key", help="print the checkpoint key's public key (PEM)")
    report = commands.add_parser("report", help="build one month's audit report now")
    report.add_argument("--month", required=True, help="YYYY-MM (UTC calendar month)")
    report.add_argument("--save", type=Path, default=None,
                        help="also write report.json and report.html into this folder")
    args = parser.parse_args(argv)
    adopt_local_stack_environment()
    if args.command == "verify":
        return verify(args.public_key)
    if args.command == "public-key":
        return print_public_key()
    return build(args.month, args.save)


def verify(public_key_file: Path | None = None) -> int:
    try:
        container = bootstrap.container()
        public_key = (public_key_from_pem(public_key_file.read_bytes()) if public_key_file
                      else container.checkpoint_key.public_key())
        anchoring = verify_record(container.audit_log, container.checkpoint_store, public_key)
    except (SettingsError, StorageError, OSError, PublicKeyInvalid) as error:
        print(f"{PREFIX} could not read the audit record or its checkpoints: {error}",
              file=sys.stderr)
        return 2
    for line in describe(anchoring, public_key, container.settings.checkpoint_key_arn):
        print(f"{PREFIX} {line}")
    since = stale_since(anchoring, container.clock())
    if since is not None:
        print(f"{PREFIX} WARNING: records written since {since} are still not anchored; "
              "checkpoints run every five minutes, so the checkpoint function has stopped")
    return 0 if anchoring.intact else 1


def describe(anchoring: RecordAnchoring, public_key: bytes, key_id: str) -> list[str]:
    """What verify prints: the chain, the checkpoints, every failure, and the unanchored tail."""
    check = anchoring.chain
    lines = [f"chain intact, {check.records_checked} records checked" if check.intact else
             f"BROKEN at record {check.first_broken_seq}: {check.problem} "
             f"({check.records_checked} records before it are intact)"]
    lines.append(f"{anchoring.checkpoints_checked} signed checkpoint(s) checked against the "
                 f"checkpoint key {key_id} (public key SHA-256 {fingerprint(public_key)[:16]}...)")
    lines.extend(f"FAILED: {problem.text}" for problem in anchoring.problems)
    newest = anchoring.newest
    if newest is not None and not any(problem.checkpoint == newest.checkpoint.number
                                      for problem in anchoring.problems):
        lines.append(f"anchored through record {newest.checkpoint.seq} by "
                     f"{newest.checkpoint.describe()}")
    tail = anchoring.unanchored
    if tail is not None:
        span = (f"record {tail.first_seq}" if tail.count == 1
                else f"records {tail.first_seq}-{tail.last_seq}")
        lines.append(f"not yet anchored: {span} ({tail.count} written since "
                     f"{tail.first_at or 'the start'}, after the newest checkpoint)" if newest
                     else f"not yet anchored: {span} (no signed checkpoint exists yet)")
    elif newest is not None and anchoring.intact:
        lines.append("every record is anchored")
    return lines


def print_public_key() -> int:
    try:
        container = bootstrap.container()
        public_key = container.checkpoint_key.public_key()
    except (SettingsError, StorageError) as error:
        print(f"audit public-key: could not read the key: {error}", file=sys.stderr)
        return 2
    print(public_key_pem(public_key), end="")
    print(f"checkpoint key {container.settings.checkpoint_key_arn}, SHA-256 "
          f"{fingerprint(public_key)}", file=sys.stderr)
    return 0


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
    anchoring = document["anchoring"]
    checkpoint = anchoring["checkpoint"]
    print(f"audit report {published.month}: {published.findings} findings, "
          f"{document['summary']['data_accesses']} data accesses, "
          f"{document['summary']['refused_attempts']} refused attempts; "
          f"chain {'intact' if document['audit_chain']['intact'] else 'BROKEN'}; "
          + (f"built against checkpoint #{checkpoint['number']} (record {checkpoint['seq']})"
             if checkpoint else "no signed checkpoint yet"))
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
