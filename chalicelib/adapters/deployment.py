"""A deployed stack's settings, read from AWS, for command-line tools run by the deployer.

The functions get their resource names from the template's Globals; the API function's
environment is therefore the exact list a command needs (`--stack NAME` instead of a dozen
PLATEKEEPER_* variables). And the AWS identity running a command, which the access record names.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.errors import translate

# Chalice's name for the API function in the packaged template.
API_FUNCTION = "APIHandler"


class StackNotFound(LookupError):
    """No such stack, or it has no API function."""


def stack_environment(stack_name: str, region: str) -> dict[str, str]:
    """The environment variables of the stack's API function."""
    cloudformation: Any = aws.client("cloudformation", region)
    lambda_client: Any = aws.client("lambda", region)
    try:
        resource = cloudformation.describe_stack_resource(
            StackName=stack_name, LogicalResourceId=API_FUNCTION)["StackResourceDetail"]
        configuration = lambda_client.get_function_configuration(
            FunctionName=resource["PhysicalResourceId"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"ValidationError",
                                                           "ResourceNotFoundException"}:
            raise StackNotFound(f"stack {stack_name!r} has no function {API_FUNCTION} in "
                                f"{region}") from error
        raise translate(error, "read the stack's settings") from error
    return {str(name): str(value) for name, value in
            configuration.get("Environment", {}).get("Variables", {}).items()}


def caller_arn(region: str) -> str:
    """The ARN of the AWS identity running this process (who the access record names)."""
    sts: Any = aws.client("sts", region)
    try:
        return str(sts.get_caller_identity()["Arn"])
    except ClientError as error:
        raise translate(error, "identify the AWS caller") from error
