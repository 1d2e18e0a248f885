"""Demo steps for the access record's signed checkpoints (`demo: audit-checkpoint`,
`demo: audit-tamper-detected`): the five-minute schedule signs the chain's head into an Object
Lock bucket; then an insider with write access to the audit table recomputes the chain after an
edit and cuts its tail, and `python -m chalicelib.audit verify` names both."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from chalicelib import bootstrap
from chalicelib.adapters.audit_log import from_item, to_item
from chalicelib.domain.audit import AuditRecord, content_hash
from chalicelib.domain.checkpoints import KEY_PREFIX, parse_document
from chalicelib.services.monthly_audit import build_for_month, latest_report, report_keys

if TYPE_CHECKING:
    from local_stack.demo import Demo

# The record the insider edits: an officer's early search, before the first checkpoint; and
# how many records they delete from the end (fewer if that would cut below the first one).
EDITED_SEQ = 3
CUT_RECORDS = 5


class TamperNotDetected(AssertionError):
    """verify or the report did not name what the insider did."""


def audit_checkpoint(demo: Demo) -> str:
    """Five minutes on, the pump fires the checkpoint schedule as EventBridge would; the
    checkpoint is signed with the KMS key only that function may use, and locked."""
    pump = demo.stack.event_pump
    demo.stack.clock.advance((pump.next_fire_of("checkpoint") - demo.stack.clock())
                             .total_seconds() + 1)
    fired = pump.fire_due_schedules()
    if "checkpoint" not in fired:
        raise TamperNotDetected(f"the checkpoint schedule did not fire (fired: {fired})")
    s3: Any = boto3.client("s3")
    bucket = demo.env["PLATEKEEPER_CHECKPOINT_BUCKET"]
    [newest] = s3.list_objects_v2(Bucket=bucket, Prefix=KEY_PREFIX, MaxKeys=1)["Contents"]
    signed = parse_document(s3.get_object(Bucket=bucket, Key=newest["Key"])["Body"].read())
    head = s3.head_object(Bucket=bucket, Key=newest["Key"])
    try:
        s3.delete_object(Bucket=bucket, Key=newest["Key"], VersionId=head["VersionId"])
        raise TamperNotDetected("deleting a checkpoint was allowed")
    except ClientError as error:
        refused = error.response["ResponseMetadata"]["HTTPStatusCode"]
    verified = _verify()
    if verified.returncode != 0:
        raise TamperNotDetected(verified.stdout + verified.stderr)
    anchored = next(line for line in verified.stdout.splitlines() if "anchored" in line)
    return (f"{signed.checkpoint.describe()} signed with {signed.algorithm} by the checkpoint "
            f"key, {head['ObjectLockMode']} lock until "
            f"{head['ObjectLockRetainUntilDate']:%Y-%m-%d}; deleting it refused ({refused}); "
            f"{anchored.removeprefix('audit verify: ')}")


def audit_tamper_detected(demo: Demo) -> str:
    """The insider edits record 3, recomputes every hash after it (the chain alone now looks
    intact), and deletes the last five records; verify names both, and so does the month's
    report when it is rebuilt."""
    demo.stack.event_pump.fire_schedule("checkpoint")  # the newest records are anchored too
    dynamodb: Any = boto3.client("dynamodb")
    table = demo.env["PLATEKEEPER_AUDIT_TABLE"]
    items = _audit_items(dynamodb, table)
    first = _first_checkpoint_seq(demo)
    cut_count = min(CUT_RECORDS, len(items) - first)
    if first <= EDITED_SEQ or cut_count < 1:
        raise TamperNotDetected(f"the demo needs checkpoints at two heads (first at {first})")
    prev_hash = items[EDITED_SEQ - 2]["hash"]["S"]
    for item in items[EDITED_SEQ - 1:]:
        record = from_item(item)
        entry = record.entry
        if record.seq == EDITED_SEQ:  # "that search was for a warrant, not what it said"
            entry = replace(entry, purpose="warrant")
        rebuilt = AuditRecord(record.seq, entry, prev_hash,
                              content_hash(record.seq, entry, prev_hash))
        dynamodb.put_item(TableName=table, Item=to_item(rebuilt))
        prev_hash = rebuilt.hash
    for item in items[-cut_count:]:
        dynamodb.delete_item(TableName=table, Key={"chain": item["chain"], "seq": item["seq"]})
    verified = _verify()
    lines = verified.stdout.splitlines()
    recomputed = [line for line in lines if "does not reproduce checkpoint" in line]
    cut = [line for line in lines if "removed from the end" in line]
    if verified.returncode != 1 or not recomputed or not cut or "chain intact" not in lines[0]:
        raise TamperNotDetected(verified.stdout + verified.stderr)
    report = _rebuilt_report_findings()
    return (f"record {EDITED_SEQ} edited and {len(items) - EDITED_SEQ + 1} hashes recomputed "
            f"(the chain alone: '{lines[0].removeprefix('audit verify: ')}'), last "
            f"{cut_count} records deleted; verify exits 1 naming both: "
            f"'{recomputed[0].removeprefix('audit verify: FAILED: ')[:90]}...' and "
            f"'{cut[0].removeprefix('audit verify: FAILED: ')}'; the rebuilt report: {report}")


def _first_checkpoint_seq(demo: Demo) -> int:
    s3: Any = boto3.client("s3")
    bucket = demo.env["PLATEKEEPER_CHECKPOINT_BUCKET"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=KEY_PREFIX)
            .get("Contents", [])]
    oldest = max(keys)  # keys count down: the oldest checkpoint sorts last
    return parse_document(s3.get_object(Bucket=bucket, Key=oldest)["Body"].read()).checkpoint.seq


def _rebuilt_report_findings() -> str:
    container = bootstrap.container()
    latest = latest_report(container.report_store)
    if latest is None:
        raise TamperNotDetected("no monthly report to rebuild")
    published = build_for_month(latest[0], container.monthly_audit)
    document = json.loads(container.report_store.get(report_keys(published.month)[0]))
    kinds = sorted({finding["kind"] for finding in document["findings"]
                    if finding["kind"].startswith("audit_")})
    if "audit_head_went_backwards" not in kinds or "audit_checkpoint_failed" not in kinds:
        raise TamperNotDetected(f"the rebuilt report found only {kinds}")
    return f"{published.month} rebuilt, findings {', '.join(kinds)}"


def _audit_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("query").paginate(
            TableName=table, KeyConditionExpression="chain = :c", ConsistentRead=True,
            ExpressionAttributeValues={":c": {"S": "audit"}}):
        items.extend(page["Items"])
    return items


def _verify() -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chalicelib.audit", "verify"],
                          capture_output=True, text=True, timeout=120, check=False)
