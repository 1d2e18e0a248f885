"""python -m chalicelib.accounts bootstrap-admin --username NAME --email ADDRESS
       --clets-cert-date YYYY-MM-DD --vendor-training-date YYYY-MM-DD --training-date YYYY-MM-DD
       [--stack STACK] [--region REGION]

Run once after `aws cloudformation deploy`: creates the first administrator (the Administrative
Services Division Commander or designee, policy 428.3) in the stack's empty user pool. Cognito
e-mails them a temporary password; at first sign-in they set their own password and enrol an
authenticator app. It is refused when any administrator exists, and recorded in the access
record (allowed or refused) with the AWS identity that ran it. The three dates are the CLETS
access certification and the vendor's and the Police Training Unit's ALPR training (428.3.1(b)):
nobody else could record them for the first administrator.

--stack reads the deployment's resource names from the stack's API function (with the
deployer's AWS credentials); without it, the PLATEKEEPER_* variables of the environment name it,
or, when none is set, the local stack `make run` is serving. Exit status: 0 created; 1 refused
(an administrator exists, bad input); 2 the deployment could not be read or written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chalicelib import bootstrap
from chalicelib.adapters.deployment import StackNotFound, caller_arn, stack_environment
from chalicelib.adapters.errors import StorageError
from chalicelib.domain.errors import Refused
from chalicelib.services.user_lifecycle import Operator, bootstrap_admin
from chalicelib.settings import (
    SettingsError,
    adopt_local_stack_environment,
    load_settings,
    settings_environment,
)

PREFIX = "bootstrap-admin:"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    boot = commands.add_parser("bootstrap-admin", help="create the first administrator (once)")
    boot.add_argument("--username", required=True, help="e.g. commander.lee (lowercase)")
    boot.add_argument("--email", required=True, help="where Cognito sends the temporary password")
    boot.add_argument("--clets-cert-date", required=True, metavar="YYYY-MM-DD")
    boot.add_argument("--vendor-training-date", required=True, metavar="YYYY-MM-DD")
    boot.add_argument("--training-date", required=True, metavar="YYYY-MM-DD",
                      help="the Police Training Unit's ALPR training")
    boot.add_argument("--stack", default="", help="the CloudFormation stack (read from AWS)")
    boot.add_argument("--region", default="", help="the stack's region (default: AWS_REGION)")
    args = parser.parse_args(argv)
    try:
        container = _container(args.stack, args.region)
        operator = Operator(caller_arn(container.settings.region))
        result = bootstrap_admin({
            "username": args.username, "email": args.email,
            "clets_cert_date": args.clets_cert_date,
            "vendor_training_date": args.vendor_training_date,
            "training_date": args.training_date}, operator, container.user_lifecycle)
    except Refused as refused:
        print(f"{PREFIX} refused ({refused.code}): {refused.message}", file=sys.stderr)
        return 1
    except (SettingsError, StackNotFound, StorageError) as error:
        print(f"{PREFIX} could not reach the deployment: {error}", file=sys.stderr)
        return 2
    print(f"{PREFIX} administrator {result.username} created in user pool "
          f"{container.settings.user_pool_id} (access record {result.record_seq}, by "
          f"{operator.principal_arn}).")
    print(f"{PREFIX} Cognito e-mailed a temporary password to {args.email}; it expires after "
          "the pool's TemporaryPasswordValidityDays (3).")
    print(f"{PREFIX} at first sign-in (the console at <API>/console) they set their own "
          "password and enrol an authenticator app; then they invite a second administrator, "
          "who takes part in every two-person rule.")
    return 0


def _container(stack: str, region: str) -> bootstrap.Container:
    if stack:
        overrides = {"AWS_REGION": region} if region else {}
        settings = load_settings(settings_environment(
            {**stack_environment(stack, region or load_settings_region()), **overrides}))
        return bootstrap.Container(settings)
    adopt_local_stack_environment()
    return bootstrap.container()


def load_settings_region() -> str:
    """The region to read the stack in when --region is not given."""
    return settings_environment({}).get("AWS_REGION") or "us-west-2"


if __name__ == "__main__":
    sys.exit(main())
