"""Demo data for the local stack: users in every role state the demo needs (local only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import boto3


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    group: str
    training_date: str
    clets_cert_date: str
    approved: bool = True


def demo_users(today: date) -> list[DemoUser]:
    recent = (today - timedelta(days=120)).isoformat()
    return [
        DemoUser("admin.demo", "Admin-Demo-2026!pk", "administrator", recent, recent),
        DemoUser("officer.demo", "Officer-Demo-2026!pk", "sworn_officer", recent, recent),
        DemoUser("analyst.demo", "Analyst-Demo-2026!pk", "crime_analyst", recent, recent),
        DemoUser("auditor.demo", "Auditor-Demo-2026!pk", "auditor", recent, recent),
        # CLETS certification older than two years: refused by 428.3.1(b).
        DemoUser("expired.demo", "Expired-Demo-2026!pk", "sworn_officer", recent,
                 (today - timedelta(days=800)).isoformat()),
    ]


def seed_users(user_pool_id: str, today: date) -> list[DemoUser]:
    """Create the demo users with permanent passwords, groups and training records."""
    cognito: Any = boto3.client("cognito-idp")
    users = demo_users(today)
    for user in users:
        attributes = [
            {"Name": "email", "Value": f"{user.username}@example.invalid"},
            {"Name": "custom:agency", "Value": "Demo Police Department"},
            {"Name": "custom:training_date", "Value": user.training_date},
            {"Name": "custom:clets_cert_date", "Value": user.clets_cert_date},
        ]
        if user.approved:
            attributes += [{"Name": "custom:approved_by", "Value": "admin.demo"},
                           {"Name": "custom:approved_at", "Value": user.training_date}]
        cognito.admin_create_user(UserPoolId=user_pool_id, Username=user.username,
                                  UserAttributes=attributes, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=user_pool_id, Username=user.username,
                                        Password=user.password, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.username,
                                        GroupName=user.group)
    return users
