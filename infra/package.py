"""Package the application for CloudFormation: `chalice package`, then the wiring it cannot express.

`chalice package --merge-template infra/template.yaml` emits the functions, the REST API and our
resources in one SAM template. What Chalice's configuration cannot say is finished here:

* roles and layers named in .chalice/config.json by the logical id of a template resource
  (Chalice only takes literal ARN strings there) become references to those resources;
* SQS event sources report partial batch failures (powertools' BatchProcessor relies on it,
  otherwise one bad message would make the whole batch retry or be dropped) and scale to at
  most INGEST_MAX_CONCURRENCY pollers (below the function's reserved concurrency, so a flood is
  queued rather than throttled into the dead-letter queue);
* the deployment is hardened (checked by checkov in `make test`): function environments are
  encrypted with the data key; scheduled runs that fail for good go to FunctionFailuresQueue,
  as do stream batches the purge cannot process (bounded retries, bisected); the API traces
  with X-Ray and writes an access log; every remaining checkov finding is skipped on its
  resource with the reason (FUNCTION_SKIPS, API_SKIPS);
* the recognition layer zip built by `make layer` is placed beside the packaged template.

Usage: python -m infra.package STAGE OUTPUT_DIR [--layer-zip PATH]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LAYER_ZIP_NAME = "recognition-layer.zip"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


INGEST_MAX_CONCURRENCY = 10
STREAM_MAX_RETRIES = 10
FAILURES_QUEUE = "FunctionFailuresQueue"
DATA_KEY = "DataKey"
ACCESS_LOG_GROUP = "ApiAccessLogGroup"
# What the API access log keeps: no path (it may hold ids or user names), no query string, no
# body; the route template, who called from where, and how it went.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","time":"$context.requestTime",'
    '"sourceIp":"$context.identity.sourceIp","method":"$context.httpMethod",'
    '"route":"$context.resourcePath","status":"$context.status",'
    '"bytes":"$context.responseLength","latencyMs":"$context.responseLatency",'
    '"error":"$context.error.responseType"}')

_VPC_REASON = (
    "What a VPC would add: egress control (the function could reach only VPC endpoints, whose "
    "policies could pin S3, DynamoDB, SQS, SNS, KMS, STS and Cognito to this deployment's "
    "resources) and flow logs. What it would not add: no database or service of ours listens "
    "on a network, every call is to an AWS API authenticated and authorized by IAM, the data is "
    "protected by IAM, KMS and bucket policies, and CloudTrail records each call; a VPC would "
    "not change who may read a plate. It costs NAT or ten interface endpoints and slower cold "
    "starts. An agency whose security assessment requires one attaches VpcConfig here.")
_SYNC_DLQ_REASON = (
    "Invoked synchronously by API Gateway only: a function dead-letter queue receives failed "
    "asynchronous invocations, which never happen here; a failed request returns an error to "
    "its caller and is recorded in the access record.")
_SQS_DLQ_REASON = (
    "Invoked only by its SQS event source: failures stay on IngestQueue, whose redrive policy "
    "moves a message to IngestDeadLetterQueue after five receives (with the reason as an "
    "attribute); a function dead-letter queue would never receive anything.")
_STREAM_DLQ_REASON = (
    "Invoked only by its DynamoDB stream: a function dead-letter queue receives failed "
    "asynchronous invocations only; a batch that fails ten bisected retries goes to the event "
    "source's on-failure destination, FunctionFailuresQueue (alarmed).")
# checkov findings that do not apply, by Chalice's logical id of the function, with the reason.
FUNCTION_SKIPS: dict[str, dict[str, str]] = {
    "APIHandler": {"CKV_AWS_116": _SYNC_DLQ_REASON, "CKV_AWS_117": _VPC_REASON},
    "Ingest": {"CKV_AWS_116": _SQS_DLQ_REASON, "CKV_AWS_117": _VPC_REASON},
    "PurgeImages": {"CKV_AWS_116": _STREAM_DLQ_REASON, "CKV_AWS_117": _VPC_REASON},
    "PurgeReads": {"CKV_AWS_116": _STREAM_DLQ_REASON, "CKV_AWS_117": _VPC_REASON},
    "RetentionCheck": {"CKV_AWS_117": _VPC_REASON},
    "MonthlyAudit": {"CKV_AWS_117": _VPC_REASON},
    "Checkpoint": {"CKV_AWS_117": _VPC_REASON},
}
API_SKIPS: dict[str, str] = {
    "CKV_AWS_120": (
        "API caching must stay off: every access to ALPR data is written to the access record "
        "before data is returned (Civil Code 1798.90.52, policy 428.3.1(d)), and a cached answer "
        "would be served without a record, to a caller whose account, training or purpose was "
        "never checked, and would keep plate data in a cache outside retention and holds."),
}


def finalize(template: dict[str, Any]) -> dict[str, Any]:
    """Turn logical-id strings into references, enable partial batch responses, harden."""
    resources: dict[str, Any] = template["Resources"]
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::Serverless::Api":
            _harden_api(resource, resources)
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        role = properties.get("Role")
        if isinstance(role, str) and role in resources:
            properties["Role"] = {"Fn::GetAtt": [role, "Arn"]}
        if "Layers" in properties:
            properties["Layers"] = [
                {"Ref": layer} if isinstance(layer, str) and layer in resources else layer
                for layer in properties["Layers"]
            ]
        for event in properties.get("Events", {}).values():
            if event.get("Type") == "SQS":
                event["Properties"]["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        _harden_function(logical_id, resource, resources)
    return template


def _harden_function(logical_id: str, resource: dict[str, Any],
                     resources: dict[str, Any]) -> None:
    properties = resource["Properties"]
    if DATA_KEY in resources:
        properties["KmsKeyArn"] = {"Fn::GetAtt": [DATA_KEY, "Arn"]}
    failures = ({"Fn::GetAtt": [FAILURES_QUEUE, "Arn"]} if FAILURES_QUEUE in resources
                else None)
    events = properties.get("Events", {}).values()
    if failures and any(event.get("Type") == "Schedule" for event in events):
        properties["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": failures}
    for event in events:
        source = event.get("Properties", {})
        if event.get("Type") == "SQS":
            source["ScalingConfig"] = {"MaximumConcurrency": INGEST_MAX_CONCURRENCY}
        if event.get("Type") == "DynamoDB" and failures:
            source["MaximumRetryAttempts"] = STREAM_MAX_RETRIES
            source["BisectBatchOnFunctionError"] = True
            source["DestinationConfig"] = {"OnFailure": {"Type": "SQS",
                                                         "Destination": failures}}
    _skip(resource, FUNCTION_SKIPS.get(logical_id, {}))


def _harden_api(resource: dict[str, Any], resources: dict[str, Any]) -> None:
    properties = resource["Properties"]
    properties["TracingEnabled"] = True
    properties["CacheClusterEnabled"] = False
    if ACCESS_LOG_GROUP in resources:
        properties["AccessLogSetting"] = {
            "DestinationArn": {"Fn::GetAtt": [ACCESS_LOG_GROUP, "Arn"]},
            "Format": ACCESS_LOG_FORMAT}
    properties["MethodSettings"] = [{"ResourcePath": "/*", "HttpMethod": "*",
                                     "MetricsEnabled": True, "CachingEnabled": False,
                                     "DataTraceEnabled": False}]
    _skip(resource, API_SKIPS)


def _skip(resource: dict[str, Any], reasons: dict[str, str]) -> None:
    """checkov's inline skip: Metadata.checkov.skip, each with its reason."""
    if reasons:
        skips = resource.setdefault("Metadata", {}).setdefault("checkov", {}).setdefault(
            "skip", [])
        skips.extend({"id": check, "comment": reason} for check, reason in reasons.items())


