"""Security properties of the infrastructure template (Civil Code 1798.90.51: reasonable
security), checked on every `make test`: encryption, no public access, TLS only, append-only
audit table, no wildcard actions on data, tamper-evident trail."""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.template import load_template

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec.get("Properties", {}) for name, spec in RESOURCES.items()
            if spec["Type"] == kind}


def statements(properties: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in properties.get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("name", sorted(of_type("AWS::S3::Bucket")))
def test_every_bucket_is_encrypted_private_and_versioned(name: str) -> None:
    bucket = of_type("AWS::S3::Bucket")[name]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"


@pytest.mark.parametrize("name", sorted(of_type("AWS::S3::Bucket")))
def test_every_bucket_refuses_plain_http(name: str) -> None:
    policies = [props for props in of_type("AWS::S3::BucketPolicy").values()
                if props["Bucket"] == {"Ref": name}]
    assert policies, f"{name} has no bucket policy"
    denies = [statement for statement in policies[0]["PolicyDocument"]["Statement"]
              if statement["Effect"] == "Deny"
              and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
              == "false"]
    assert denies, f"{name} does not deny insecure transport"


def test_image_and_evidence_buckets_use_object_lock() -> None:
    buckets = of_type("AWS::S3::Bucket")
    assert buckets["RawImageBucket"]["ObjectLockEnabled"] is True
    assert buckets["EvidenceBucket"]["ObjectLockEnabled"] is True


@pytest.mark.parametrize("name", sorted(of_type("AWS::DynamoDB::Table")))
def test_every_table_is_encrypted_with_the_data_key_and_recoverable(name: str) -> None:
    table = of_type("AWS::DynamoDB::Table")[name]
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS",
                                         "KMSMasterKeyId": {"Ref": "DataKey"}}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


@pytest.mark.parametrize("kind", ["AWS::SQS::Queue", "AWS::SNS::Topic"])
def test_queues_and_topics_are_encrypted(kind: str) -> None:
    for properties in of_type(kind).values():
        assert properties["KmsMasterKeyId"] == {"Ref": "DataKey"}


def test_trail_validates_log_files_and_records_data_events() -> None:
    [trail] = of_type("AWS::CloudTrail::Trail").values()
    assert trail["EnableLogFileValidation"] is True
    assert trail["IsLogging"] is True
    kinds = {selector["Equals"][0] for group in trail["AdvancedEventSelectors"]
             for selector in group["FieldSelectors"] if selector["Field"] == "resources.type"}
    assert kinds == {"AWS::S3::Object", "AWS::DynamoDB::Table"}


@pytest.mark.parametrize("role", sorted(of_type("AWS::IAM::Role")))
def test_no_wildcard_actions_or_resources_on_data(role: str) -> None:
    for statement in statements(of_type("AWS::IAM::Role")[role]):
        actions = as_list(statement["Action"])
        assert not any(action == "*" or action.endswith(":*") for action in actions), statement
        assert statement["Resource"] != "*", statement


@pytest.mark.parametrize("role", sorted(of_type("AWS::IAM::Role")))
def test_the_audit_table_is_append_only_for_every_role(role: str) -> None:
    for statement in statements(of_type("AWS::IAM::Role")[role]):
        resources = as_list(statement["Resource"])
        if {"Fn::GetAtt": ["AuditTable", "Arn"]} in resources:
            forbidden = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                         "dynamodb:DeleteTable", "dynamodb:UpdateTable"}
            assert not forbidden & set(as_list(statement["Action"])), statement


def test_audit_and_release_tables_cannot_be_deleted_by_accident() -> None:
    tables = of_type("AWS::DynamoDB::Table")
    assert tables["AuditTable"]["DeletionProtectionEnabled"] is True
    assert tables["ReleasesTable"]["DeletionProtectionEnabled"] is True
    assert "TimeToLiveSpecification" not in tables["AuditTable"]
    assert "TimeToLiveSpecification" not in tables["ReleasesTable"]


def test_retention_parameter_refuses_less_than_a_year() -> None:
    assert TEMPLATE["Parameters"]["RetentionDays"]["MinValue"] == 365


def test_the_key_rotates() -> None:
    assert of_type("AWS::KMS::Key")["DataKey"]["EnableKeyRotation"] is True


def test_the_monthly_audit_role_reads_alpr_data_but_changes_none_of_it() -> None:
    audit_table = [{"Fn::GetAtt": ["AuditTable", "Arn"]}, {"Fn::Sub": "${AuditTable.Arn}/index/*"}]
    for statement in statements(of_type("AWS::IAM::Role")["MonthlyAuditFunctionRole"]):
        actions = set(as_list(statement["Action"]))
        resources = as_list(statement["Resource"])
        table_writes = {action for action in actions if action.startswith("dynamodb:")
                        and action not in {"dynamodb:Query", "dynamodb:Scan", "dynamodb:GetItem"}}
        if table_writes:  # only its own run, appended to the access record
            assert table_writes == {"dynamodb:PutItem"} and resources == audit_table, statement
        s3_writes = {action for action in actions if action.startswith("s3:")
                     and not action.startswith(("s3:Get", "s3:List"))}
        if s3_writes:  # only the report itself; earlier versions and checkpoints are read
            assert s3_writes == {"s3:PutObject"}, statement
            assert resources == [{"Fn::Sub": "${ReportsBucket.Arn}/monthly/*"}], statement
        assert not any(action.startswith("cognito-idp:Admin") and "Get" not in action
                       and "List" not in action for action in actions), statement


