from typing import Any

from infra.package import API_SKIPS, FUNCTION_SKIPS, finalize


def test_logical_ids_become_references_and_sqs_reports_partial_failures() -> None:
    template = {"Resources": {
        "IngestRole": {"Type": "AWS::IAM::Role"},
        "Layer": {"Type": "AWS::Serverless::LayerVersion"},
        "Ingest": {"Type": "AWS::Serverless::Function", "Properties": {
            "Role": "IngestRole",
            "Layers": ["Layer", "arn:aws:lambda:us-west-2:1:layer:other:1"],
            "Events": {"Q": {"Type": "SQS", "Properties": {"Queue": "arn"}},
                       "S": {"Type": "DynamoDB", "Properties": {"Stream": "arn"}}},
        }},
    }}
    properties = finalize(template)["Resources"]["Ingest"]["Properties"]
    assert properties["Role"] == {"Fn::GetAtt": ["IngestRole", "Arn"]}
    assert properties["Layers"] == [{"Ref": "Layer"}, "arn:aws:lambda:us-west-2:1:layer:other:1"]
    assert properties["Events"]["Q"]["Properties"]["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"]
    assert "FunctionResponseTypes" not in properties["Events"]["S"]["Properties"]


def packaged_like_chalice() -> dict[str, Any]:
    """The shapes `chalice package` emits for our functions and API, plus our resources."""
    def function(events: dict[str, Any]) -> dict[str, Any]:
        return {"Type": "AWS::Serverless::Function", "Properties": {"Events": events}}

    return {"Resources": {
        "DataKey": {"Type": "AWS::KMS::Key"},
        "FunctionFailuresQueue": {"Type": "AWS::SQS::Queue"},
        "ApiAccessLogGroup": {"Type": "AWS::Logs::LogGroup"},
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "api"}},
        "APIHandler": function({}),
        "Ingest": function({"Q": {"Type": "SQS", "Properties": {"Queue": "arn"}}}),
        "PurgeReads": function({"S": {"Type": "DynamoDB", "Properties": {"Stream": "arn"}}}),
        "MonthlyAudit": function({"E": {"Type": "Schedule",
                                        "Properties": {"Schedule": "cron(0 6 1 * ? *)"}}}),
    }}


def test_functions_are_hardened_and_their_skips_carry_reasons() -> None:
    resources = finalize(packaged_like_chalice())["Resources"]
    for name in ("APIHandler", "Ingest", "PurgeReads", "MonthlyAudit"):
        assert resources[name]["Properties"]["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    failures = {"Fn::GetAtt": ["FunctionFailuresQueue", "Arn"]}
    assert resources["MonthlyAudit"]["Properties"]["DeadLetterQueue"] == {
        "Type": "SQS", "TargetArn": failures}
    stream = resources["PurgeReads"]["Properties"]["Events"]["S"]["Properties"]
    assert stream["DestinationConfig"] == {"OnFailure": {"Type": "SQS",
                                                         "Destination": failures}}
    assert stream["MaximumRetryAttempts"] > 0 and stream["BisectBatchOnFunctionError"]
    sqs = resources["Ingest"]["Properties"]["Events"]["Q"]["Properties"]
    assert sqs["ScalingConfig"]["MaximumConcurrency"] >= 2
    skipped = {skip["id"] for skip in resources["Ingest"]["Metadata"]["checkov"]["skip"]}
    assert skipped == {"CKV_AWS_116", "CKV_AWS_117"}


def test_the_api_traces_logs_access_and_never_caches() -> None:
    api = finalize(packaged_like_chalice())["Resources"]["RestAPI"]
    properties = api["Properties"]
    assert properties["TracingEnabled"] is True
    assert properties["CacheClusterEnabled"] is False
    assert all(setting["CachingEnabled"] is False for setting in properties["MethodSettings"])
    log = properties["AccessLogSetting"]
    assert log["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    # Route templates, never paths (ids, user names) or query strings (purpose, case number).
    assert "$context.resourcePath" in log["Format"]
    assert "$context.path" not in log["Format"] and "querystring" not in log["Format"].lower()
    [skip] = api["Metadata"]["checkov"]["skip"]
    assert skip["id"] == "CKV_AWS_120" and "access record" in skip["comment"]


def every_skip() -> list[tuple[str, str, str]]:
    """(resource, check, reason) of every checkov skip in the template and in finalize."""
    from local_stack.template import load_template

    found = [(name, check, reason) for name, reasons in FUNCTION_SKIPS.items()
             for check, reason in reasons.items()]
    found += [("RestAPI", check, reason) for check, reason in API_SKIPS.items()]
    for name, spec in load_template()["Resources"].items():
        for skip in spec.get("Metadata", {}).get("checkov", {}).get("skip", []):
            found.append((name, skip["id"], skip.get("comment", "")))
    return found


def test_every_checkov_skip_says_why() -> None:
    skips = every_skip()
    assert len(skips) >= 10
    for name, check, reason in skips:
        assert check.startswith("CKV_AWS_"), name
        assert len(reason.split()) >= 15, f"{name} {check}: give the reason, not a label"


def test_the_vpc_skip_says_what_a_vpc_would_and_would_not_add() -> None:
    reasons = {reason for _, check, reason in every_skip() if check == "CKV_AWS_117"}
    [reason] = reasons
    assert "What a VPC would add" in reason and "What it would not add" in reason
