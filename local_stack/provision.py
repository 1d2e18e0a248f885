"""Provision every resource of infra/template.yaml into a moto server with boto3.

CloudFormation inside moto silently drops Cognito, CloudTrail, bucket notifications and TTL, so
the local stack creates each resource itself, in dependency order, from the template's own
properties. The result carries the environment the Lambda functions get in AWS (the template's
Globals), resolved against the local resources.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

import boto3

from local_stack.template import (
    LOCAL_ACCOUNT_ID,
    ProvisionedResource,
    Resolver,
    TemplateError,
    load_template,
    references,
)

DEFAULT_STACK_NAME = "platekeeper-local"
DEFAULT_REGION = "us-west-2"

# Resources that have no local meaning; named so that a new type is never skipped silently.
NOT_PROVISIONED_LOCALLY = {
    "AWS::Serverless::LayerVersion": "the local stack runs the recognition code from .venv",
    "AWS::Lambda::LayerVersion": "the local stack runs the recognition code from .venv",
    "AWS::ApiGateway::Account": "an account-wide API Gateway setting; the local API is "
                                "chalice local, which writes no access log",
}


@dataclass(frozen=True)
class LocalStack:
    """Names of what was provisioned and the functions' environment."""

    stack_name: str
    region: str
    endpoint_url: str
    resources: Mapping[str, ProvisionedResource]
    environment: Mapping[str, str]
    outputs: Mapping[str, str]
    resolver: Resolver


