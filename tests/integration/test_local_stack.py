"""The local stack matches infra/template.yaml, and the pump does what AWS would."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests

from chalicelib.adapters.cameras_table import CamerasTable
from chalicelib.adapters.uploads_tables import UploadTicketsTable
from chalicelib.domain.access import Role
from chalicelib.domain.cameras import new_camera
from chalicelib.domain.uploads import UploadTicket
from local_stack.stack import RunningStack
from local_stack.synthetic import blank_jpeg
from local_stack.template import load_template

pytestmark = pytest.mark.integration
TEMPLATE = load_template()


def declared(kind: str) -> dict[str, dict[str, Any]]:
    return {logical_id: spec["Properties"] for logical_id, spec in TEMPLATE["Resources"].items()
            if spec["Type"] == kind}


def physical(stack: RunningStack, logical_id: str) -> str:
    assert stack.stack is not None
    return stack.stack.resources[logical_id].ref


def test_api_answers_health(local_stack: RunningStack) -> None:
    response = requests.get(f"{local_stack.api_url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("logical_id", sorted(declared("AWS::DynamoDB::Table")))
def test_tables_match_the_template(local_stack: RunningStack, logical_id: str) -> None:
    spec = declared("AWS::DynamoDB::Table")[logical_id]
    dynamodb: Any = boto3.client("dynamodb")
    name = physical(local_stack, logical_id)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == spec["KeySchema"]
    assert {index["IndexName"]: index["KeySchema"] for index in
            table.get("GlobalSecondaryIndexes", [])} == {
        index["IndexName"]: index["KeySchema"] for index in spec.get("GlobalSecondaryIndexes", [])}
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if "TimeToLiveSpecification" in spec:
        assert ttl["AttributeName"] == spec["TimeToLiveSpecification"]["AttributeName"]
        assert ttl["TimeToLiveStatus"] == "ENABLED"
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"
    if "StreamSpecification" in spec:
        assert table["StreamSpecification"]["StreamViewType"] == \
            spec["StreamSpecification"]["StreamViewType"]
    assert table["SSEDescription"]["SSEType"] == "KMS"


def test_ingest_queue_redrives_to_the_dead_letter_queue(local_stack: RunningStack) -> None:
    sqs: Any = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=physical(local_stack, "IngestQueue"),
                                          AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith("IngestDeadLetterQueue")
    assert int(redrive["maxReceiveCount"]) == 5
    assert attributes["KmsMasterKeyId"]


def test_raw_bucket_is_versioned_locked_encrypted_private_and_notifies(
        local_stack: RunningStack) -> None:
    s3: Any = boto3.client("s3")
    bucket = physical(local_stack, "RawImageBucket")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)[
        "ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    [queue] = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert queue["QueueArn"].endswith("IngestQueue")
    assert queue["Events"] == ["s3:ObjectCreated:*"]


def test_user_pool_has_one_group_per_authorized_role(local_stack: RunningStack) -> None:
    cognito: Any = boto3.client("cognito-idp")
    groups = cognito.list_groups(UserPoolId=physical(local_stack, "UserPool"))["Groups"]
    assert {group["GroupName"] for group in groups} == {
        spec["GroupName"] for spec in declared("AWS::Cognito::UserPoolGroup").values()}
    assert len(groups) == len(Role)


def register_camera(local_stack: RunningStack, camera_id: str) -> None:
    camera, _ = new_camera(camera_id=camera_id, name=camera_id, agency="Test PD", kind="fixed",
                           now=local_stack.clock(), lat=37.35, lon=-121.95, heading=90.0)
    CamerasTable(boto3.client("dynamodb"), physical(local_stack, "CamerasTable")).put(camera)


def test_pump_delivers_an_upload_to_the_ingest_handler(local_stack: RunningStack) -> None:
    register_camera(local_stack, "cam-pump")
    s3: Any = boto3.client("s3")
    now = local_stack.clock()
    key = f"cameras/cam-pump/{now.date().isoformat()}/{uuid.uuid4().hex}.jpg"
    body, metadata = blank_jpeg(), {"captured-at": now.isoformat()}
    UploadTicketsTable(boto3.client("dynamodb"), physical(local_stack, "UploadTicketsTable")).put(
        UploadTicket(key.rsplit("/", 1)[1][:-4], "cam-pump", key, "image/jpeg", len(body),
                     metadata, now, now + timedelta(minutes=5)))
    s3.put_object(Bucket=physical(local_stack, "RawImageBucket"), Key=key,
                  Body=body, ContentType="image/jpeg", Metadata=metadata)
    local_stack.event_pump.drain(timeout=60)
    item = boto3.client("dynamodb").get_item(
        TableName=physical(local_stack, "ImagesTable"), Key={"image_key": {"S": key}})["Item"]
    assert item["status"]["S"] == "processed"
    assert item["plates_found"]["N"] == "0"


def test_poison_message_ends_in_the_dead_letter_queue(local_stack: RunningStack) -> None:
    assert local_stack.pump is not None
    sqs: Any = boto3.client("sqs")
    marker = uuid.uuid4().hex
    sqs.send_message(QueueUrl=physical(local_stack, "IngestQueue"),
                     MessageBody=json.dumps({"poison": marker}))
    local_stack.pump.drain(timeout=60)
    messages = sqs.receive_message(QueueUrl=physical(local_stack, "IngestDeadLetterQueue"),
                                   MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert any(marker in message["Body"] for message in messages)


def test_ttl_sweeper_deletes_only_expired_items(local_stack: RunningStack) -> None:
    assert local_stack.pump is not None
    dynamodb: Any = boto3.client("dynamodb")
    table = physical(local_stack, "AlertsTable")
    now = int(local_stack.clock().timestamp())
    items = {"expired": now - 10, "live": now + 3600, "no-ttl": None}
    for name, expires in items.items():
        item = {"alert_id": {"S": f"ttl-{name}"}}
        if expires is not None:
            item["expires_at"] = {"N": str(expires)}
        dynamodb.put_item(TableName=table, Item=item)
    local_stack.pump.sweep_ttl()
    left = {name for name in items if "Item" in dynamodb.get_item(
        TableName=table, Key={"alert_id": {"S": f"ttl-{name}"}})}
    assert left == {"live", "no-ttl"}
