"""Demo data for the local stack: users in every role state the demo needs, and reads placed
the way the ingest writes them (local only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import boto3

from chalicelib.bootstrap import Container
from chalicelib.domain.reads import Read
from chalicelib.settings import load_settings


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    group: str
    training_date: str
    clets_cert_date: str
    approved: bool = True
    mfa: bool = False
    approved_on: str = ""


def demo_users(today: date) -> list[DemoUser]:
    recent = (today - timedelta(days=120)).isoformat()
    approved = (today - timedelta(days=7)).isoformat()
    return [
        DemoUser(
            "admin.demo",
            "Admin-Demo-2026!pk",
            "administrator",
            recent,
            recent,
            mfa=True,
            approved_on=approved,
        ),
        # A second administrator: every two-person rule needs one (policy/separation_of_duties).
        DemoUser(
            "admin2.demo",
            "Admin2-Demo-2026!pk",
            "administrator",
            recent,
            recent,
            mfa=True,
            approved_on=approved,
        ),
        DemoUser(
            "records.demo",
            "Records-Demo-2026!pk",
            "records_specialist",
            recent,
            recent,
            approved_on=approved,
        ),
        DemoUser(
            "vendor.demo",
            "Vendor-Demo-2026!pk",
            "vendor_representative",
            recent,
            recent,
            approved_on=approved,
        ),
        DemoUser(
            "officer.demo",
            "Officer-Demo-2026!pk",
            "sworn_officer",
            recent,
            recent,
            approved_on=approved,
        ),
        DemoUser(
            "analyst.demo",
            "Analyst-Demo-2026!pk",
            "crime_analyst",
            recent,
            recent,
            approved_on=approved,
        ),
        DemoUser(
            "auditor.demo", "Auditor-Demo-2026!pk", "auditor", recent, recent, approved_on=approved
        ),
        # CLETS certification older than two years: refused by 428.3.1(b).
        DemoUser(
            "expired.demo",
            "Expired-Demo-2026!pk",
            "sworn_officer",
            recent,
            (today - timedelta(days=800)).isoformat(),
            approved_on=approved,
        ),
    ]


# moto accepts any six digits for a software token; AWS checks the authenticator app's code.
LOCAL_MFA_CODE = "123456"


def seed_users(user_pool_id: str, client_id: str, today: date) -> list[DemoUser]:
    """Create the demo users with permanent passwords, groups and training records."""
    users = demo_users(today)
    for user in users:
        create_user(user_pool_id, client_id, user)
    return users


def create_user(user_pool_id: str, client_id: str, user: DemoUser) -> None:
    """One user with a permanent password, group, training record and optional TOTP MFA."""
    cognito: Any = boto3.client("cognito-idp")
    attributes = [
        {"Name": "email", "Value": f"{user.username}@example.invalid"},
        {"Name": "custom:agency", "Value": "Demo Police Department"},
        {"Name": "custom:training_date", "Value": user.training_date},
        {"Name": "custom:clets_cert_date", "Value": user.clets_cert_date},
    ]
    if user.approved:
        attributes += [
            {"Name": "custom:approved_by", "Value": "admin.demo"},
            {"Name": "custom:approved_at", "Value": user.approved_on or user.training_date},
        ]
    cognito.admin_create_user(
        UserPoolId=user_pool_id,
        Username=user.username,
        UserAttributes=attributes,
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=user_pool_id, Username=user.username, Password=user.password, Permanent=True
    )
    cognito.admin_add_user_to_group(
        UserPoolId=user_pool_id, Username=user.username, GroupName=user.group
    )
    if user.mfa:
        _enable_totp(cognito, user_pool_id, client_id, user)


def _enable_totp(cognito: Any, user_pool_id: str, client_id: str, user: DemoUser) -> None:
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password},
    )["AuthenticationResult"]
    cognito.associate_software_token(AccessToken=tokens["AccessToken"])
    cognito.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=LOCAL_MFA_CODE)
    cognito.admin_set_user_mfa_preference(
        UserPoolId=user_pool_id,
        Username=user.username,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )


def store_reads(environment: Mapping[str, str], reads: Iterable[Read]) -> None:
    """Write reads as the ingest does (plate index entries first, then the read), for tests and
    the benchmarks that place reads without recognizing frames."""
    writer = Container(load_settings(environment)).indexed_reads
    for read in reads:
        writer.put_new(read)
