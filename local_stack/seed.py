"""Demo data for the local stack: users in every role state the demo needs, and reads placed
the way the ingest writes them (local only).

There is one of each account state the access rules care about: an expired CLETS certification
(expired.demo), an idle account (idle.demo), one not approved (unapproved.demo), a disabled one
(disabled.demo), and an invited person who has not signed in yet (newhire.demo, whose password
is the temporary one an invitation e-mail would carry). Each is written to the account register
with its invitation in the access record (by "local-seed"), as if an administrator had invited
it, so that Cognito, the register and the record agree as they do for invited users.

Every user whose role sees plate data enrols an authenticator the way a person would
(AssociateSoftwareToken, then VerifySoftwareToken with a real code computed from the secret),
and the secret is remembered here so that `ApiClient.login` can answer the sign-in challenge
with the current code. The local stack runs moto with TOTP checking switched on
(MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP), so a wrong code is refused locally as on AWS.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from chalicelib.adapters.account_register import AccountRegister
from chalicelib.adapters.audit_log import AuditLog
from chalicelib.bootstrap import Container
from chalicelib.domain.access import Role
from chalicelib.domain.account_register import AccountAction, RegisterEntry
from chalicelib.domain.audit import ALLOWED, AuditEntry
from chalicelib.domain.reads import Read, format_time
from chalicelib.settings import load_settings

TOTP_STEP_SECONDS = 30
# A code this close to the end of its 30-second step may be checked in the next one; wait.
TOTP_SAFETY_SECONDS = 3
# Secrets of the users seeded in this process, by case-folded username.
TOTP_SECRETS: dict[str, str] = {}


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    group: str
    training_date: str
    clets_cert_date: str
    approved: bool = True
    mfa: bool = True
    approved_on: str = ""
    extra_groups: tuple[str, ...] = ()
    totp_secret: str = ""
    # The vendor's training (428.3.1(b)); None: the same day as the department's.
    vendor_training_date: str | None = None
    enabled: bool = True
    # Invited but not signed in yet: `password` is the temporary one.
    invited: bool = False

    @property
    def groups(self) -> tuple[str, ...]:
        return (self.group, *self.extra_groups)


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
        # A sergeant: a sworn officer who may approve another officer's extended search.
        DemoUser(
            "sergeant.demo",
            "Sergeant-Demo-2026!pk",
            "sworn_officer",
            recent,
            recent,
            approved_on=approved,
            extra_groups=("supervisor",),
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
        # Approved 100 days ago and never used since: idle, until an administrator re-approves.
        DemoUser("idle.demo", "Idle-Demo-2026!pk", "sworn_officer", recent, recent,
                 approved_on=(today - timedelta(days=100)).isoformat()),
        # Trained and certified, but nobody approved the account yet (428.3.1(a)).
        DemoUser("unapproved.demo", "Unapproved-Demo-2026!pk", "crime_analyst", recent, recent,
                 approved=False),
        # Disabled by an administrator.
        DemoUser("disabled.demo", "Disabled-Demo-2026!pk", "dispatcher", recent, recent,
                 approved_on=approved, enabled=False),
        # Invited: the first sign-in sets a password and enrols an authenticator.
        DemoUser("newhire.demo", "Newhire-Temp-2026!pk", "dispatcher", "", "", approved=False,
                 mfa=False, invited=True),
    ]


def seed_users(user_pool_id: str, client_id: str, today: date) -> list[DemoUser]:
    """Create the demo users with permanent passwords, groups, training and authenticators."""
    return [create_user(user_pool_id, client_id, user) for user in demo_users(today)]


def create_user(user_pool_id: str, client_id: str, user: DemoUser) -> DemoUser:
    """One user with a permanent password (or, invited, a temporary one), groups, training
    record and, when `mfa`, an enrolled authenticator, entered in the account register with its
    invitation in the access record; returns the user with its TOTP secret."""
    cognito: Any = boto3.client("cognito-idp")
    vendor = user.training_date if user.vendor_training_date is None else user.vendor_training_date
    attributes = [
        {"Name": "email", "Value": f"{user.username}@example.invalid"},
        {"Name": "custom:agency", "Value": "Demo Police Department"},
        *({"Name": name, "Value": value} for name, value in (
            ("custom:training_date", user.training_date),
            ("custom:vendor_training_date", vendor),
            ("custom:clets_cert_date", user.clets_cert_date)) if value),
    ]
    if user.approved:
        attributes += [
            {"Name": "custom:approved_by", "Value": "admin.demo"},
            {"Name": "custom:approved_at", "Value": user.approved_on or user.training_date},
        ]
    _register(user)
    cognito.admin_create_user(
        UserPoolId=user_pool_id,
        Username=user.username,
        UserAttributes=attributes,
        MessageAction="SUPPRESS",
        **({"TemporaryPassword": user.password} if user.invited else {}),
    )
    if not user.invited:
        cognito.admin_set_user_password(
            UserPoolId=user_pool_id, Username=user.username, Password=user.password,
            Permanent=True)
    for group in user.groups:
        cognito.admin_add_user_to_group(
            UserPoolId=user_pool_id, Username=user.username, GroupName=group
        )
    secret = ""
    if user.mfa and not user.invited:
        secret = _enable_totp(cognito, user_pool_id, client_id, user)
        TOTP_SECRETS[user.username.casefold()] = secret
    if not user.enabled:
        cognito.admin_disable_user(UserPoolId=user_pool_id, Username=user.username)
    return replace(user, totp_secret=secret) if secret else user


SEED_ACTOR = "local-seed"


def _register(user: DemoUser) -> None:
    """The account register's entry and the access record's invitation (and disabling) of a
    demo user, as an administrator's invitation would leave them."""
    settings = load_settings()
    dynamodb: Any = boto3.client("dynamodb")
    audit = AuditLog(dynamodb, settings.audit_table)
    supervisor = "supervisor" in user.extra_groups
    now = format_time(datetime.now(UTC))

    def record(action: str, query: dict[str, str]) -> int:
        return audit.append(AuditEntry(
            at=now, user_id=SEED_ACTOR, username=SEED_ACTOR, agency="", role="seed",
            action=action, outcome=ALLOWED, query={"target": user.username, **query},
            result_count=1)).seq

    seq = record(AccountAction.INVITE, {"role": user.group, "reason": "local demo user",
                                        "supervisor": "true" if supervisor else "false"})
    if not user.enabled:
        seq = record(AccountAction.DISABLE, {"enabled": "false", "reason": "local demo user"})
    AccountRegister(dynamodb, settings.account_register_table).put_new(RegisterEntry(
        username=user.username, role=Role(user.group), supervisor=supervisor,
        enabled=user.enabled, created_by=SEED_ACTOR, created_at=now, last_seq=seq))


