"""Deciding whether a caller may act (428.3.1, 428.4(e), 428.6(a)); accounts are administered in
services/user_lifecycle.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.adapters.identity import (
    AccountNotFound,
    CognitoAccount,
    TokenClaims,
    Unauthenticated,
    parse_day,
)
from chalicelib.domain.access import Caller, Permission, UserAccount
from chalicelib.domain.account_register import RegisterEntry
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.reads import parse_time
from chalicelib.policy.access import Refusal, account_refusal, permission_refusal
from chalicelib.policy.user_lifecycle import outside_change_refusal
from chalicelib.services.auditing import entry_for


class Identity(Protocol):
    def verify(self, token: str) -> TokenClaims: ...

    def account(self, username: str) -> CognitoAccount: ...


class AccessRecord(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def last_allowed_access(self, user_id: str) -> str | None: ...


class RegisterReader(Protocol):
    def get(self, username: str) -> RegisterEntry | None: ...


@dataclass(frozen=True)
class AccountDependencies:
    identity: Identity
    audit: AccessRecord
    # What Platekeeper decided about each account; Cognito must agree (policy/user_lifecycle).
    register: RegisterReader
    clock: Callable[[], datetime]
    mfa_for_plate_data: bool = True


class AccessRefused(Exception):
    """The caller may not do this; the refusal is already recorded."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass(frozen=True)
class RequestMeta:
    source_ip: str
    request_id: str
    action: str
    query: dict[str, str]
    purpose: str = ""
    case_number: str = ""


def authorize(token: str | None, permission: Permission, meta: RequestMeta,
              deps: AccountDependencies) -> Caller:
    """Authenticate the token, apply the account and role rules, record any refusal."""
    now = deps.clock()
    try:
        if not token:
            raise Unauthenticated("sign in first: no token was sent")
        claims = deps.identity.verify(token)
        cognito = deps.identity.account(claims.username)
        account = user_account(cognito, deps)
    except (Unauthenticated, AccountNotFound) as error:
        message = str(error) if isinstance(error, Unauthenticated) else "unknown account"
        _record_refusal(None, meta, "UNAUTHENTICATED", deps, now)
        raise AccessRefused(Refusal("UNAUTHENTICATED", message, 401)) from error
    caller = Caller(account, meta.source_ip, meta.request_id)
    refusal = (outside_change_refusal(cognito.username, cognito.groups, cognito.enabled,
                                      deps.register.get(cognito.username))
               or account_refusal(account, now.date(), now, deps.mfa_for_plate_data)
               or permission_refusal(account, permission))
    if refusal is not None:
        _record_refusal(caller, meta, refusal.code, deps, now)
        raise AccessRefused(refusal)
    return caller


def user_account(cognito: CognitoAccount, deps: AccountDependencies) -> UserAccount:
    """The access rules' view of an account: Cognito state plus last use from the record."""
    attributes = cognito.attributes
    last = deps.audit.last_allowed_access(cognito.user_id)
    return UserAccount(
        user_id=cognito.user_id, username=cognito.username,
        agency=attributes.get("custom:agency", ""), roles=cognito.groups,
        enabled=cognito.enabled, approved_by=attributes.get("custom:approved_by") or None,
        approved_at=parse_day(attributes.get("custom:approved_at")),
        training_date=parse_day(attributes.get("custom:training_date")),
        clets_cert_date=parse_day(attributes.get("custom:clets_cert_date")),
        mfa_enabled=cognito.mfa_enabled,
        last_access=parse_time(last) if last else None,
        vendor_training_date=parse_day(attributes.get("custom:vendor_training_date")),
    )


def _record_refusal(caller: Caller | None, meta: RequestMeta, code: str,
                    deps: AccountDependencies, now: datetime) -> None:
    deps.audit.append(entry_for(
        caller, meta.action, now, allowed=False, query=meta.query, purpose=meta.purpose,
        case_number=meta.case_number, refusal_code=code, source_ip=meta.source_ip,
        request_id=meta.request_id))
