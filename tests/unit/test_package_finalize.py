from infra.package import finalize


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
