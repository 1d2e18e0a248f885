"""Who may sign and who may touch checkpoints, read off what would be deployed: the output of
`python -m infra.package prod DIR` (Chalice's functions merged with infra/template.yaml).

The API's role is whatever role the packaged API function runs under; an insider holding it (or
the database permissions it has) must not be able to sign with the checkpoint key, nor delete or
overwrite a checkpoint. IAM is not enforced by moto, so this is where it is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml

from local_stack.template import references

ROOT = Path(__file__).resolve().parents[2]
SIGN = "kms:Sign"
CHECKPOINT_CHANGES = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
                      "s3:PutObjectRetention", "s3:BypassGovernanceRetention",
                      "s3:PutObjectLegalHold", "s3:PutLifecycleConfiguration",
                      "s3:PutBucketObjectLockConfiguration", "s3:PutBucketPolicy",
                      "s3:DeleteBucketPolicy", "s3:PutBucketVersioning", "s3:DeleteBucket")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("package") / "prod"
    subprocess.run([sys.executable, "-m", "infra.package", "prod", str(output)],  # noqa: S603
                   cwd=ROOT, check=True, capture_output=True, timeout=600,
                   env={**os.environ, "AWS_DEFAULT_REGION": "us-west-2"})
    template: dict[str, Any] = yaml.safe_load((output / "sam.yaml").read_text(encoding="utf-8"))
    return template["Resources"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(actions: Any, wanted: str) -> bool:
    """Whether an IAM Action element covers `wanted` (wildcards included)."""
    return any(fnmatchcase(wanted.lower(), str(action).lower()) for action in as_list(actions))


def functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: spec["Properties"] for name, spec in resources.items()
            if spec["Type"] == "AWS::Serverless::Function"}


def role_of(function: dict[str, Any]) -> str:
    role = function["Role"]
    assert isinstance(role, dict) and "Fn::GetAtt" in role, role
    return str(role["Fn::GetAtt"][0])


def role_statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources[role]["Properties"].get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    for spec in resources.values():  # managed policies of ours attached to the role
        if spec["Type"] == "AWS::IAM::ManagedPolicy" and {"Ref": role} in spec["Properties"].get(
                "Roles", []):
            found.extend(spec["Properties"]["PolicyDocument"]["Statement"])
    return found


def touches(statement: dict[str, Any], logical_id: str) -> bool:
    """Whether a statement's resources include the resource (by reference, or "*")."""
    resources = as_list(statement.get("Resource", []))
    return "*" in resources or logical_id in set(references(resources))


def api_role(resources: dict[str, Any]) -> str:
    return role_of(functions(resources)["APIHandler"])


def test_the_checkpoint_function_runs_every_five_minutes_under_its_own_role(
        packaged: dict[str, Any]) -> None:
    [checkpoint] = [function for function in functions(packaged).values()
                    if any(event["Type"] == "Schedule"
                           and event["Properties"]["Schedule"] == "rate(5 minutes)"
                           for event in function.get("Events", {}).values())]
    assert role_of(checkpoint) == "CheckpointFunctionRole"
    others = {role_of(function) for function in functions(packaged).values()
              if function is not checkpoint}
    assert "CheckpointFunctionRole" not in others


