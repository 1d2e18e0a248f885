"""The access record against an insider with write access to the audit table, through the local
stack: every attack the issue lists, tried with boto3 the way someone holding the application's
database permissions would, then `python -m chalicelib.audit verify` and a rebuilt monthly report.

On a stack of its own: the attacks rewrite the audit table (each test puts it back), and
checkpoints, being locked, stay for the rest of the module.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from chalicelib.adapters.signing_key import KmsSigningKey
from chalicelib.domain.audit import content_hash
from chalicelib.domain.checkpoints import (
    Checkpoint,
    checkpoint_key,
    parse_document,
    sign_checkpoint,
)
from chalicelib.domain.signatures import sha256_hex
from chalicelib.evidence.package import MANIFEST, verify_package
from chalicelib.evidence.signing import SignatureStatus
from chalicelib.settings import AUDIT_TABLE
from local_stack.__main__ import ENV_FILE, write_env_file
from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser, seed_users
from local_stack.stack import LOCAL_CREDENTIALS, RunningStack
from tests.integration.test_retention import seed_frame

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with RunningStack(pump_in_background=False) as running:
        yield running


@pytest.fixture(scope="module")
def users(stack: RunningStack) -> dict[str, DemoUser]:
    env = stack.environment
    return {user.username: user for user in seed_users(
        env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
        stack.clock().date())}


def client(stack: RunningStack, users: dict[str, DemoUser], name: str) -> ApiClient:
    return ApiClient(stack.api_url).login(name, users[name].password)


@pytest.fixture(scope="module")
def activity(stack: RunningStack, users: dict[str, DemoUser]) -> int:
    """Officers' searches, then a checkpoint on the pump's five-minute schedule, more searches,
    a second checkpoint, and a few records after it: the head's sequence number."""
    officer = client(stack, users, "officer.demo")
    for number in range(30):
        assert officer.search(plate=f"7ABC{number:03d}").status_code == 200
    # The head the first checkpoint signs (the searches, plus the officer's sign-in record).
    FIRST_ANCHOR.append(len(audit_items(stack)))
    fire_checkpoint_on_schedule(stack)
    for number in range(30, 60):
        officer.search(plate=f"7ABC{number:03d}")
    fire_checkpoint_on_schedule(stack)
    for number in range(60, 63):
        officer.search(plate=f"7ABC{number:03d}")
    return len(audit_items(stack))


FIRST_ANCHOR: list[int] = []


def fire_checkpoint_on_schedule(stack: RunningStack) -> None:
    """What the background pump of `make run` does: five minutes later, the schedule fires."""
    pump = stack.event_pump
    due = pump.next_fire_of("checkpoint")
    stack.clock.advance((due - stack.clock()).total_seconds() + 1)
    assert "checkpoint" in pump.fire_due_schedules()