def package(stage: str, output: Path, layer_zip: Path | None) -> Path:
    """Run chalice package for the stage and finalize the template in place."""
    if output.exists():
        shutil.rmtree(output)
    subprocess.run(  # noqa: S603 - fixed arguments, our own CLI
        [str(Path(sys.executable).with_name("chalice")), "package", "--stage", stage,
         "--merge-template", "infra/template.yaml", "--template-format", "yaml", str(output)],
        cwd=ROOT, check=True)
    template_path = output / "sam.yaml"
    template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
    template_path.write_text(yaml.safe_dump(finalize(template), sort_keys=False),
                             encoding="utf-8")
    if layer_zip is not None:
        shutil.copyfile(layer_zip, output / LAYER_ZIP_NAME)
        check_unzipped_size(output / "deployment.zip", output / LAYER_ZIP_NAME)
    return template_path


def unzipped_size(archive: Path) -> int:
    with zipfile.ZipFile(archive) as opened:
        return sum(info.file_size for info in opened.infolist())


def check_unzipped_size(function_zip: Path, layer_zip: Path) -> int:
    """Lambda refuses a function whose code plus layers exceed 250 MB unzipped."""
    total = unzipped_size(function_zip) + unzipped_size(layer_zip)
    print(f"package: function + layer = {total / 2**20:.1f} MB unzipped "
          f"(Lambda's limit: {LAMBDA_UNZIPPED_LIMIT / 2**20:.0f} MB)")
    if total > LAMBDA_UNZIPPED_LIMIT:
        raise SystemExit("function package plus recognition layer exceed the Lambda limit")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("stage", choices=["dev", "prod"])
    parser.add_argument("output", type=Path)
    parser.add_argument("--layer-zip", type=Path, default=None)
    args = parser.parse_args(argv)
    print(package(args.stage, args.output, args.layer_zip))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