def test_the_api_role_cannot_sign_with_the_checkpoint_key(packaged: dict[str, Any]) -> None:
    role = api_role(packaged)
    assert role == "ApiFunctionRole"
    for statement in role_statements(packaged, role):
        if statement["Effect"] == "Allow" and allows(statement["Action"], SIGN):
            assert not touches(statement, "CheckpointKey"), statement
    key = packaged["CheckpointKey"]["Properties"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    policy = key["KeyPolicy"]["Statement"]
    signers = [statement["Principal"] for statement in policy
               if statement["Effect"] == "Allow" and allows(statement["Action"], SIGN)
               and statement["Principal"] != {"AWS": {
                   "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}]
    assert signers == [{"AWS": {"Fn::GetAtt": ["CheckpointFunctionRole", "Arn"]}}]
    # The account's own kms:* (which IAM policies could pass on) is overridden by a deny for
    # every principal but the checkpoint function's role.
    [deny] = [statement for statement in policy
              if statement["Effect"] == "Deny" and allows(statement["Action"], SIGN)]
    assert deny["Principal"] == "*" and "Condition" in deny
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {
        "Fn::GetAtt": ["CheckpointFunctionRole", "Arn"]}}}


def test_no_role_but_the_checkpoint_functions_may_sign_checkpoints(
        packaged: dict[str, Any]) -> None:
    for role in {role_of(function) for function in functions(packaged).values()} - {
            "CheckpointFunctionRole"}:
        for statement in role_statements(packaged, role):
            if statement["Effect"] == "Allow" and allows(statement["Action"], SIGN):
                assert not touches(statement, "CheckpointKey"), (role, statement)


def test_the_api_role_can_neither_delete_nor_overwrite_checkpoints(
        packaged: dict[str, Any]) -> None:
    for statement in role_statements(packaged, api_role(packaged)):
        if statement["Effect"] != "Allow" or not touches(statement, "CheckpointBucket"):
            continue
        granted = [action for action in CHECKPOINT_CHANGES if allows(statement["Action"], action)]
        assert granted == [], statement


def test_the_bucket_locks_checkpoints_and_refuses_deletes_and_other_writers(
        packaged: dict[str, Any]) -> None:
    bucket = packaged["CheckpointBucket"]["Properties"]
    assert bucket["ObjectLockEnabled"] is True
    retention = bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention == {"Mode": "COMPLIANCE", "Years": {"Ref": "CheckpointRetentionYears"}}
    [policy] = [spec["Properties"]["PolicyDocument"]["Statement"] for spec in packaged.values()
                if spec["Type"] == "AWS::S3::BucketPolicy"
                and spec["Properties"]["Bucket"] == {"Ref": "CheckpointBucket"}]
    unconditional = [statement for statement in policy
                     if statement["Effect"] == "Deny" and "Condition" not in statement
                     and statement["Principal"] == "*"]
    for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"):
        assert any(allows(statement["Action"], action) for statement in unconditional), action
    [writers] = [statement for statement in policy
                 if statement["Effect"] == "Deny" and allows(statement["Action"], "s3:PutObject")
                 and "ArnNotEquals" in statement.get("Condition", {})]
    assert writers["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {
        "Fn::GetAtt": ["CheckpointFunctionRole", "Arn"]}}}


def test_the_checkpoint_role_writes_checkpoints_but_never_deletes_or_unlocks(
        packaged: dict[str, Any]) -> None:
    for statement in role_statements(packaged, "CheckpointFunctionRole"):
        assert not any(allows(statement["Action"], action) for action in (
            "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention",
            "s3:BypassGovernanceRetention", "dynamodb:PutItem", "dynamodb:DeleteItem",
            "dynamodb:UpdateItem")), statement


def test_only_the_api_role_signs_evidence_manifests(packaged: dict[str, Any]) -> None:
    policy = packaged["EvidenceSigningKey"]["Properties"]["KeyPolicy"]["Statement"]
    [deny] = [statement for statement in policy
              if statement["Effect"] == "Deny" and allows(statement["Action"], SIGN)]
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {
        "Fn::GetAtt": [api_role(packaged), "Arn"]}}}


def test_checkpoint_objects_are_in_the_trail(packaged: dict[str, Any]) -> None:
    trail = packaged["AccessTrail"]["Properties"]
    prefixes = [prefix for group in trail["AdvancedEventSelectors"]
                for selector in group["FieldSelectors"] if selector["Field"] == "resources.ARN"
                for prefix in selector.get("StartsWith", [])]
    assert {"Fn::Sub": "${CheckpointBucket.Arn}/"} in prefixes