class Provisioner:
    """Creates template resources in moto, one boto3 call sequence per resource type."""

    def __init__(self, endpoint_url: str, region: str, stack_name: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.stack_name = stack_name
        self._clients: dict[str, Any] = {}
        self._handlers: dict[str, Callable[[str, dict[str, Any]], ProvisionedResource]] = {
            "AWS::KMS::Key": self._kms_key,
            "AWS::KMS::Alias": self._kms_alias,
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::DynamoDB::Table": self._table,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::CloudTrail::Trail": self._trail,
            "AWS::IAM::Role": self._role,
            "AWS::IAM::ManagedPolicy": self._managed_policy,
            "AWS::IAM::Policy": self._inline_policy,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::Events::Rule": self._rule,
        }

    def client(self, service: str) -> Any:
        if service not in self._clients:
            session: Any = boto3.session.Session()
            self._clients[service] = session.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - moto accepts any key
            )
        return self._clients[service]

    def provision(self, parameters: Mapping[str, str] | None = None) -> LocalStack:
        template = load_template()
        params = {name: str(spec.get("Default", "")) for name, spec in
                  template.get("Parameters", {}).items()}
        params.update(parameters or {})
        params["DeploymentName"] = (parameters or {}).get("DeploymentName", self.stack_name)
        resolver = Resolver(self.stack_name, self.region, params, template.get("Conditions", {}))
        declared: dict[str, dict[str, Any]] = template["Resources"]
        order = TopologicalSorter(
            {
                logical_id: {
                    ref for ref in (*references(spec.get("Properties", {})),
                                    *_depends_on(spec))
                    if ref in declared
                }
                for logical_id, spec in declared.items()
            }
        ).static_order()
        for logical_id in order:
            spec = declared[logical_id]
            if "Condition" in spec and not resolver.condition(spec["Condition"]):
                continue
            kind = spec["Type"]
            if kind in NOT_PROVISIONED_LOCALLY:
                continue
            handler = self._handlers.get(kind)
            if handler is None:
                raise TemplateError(f"{logical_id}: no local provisioning for {kind}")
            properties = resolver.resolve(spec.get("Properties", {}))
            resolver.resources[logical_id] = handler(logical_id, properties)
        environment = {
            name: str(resolver.resolve(value))
            for name, value in template["Globals"]["Function"]["Environment"]["Variables"].items()
        }
        outputs = {name: str(resolver.resolve(spec["Value"]))
                   for name, spec in template.get("Outputs", {}).items()}
        return LocalStack(self.stack_name, self.region, self.endpoint_url,
                          dict(resolver.resources), environment, outputs, resolver)

    def _physical_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    # ------------------------------------------------------------------ KMS
    def _kms_key(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        key = self.client("kms").create_key(
            Description=props.get("Description", logical_id),
            Policy=json.dumps(props["KeyPolicy"]),
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        )["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            self.client("kms").enable_key_rotation(KeyId=key["KeyId"])
        return ProvisionedResource(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})

    def _kms_alias(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        self.client("kms").create_alias(AliasName=props["AliasName"],
                                        TargetKeyId=props["TargetKeyId"])
        return ProvisionedResource(props["AliasName"])

    # ------------------------------------------------------------------ S3
    def _bucket(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        s3 = self.client("s3")
        name = props.get("BucketName") or self._physical_name(logical_id).lower()
        create: dict[str, Any] = {
            "Bucket": name, "ObjectLockEnabledForBucket": bool(props.get("ObjectLockEnabled"))}
        if self.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        s3.create_bucket(**create)
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name,
                                     VersioningConfiguration=props["VersioningConfiguration"])
        if "ObjectLockConfiguration" in props:
            s3.put_object_lock_configuration(
                Bucket=name, ObjectLockConfiguration=_object_lock(props["ObjectLockConfiguration"]))
        if "BucketEncryption" in props:
            rules = [
                {_ENCRYPTION_KEYS.get(key, key): value for key, value in rule.items()}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(Bucket=name,
                                             OwnershipControls=props["OwnershipControls"])
        if "LifecycleConfiguration" in props:
            rules = [{"Filter": {"Prefix": ""},
                      **{("ID" if key == "Id" else key): value for key, value in rule.items()}}
                     for rule in props["LifecycleConfiguration"]["Rules"]]
            s3.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "NotificationConfiguration" in props:
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration=_bucket_notifications(
                    props["NotificationConfiguration"]),
            )
        return ProvisionedResource(name, {"Arn": f"arn:aws:s3:::{name}",
                                          "DomainName": f"{name}.s3.amazonaws.com"})

    def _bucket_policy(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        document = dict(props["PolicyDocument"])
        # moto evaluates Deny statements without their conditions, so the TLS-only deny
        # (aws:SecureTransport = false) would refuse every request to the plain-HTTP local
        # endpoint. It is enforced in AWS and checked in the template by the security tests.
        document["Statement"] = [
            statement for statement in document["Statement"]
            if not (statement.get("Effect") == "Deny" and "Condition" in statement)
        ]
        self.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(document))
        return ProvisionedResource(props["Bucket"])

    # ------------------------------------------------------------------ SQS, CloudWatch
    def _queue(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        sqs = self.client("sqs")
        name = props.get("QueueName") or self._physical_name(logical_id)
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in props.items() if key != "QueueName"
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{self.region}:{LOCAL_ACCOUNT_ID}:{name}"
        return ProvisionedResource(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _queue_policy(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        for url in props["Queues"]:
            self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
        return ProvisionedResource(self._physical_name(logical_id))

    def _alarm(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        name = props.get("AlarmName") or self._physical_name(logical_id)
        self.client("cloudwatch").put_metric_alarm(AlarmName=name, **{
            key: value for key, value in props.items() if key != "AlarmName"})
        return ProvisionedResource(name)

    # ------------------------------------------------------------------ DynamoDB
    def _table(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        dynamodb = self.client("dynamodb")
        name = props.get("TableName") or self._physical_name(logical_id)
        create: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            create["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:
            create["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "SSESpecification" in props:
            sse = props["SSESpecification"]
            create["SSESpecification"] = {"Enabled": sse["SSEEnabled"], "SSEType": sse["SSEType"],
                                          "KMSMasterKeyId": sse["KMSMasterKeyId"]}
        if "DeletionProtectionEnabled" in props:
            create["DeletionProtectionEnabled"] = props["DeletionProtectionEnabled"]
        table = dynamodb.create_table(**create)["TableDescription"]
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(TableName=name,
                                         TimeToLiveSpecification=props["TimeToLiveSpecification"])
        if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        attributes = {"Arn": table["TableArn"]}
        if "LatestStreamArn" in table:
            attributes["StreamArn"] = table["LatestStreamArn"]
        return ProvisionedResource(name, attributes)

    # ------------------------------------------------------------------ Cognito
    def _user_pool(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        cognito = self.client("cognito-idp")
        name = props.get("UserPoolName") or self._physical_name(logical_id)
        passthrough = ("Policies", "Schema", "MfaConfiguration", "AdminCreateUserConfig",
                       "UsernameConfiguration", "DeletionProtection", "UserPoolAddOns",
                       "AutoVerifiedAttributes", "UsernameAttributes", "UserPoolTier")
        pool = cognito.create_user_pool(
            PoolName=name, **{key: props[key] for key in passthrough if key in props})["UserPool"]
        if "EnabledMfas" in props and "SOFTWARE_TOKEN_MFA" in props["EnabledMfas"]:
            cognito.set_user_pool_mfa_config(
                UserPoolId=pool["Id"],
                SoftwareTokenMfaConfiguration={"Enabled": True},
                MfaConfiguration=props.get("MfaConfiguration", "OPTIONAL"))
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        return ProvisionedResource(pool["Id"], {
            "Arn": pool["Arn"], "ProviderName": provider,
            "ProviderURL": f"https://{provider}", "UserPoolId": pool["Id"]})

    def _user_pool_client(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        passthrough = ("ExplicitAuthFlows", "GenerateSecret", "PreventUserExistenceErrors",
                       "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity",
                       "TokenValidityUnits", "WriteAttributes", "ReadAttributes")
        client = self.client("cognito-idp").create_user_pool_client(
            UserPoolId=props["UserPoolId"],
            ClientName=props.get("ClientName") or self._physical_name(logical_id),
            **{key: props[key] for key in passthrough if key in props},
        )["UserPoolClient"]
        return ProvisionedResource(client["ClientId"], {"ClientId": client["ClientId"]})

    def _user_pool_group(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        self.client("cognito-idp").create_group(
            UserPoolId=props["UserPoolId"], GroupName=props["GroupName"],
            Description=props.get("Description", ""))
        return ProvisionedResource(props["GroupName"])

    # ------------------------------------------------------------------ SNS, CloudTrail, IAM
    def _topic(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        attributes = {key: str(value) for key, value in props.items() if key != "TopicName"}
        arn = self.client("sns").create_topic(
            Name=props.get("TopicName") or self._physical_name(logical_id),
            Attributes=attributes)["TopicArn"]
        return ProvisionedResource(arn, {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[1]})

    def _subscription(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        arn = self.client("sns").subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"],
                                           Endpoint=props["Endpoint"])["SubscriptionArn"]
        return ProvisionedResource(arn)

    def _trail(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        cloudtrail = self.client("cloudtrail")
        name = props.get("TrailName") or self._physical_name(logical_id)
        trail = cloudtrail.create_trail(
            Name=name, S3BucketName=props["S3BucketName"],
            EnableLogFileValidation=props.get("EnableLogFileValidation", False),
            IncludeGlobalServiceEvents=props.get("IncludeGlobalServiceEvents", True),
            IsMultiRegionTrail=props.get("IsMultiRegionTrail", False),
            KmsKeyId=props.get("KMSKeyId", ""))
        if "AdvancedEventSelectors" in props:
            cloudtrail.put_event_selectors(TrailName=name,
                                           AdvancedEventSelectors=props["AdvancedEventSelectors"])
        if props.get("IsLogging"):
            cloudtrail.start_logging(Name=name)
        return ProvisionedResource(name, {"Arn": trail["TrailARN"]})

    def _role(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        iam = self.client("iam")
        name = props.get("RoleName") or self._physical_name(logical_id)
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
            props["AssumeRolePolicyDocument"]))["Role"]
        for policy in props.get("Policies", []):
            iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                                PolicyDocument=json.dumps(policy["PolicyDocument"]))
        for arn in props.get("ManagedPolicyArns", []):
            # moto server does not preload AWS-managed policies; only ours can be attached.
            if not arn.startswith("arn:aws:iam::aws:policy/"):
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        return ProvisionedResource(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    def _managed_policy(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        iam = self.client("iam")
        policy = iam.create_policy(
            PolicyName=props.get("ManagedPolicyName") or self._physical_name(logical_id),
            PolicyDocument=json.dumps(props["PolicyDocument"]))["Policy"]
        for role in props.get("Roles", []):
            iam.attach_role_policy(RoleName=role, PolicyArn=policy["Arn"])
        return ProvisionedResource(policy["Arn"])

    def _inline_policy(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        for role in props.get("Roles", []):
            self.client("iam").put_role_policy(
                RoleName=role, PolicyName=props["PolicyName"],
                PolicyDocument=json.dumps(props["PolicyDocument"]))
        return ProvisionedResource(props["PolicyName"])

    def _log_group(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        logs = self.client("logs")
        name = props.get("LogGroupName") or self._physical_name(logical_id)
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in props:
            logs.put_retention_policy(logGroupName=name,
                                      retentionInDays=int(props["RetentionInDays"]))
        arn = f"arn:aws:logs:{self.region}:{LOCAL_ACCOUNT_ID}:log-group:{name}:*"
        return ProvisionedResource(name, {"Arn": arn})

    def _rule(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        name = props.get("Name") or self._physical_name(logical_id)
        arn = self.client("events").put_rule(
            Name=name, ScheduleExpression=props.get("ScheduleExpression", ""),
            State=props.get("State", "ENABLED"))["RuleArn"]
        return ProvisionedResource(name, {"Arn": arn})


# CloudFormation and the S3 API spell the default-encryption key differently.
_ENCRYPTION_KEYS = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}


def _object_lock(config: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation's Object Lock shape in the S3 API's (periods are numbers there)."""
    lock: dict[str, Any] = {"ObjectLockEnabled": config.get("ObjectLockEnabled", "Enabled")}
    if "Rule" in config:
        retention = dict(config["Rule"]["DefaultRetention"])
        for period in ("Days", "Years"):
            if period in retention:
                retention[period] = int(retention[period])
        lock["Rule"] = {"DefaultRetention": retention}
    return lock


def _depends_on(spec: Mapping[str, Any]) -> list[str]:
    depends = spec.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else list(depends)


def _bucket_notifications(config: Mapping[str, Any]) -> dict[str, Any]:
    """Translate CloudFormation's notification shape into the S3 API's."""
    queues = []
    for entry in config.get("QueueConfigurations", []):
        item: dict[str, Any] = {"QueueArn": entry["Queue"], "Events": [entry["Event"]]}
        if "Filter" in entry:
            item["Filter"] = {"Key": {"FilterRules": entry["Filter"]["S3Key"]["Rules"]}}
        queues.append(item)
    return {"QueueConfigurations": queues}


def provision(endpoint_url: str, region: str = DEFAULT_REGION,
              stack_name: str = DEFAULT_STACK_NAME,
              parameters: Mapping[str, str] | None = None) -> LocalStack:
    """Create every template resource in the moto server at endpoint_url."""
    return Provisioner(endpoint_url, region, stack_name).provision(parameters)