def one_time_code(secret: str, at: float | None = None) -> str:
    """The current six-digit TOTP code of a secret (RFC 6238, as authenticator apps compute)."""
    if at is None:
        remaining = TOTP_STEP_SECONDS - time.time() % TOTP_STEP_SECONDS
        if remaining < TOTP_SAFETY_SECONDS:
            time.sleep(remaining + 0.1)
        at = time.time()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    # moto hands every user one short secret; AWS's are 160 bits. Both are checked like this.
    totp = TOTP(key, 6, SHA1(), TOTP_STEP_SECONDS,  # noqa: S303 - RFC 6238 TOTP is HMAC-SHA1
                enforce_key_length=False)
    return totp.generate(int(at)).decode()


def code_for(username: str) -> str | None:
    """The current code of a user seeded in this process (None for users without one)."""
    secret = TOTP_SECRETS.get(username.casefold())
    return one_time_code(secret) if secret else None


def _enable_totp(cognito: Any, user_pool_id: str, client_id: str, user: DemoUser) -> str:
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.username, "PASSWORD": user.password},
    )["AuthenticationResult"]
    secret = str(cognito.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"])
    cognito.verify_software_token(AccessToken=tokens["AccessToken"],
                                  UserCode=one_time_code(secret))
    cognito.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret


def store_reads(environment: Mapping[str, str], reads: Iterable[Read]) -> None:
    """Write reads as the ingest does (plate index entries first, then the read), for tests and
    the benchmarks that place reads without recognizing frames."""
    writer = Container(load_settings(environment)).indexed_reads
    for read in reads:
        writer.put_new(read)