def audit_items(stack: RunningStack) -> list[dict[str, Any]]:
    dynamodb: Any = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("query").paginate(
            TableName=stack.environment[AUDIT_TABLE], KeyConditionExpression="chain = :c",
            ExpressionAttributeValues={":c": {"S": "audit"}}, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def checkpoints(stack: RunningStack) -> list[dict[str, Any]]:
    s3: Any = boto3.client("s3")
    return s3.list_object_versions(Bucket=stack.environment["PLATEKEEPER_CHECKPOINT_BUCKET"],
                                   Prefix="checkpoints/").get("Versions", [])


@pytest.fixture
def insider(stack: RunningStack, activity: int) -> Iterator[Insider]:
    """Someone with the application's database permissions; the table is put back after."""
    saved = audit_items(stack)
    yield Insider(stack)
    dynamodb: Any = boto3.client("dynamodb")
    table = stack.environment[AUDIT_TABLE]
    for item in audit_items(stack):
        dynamodb.delete_item(TableName=table, Key={"chain": item["chain"], "seq": item["seq"]})
    for item in saved:
        dynamodb.put_item(TableName=table, Item=item)


class Insider:
    def __init__(self, stack: RunningStack) -> None:
        self.table = stack.environment[AUDIT_TABLE]
        self.stack = stack
        self.dynamodb: Any = boto3.client("dynamodb")

    def item(self, seq: int) -> dict[str, Any]:
        return self.dynamodb.get_item(TableName=self.table, ConsistentRead=True, Key={
            "chain": {"S": "audit"}, "seq": {"N": str(seq)}})["Item"]

    def alter(self, seq: int) -> None:
        self.dynamodb.put_item(TableName=self.table,
                               # A value no record has, so the edit is always a change.
                               Item={**self.item(seq), "purpose": {"S": "edited_by_insider"}})

    def delete(self, seq: int) -> None:
        self.dynamodb.delete_item(TableName=self.table, Key={
            "chain": {"S": "audit"}, "seq": {"N": str(seq)}})

    def alter_and_recompute(self, seq: int) -> None:
        """Edit a record and recompute its hash and every later one, as the code would."""
        from chalicelib.adapters.audit_log import from_item, to_item
        from chalicelib.domain.audit import AuditRecord

        self.alter(seq)
        items = [item for item in audit_items(self.stack) if int(item["seq"]["N"]) >= seq]
        prev_hash = str(self.item(seq - 1)["hash"]["S"])
        for item in items:
            record = from_item(item)
            rebuilt = AuditRecord(record.seq, record.entry, prev_hash,
                                  content_hash(record.seq, record.entry, prev_hash))
            self.dynamodb.put_item(TableName=self.table, Item=to_item(rebuilt))
            prev_hash = rebuilt.hash

    def cut_tail(self, count: int) -> list[int]:
        removed = [int(item["seq"]["N"]) for item in audit_items(self.stack)[-count:]]
        for seq in removed:
            self.delete(seq)
        return removed


def verify(extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chalicelib.audit", "verify"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env=extra_env)


def evidence_verify(path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chalicelib.evidence", "verify", path],  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


# ---------------------------------------------------------------------- checkpoints themselves
def test_the_pump_signs_checkpoints_on_the_schedule_and_they_are_locked(
        stack: RunningStack, activity: int) -> None:
    stored = checkpoints(stack)
    assert len(stored) == 2
    s3: Any = boto3.client("s3")
    bucket = stack.environment["PLATEKEEPER_CHECKPOINT_BUCKET"]
    newest = parse_document(s3.get_object(Bucket=bucket, Key=checkpoint_key(2))["Body"].read())
    assert newest.checkpoint.seq == activity - 3
    head = s3.head_object(Bucket=bucket, Key=checkpoint_key(2))
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"].year >= stack.clock().year + 9
    version = next(item["VersionId"] for item in stored if item["Key"] == checkpoint_key(2))
    with pytest.raises(ClientError) as refused_by_policy:
        s3.delete_object(Bucket=bucket, Key=checkpoint_key(2), VersionId=version)
    assert refused_by_policy.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # The account root can remove the bucket policy; the COMPLIANCE lock still refuses.
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    try:
        with pytest.raises(ClientError) as refused_by_lock:
            s3.delete_object(Bucket=bucket, Key=checkpoint_key(2), VersionId=version)
        assert refused_by_lock.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    with pytest.raises(ClientError) as overwritten:  # the signer's own write-once guard
        s3.put_object(Bucket=bucket, Key=checkpoint_key(2), Body=b"{}", IfNoneMatch="*")
    assert overwritten.value.response["Error"]["Code"] == "PreconditionFailed"
    assert len(checkpoints(stack)) == 2
    stack.event_pump.fire_schedule("checkpoint")  # nothing moved since: nothing new is signed
    stack.event_pump.fire_schedule("checkpoint")
    assert len(checkpoints(stack)) == 3  # the first run anchored the last three searches


def test_verify_passes_and_names_what_is_not_yet_anchored(stack: RunningStack,
                                                          users: dict[str, DemoUser],
                                                          activity: int) -> None:
    client(stack, users, "officer.demo").search(plate="7ABC999")
    result = verify()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chain intact" in result.stdout
    assert "3 signed checkpoint(s) checked" in result.stdout
    assert "not yet anchored: record" in result.stdout


def test_verify_finds_the_running_local_stack_by_itself(stack: RunningStack,
                                                        activity: int) -> None:
    """As `make run` leaves it: the environment in build/local-stack.env, none in the shell."""
    write_env_file(stack)
    try:
        clean = {name: value for name, value in os.environ.items()
                 if not name.startswith(("PLATEKEEPER_", "AWS_"))}
        result = verify(clean)
    finally:
        ENV_FILE.unlink(missing_ok=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chain intact" in result.stdout
    missing = verify({**clean, **LOCAL_CREDENTIALS})
    assert missing.returncode == 2 and "missing environment variables" in missing.stderr


# ---------------------------------------------------------------------- the attacks
def test_an_edited_record_is_named(insider: Insider) -> None:
    insider.alter(20)
    result = verify()
    assert result.returncode == 1 and "BROKEN at record 20" in result.stdout


def test_a_record_deleted_in_the_middle_is_named(insider: Insider) -> None:
    insider.delete(40)
    result = verify()
    assert result.returncode == 1 and "record 40 is missing" in result.stdout


def test_an_edit_with_the_hashes_recomputed_to_the_head_fails_at_the_next_checkpoint(
        insider: Insider) -> None:
    insider.alter_and_recompute(20)
    result = verify()
    assert result.returncode == 1
    assert "chain intact" in result.stdout  # the chain alone would have been fooled
    anchor = FIRST_ANCHOR[0]
    assert f"FAILED: the chain does not reproduce checkpoint #1 (record {anchor}" in result.stdout
    assert f"records 1-{anchor} were changed" in result.stdout


def test_a_tail_cut_past_a_checkpoint_is_named(insider: Insider, activity: int) -> None:
    removed = insider.cut_tail(8)
    result = verify()
    assert result.returncode == 1
    assert f"the access record ends at record {removed[0] - 1}" in result.stdout
    assert "record(s) were removed from the end" in result.stdout


def test_a_checkpoint_signed_by_another_key_is_rejected(stack: RunningStack,
                                                        insider: Insider) -> None:
    """An administrator makes a key of their own, rewrites the record and signs a checkpoint
    that matches the rewrite, and puts it where checkpoints go."""
    insider.alter_and_recompute(20)
    kms: Any = boto3.client("kms")
    own_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    head = audit_items(stack)[-1]
    number = len(checkpoints(stack)) + 1
    forged = sign_checkpoint(Checkpoint(number, int(head["seq"]["N"]), head["hash"]["S"],
                                        head["at"]["S"], head["at"]["S"], "0" * 64),
                             KmsSigningKey(kms, own_key["Arn"]))
    s3: Any = boto3.client("s3")
    s3.put_object(Bucket=stack.environment["PLATEKEEPER_CHECKPOINT_BUCKET"],
                  Key=checkpoint_key(number), Body=forged.document())
    result = verify()
    assert result.returncode == 1
    assert (f"claims to be checkpoint #{number} but is not signed by the checkpoint key"
            in result.stdout)
    assert "the chain does not reproduce checkpoint #1" in result.stdout


# ---------------------------------------------------------------------- evidence packages
def test_exported_packages_are_signed_and_a_hand_rebuilt_one_is_not(
        stack: RunningStack, users: dict[str, DemoUser], tmp_path: Any) -> None:
    read = seed_frame(stack, "8SIGN88")
    admin = client(stack, users, "admin.demo")
    export = admin.post("/exports", {"read_ids": [read.read_id], "case_number": "2026-007010",
                                     "purpose": "criminal_investigation",
                                     "approved_by": "commander.rivera"})
    assert export.status_code == 201, export.text
    package = requests.get(export.json()["url"], timeout=30).content
    key = boto3.client("kms").get_public_key(
        KeyId=stack.environment["PLATEKEEPER_EVIDENCE_SIGNING_KEY_ARN"])["PublicKey"]
    assert verify_package(package, key).genuine
    path = tmp_path / "package.zip"
    path.write_bytes(package)
    check = evidence_verify(str(path))
    assert check.returncode == 0 and "signed" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    name = next(name for name in contents if name.startswith("reads/"))
    contents[name] = contents[name].replace(b"8SIGN88", b"8SIGN89")
    manifest = json.loads(contents[MANIFEST])
    manifest["files"][name]["sha256"] = sha256_hex(contents[name])
    contents[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in contents.items():
            archive.writestr(member, data)
    path.write_bytes(buffer.getvalue())
    rebuilt = verify_package(buffer.getvalue(), key)
    assert rebuilt.ok and rebuilt.signature.status is SignatureStatus.MANIFEST_CHANGED
    check = evidence_verify(str(path))
    assert check.returncode == 1 and "rebuilt after it left this system" in check.stdout


# ---------------------------------------------------------------------- the monthly report
def test_a_report_rebuilt_after_truncation_reports_the_head_that_went_backwards(
        stack: RunningStack, users: dict[str, DemoUser], insider: Insider) -> None:
    """Last in the module: the report versions it leaves stay in the bucket."""
    auditor = client(stack, users, "auditor.demo")
    month = stack.clock().strftime("%Y-%m")
    assert auditor.post("/reports/monthly", {"month": month}).status_code == 201
    first = auditor.get(f"/reports/monthly/{month}").json()["report"]
    assert first["anchoring"]["checkpoint"] is not None
    fire_checkpoint_on_schedule(stack)
    insider.cut_tail(first["audit_chain"]["head_seq"] // 4)
    assert auditor.post("/reports/monthly", {"month": month}).status_code == 201
    rebuilt = auditor.get(f"/reports/monthly/{month}").json()["report"]
    assert rebuilt["audit_chain"]["intact"] is True  # the chain alone looks complete
    kinds = {finding["kind"] for finding in rebuilt["findings"]}
    assert {"audit_head_went_backwards", "audit_checkpoint_failed"} <= kinds
    details = " ".join(finding["detail"] for finding in rebuilt["findings"])
    assert f"recorded the chain's head at record {first['audit_chain']['head_seq']}" in details
    assert rebuilt["anchoring"]["earlier_versions_compared"] >= 1