def test_every_function_runs_under_its_own_declared_role() -> None:
    import json
    from pathlib import Path

    from app import app

    config = json.loads((Path(__file__).resolve().parents[2] / ".chalice" / "config.json")
                        .read_text(encoding="utf-8"))
    functions = {source.name for source in app.event_sources}
    assert "monthly_audit" in functions
    roles = of_type("AWS::IAM::Role")
    for stage in ("dev", "prod"):
        declared = config["stages"][stage]["lambda_functions"]
        assert functions <= set(declared), stage
        assert {declared[name]["iam_role_arn"] for name in functions} <= set(roles)
        assert config["stages"][stage]["iam_role_arn"] in roles


def test_every_scheduled_functions_role_may_keep_its_failed_runs() -> None:
    """Packaging sends a scheduled function's failed runs to FunctionFailuresQueue; its role
    must be allowed to, or a failed checkpoint or audit run would vanish."""
    import json
    from pathlib import Path

    from chalice.app import ScheduledEventConfig

    from app import app

    config = json.loads((Path(__file__).resolve().parents[2] / ".chalice" / "config.json")
                        .read_text(encoding="utf-8"))
    scheduled = {source.name for source in app.event_sources
                 if isinstance(source, ScheduledEventConfig)}
    assert {"retention_check", "monthly_audit", "checkpoint"} <= scheduled
    roles = of_type("AWS::IAM::Role")
    for name in scheduled:
        role = config["stages"]["prod"]["lambda_functions"][name]["iam_role_arn"]
        sends = [statement["Resource"] for statement in statements(roles[role])
                 if "sqs:SendMessage" in as_list(statement["Action"])]
        assert {"Fn::GetAtt": ["FunctionFailuresQueue", "Arn"]} in sends, (name, role)


def test_ingest_dead_letters_after_the_deliveries_the_code_expects() -> None:
    """The ingest handler dead-letters (with a reason) on the delivery the queue calls last."""
    from chalicelib.settings import INGEST_MAX_RECEIVES

    queue = of_type("AWS::SQS::Queue")["IngestQueue"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == INGEST_MAX_RECEIVES
    sends = [statement for statement in statements(of_type("AWS::IAM::Role")["IngestFunctionRole"])
             if statement["Action"] == "sqs:SendMessage"]
    assert [statement["Resource"] for statement in sends] == [
        {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]}]


# ---------------------------------------------------------------------- what a camera can write
WRITES = {"s3:PutObject", "s3:PutObjectAcl"}


def bucket_policy(bucket: str) -> list[dict[str, Any]]:
    [policy] = [props for props in of_type("AWS::S3::BucketPolicy").values()
                if props["Bucket"] == {"Ref": bucket}]
    return list(policy["PolicyDocument"]["Statement"])


@pytest.mark.parametrize(("bucket", "makers"), [
    ("RawImageBucket", ["CameraUploadRole"]),
    ("DerivedBucket", ["IngestFunctionRole"]),
    ("EvidenceBucket", ["ApiFunctionRole"]),
    ("ReportsBucket", ["ApiFunctionRole", "MonthlyAuditFunctionRole"]),
    ("CheckpointBucket", ["CheckpointFunctionRole"]),
])
def test_each_bucket_denies_writes_to_every_principal_but_its_makers(
        bucket: str, makers: list[str]) -> None:
    denies = [statement for statement in bucket_policy(bucket)
              if statement["Effect"] == "Deny" and set(as_list(statement["Action"])) >= WRITES]
    assert len(denies) == 1, bucket
    [deny] = denies
    assert deny["Principal"] == "*"
    allowed = as_list(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])
    assert allowed == [{"Fn::GetAtt": [maker, "Arn"]} for maker in makers]


def test_crops_live_in_a_locked_derived_bucket_the_camera_role_cannot_reach() -> None:
    assert of_type("AWS::S3::Bucket")["DerivedBucket"]["ObjectLockEnabled"] is True
    camera = statements(of_type("AWS::IAM::Role")["CameraUploadRole"])
    s3 = [statement for statement in camera if str(statement["Action"]).startswith("s3:")]
    assert [(statement["Action"], statement["Resource"]) for statement in s3] == [
        ("s3:PutObject", {"Fn::Sub": "${RawImageBucket.Arn}/cameras/*"})]
    trust = of_type("AWS::IAM::Role")["CameraUploadRole"]["AssumeRolePolicyDocument"]
    assert [statement["Principal"] for statement in trust["Statement"]] == [
        {"AWS": {"Fn::GetAtt": ["ApiFunctionRole", "Arn"]}}]


@pytest.mark.parametrize("role", ["ApiFunctionRole", "IngestFunctionRole"])
def test_neither_the_api_nor_the_ingest_may_write_the_landing_area(role: str) -> None:
    for statement in statements(of_type("AWS::IAM::Role")[role]):
        if "s3:PutObject" in as_list(statement["Action"]):
            assert not any("RawImageBucket" in str(resource)
                           for resource in as_list(statement["Resource"])), statement


def test_the_trail_covers_every_region_and_the_derived_bucket_and_upload_tables() -> None:
    [trail] = of_type("AWS::CloudTrail::Trail").values()
    assert trail["IsMultiRegionTrail"] is True
    selectors = str(trail["AdvancedEventSelectors"])
    for name in ("DerivedBucket", "UploadTicketsTable", "FrameFingerprintsTable",
                 "UploadExceptionsTable", "CheckpointBucket"):
        assert name in selectors, name
