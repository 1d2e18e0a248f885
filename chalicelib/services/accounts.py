"""Signing in, deciding whether a caller may act, and administering accounts (428.3.1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from chalicelib.adapters.identity import (
    AccountNotFound,
    CognitoAccount,
    TokenClaims,
    Unauthenticated,
    parse_day,
)
from chalicelib.domain.access import Caller, Permission, Role, UserAccount
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import parse_time
from chalicelib.policy.access import Refusal, account_refusal, permission_refusal
from chalicelib.policy.separation_of_duties import (
    AdministratorChange,
    administrator_change_refusal,
)
from chalicelib.services.auditing import entry_for


class Identity(Protocol):
    def verify(self, token: str) -> TokenClaims: ...

    def account(self, username: str) -> CognitoAccount: ...

    def update_attributes(self, username: str, values: dict[str, str]) -> None: ...

    def set_enabled(self, username: str, enabled: bool) -> None: ...

    def list_accounts(self) -> list[CognitoAccount]: ...


class AccessRecord(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def last_allowed_access(self, user_id: str) -> str | None: ...


@dataclass(frozen=True)
class AccountDependencies:
    identity: Identity
    audit: AccessRecord
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
        account = user_account(deps.identity.account(claims.username), deps)
    except (Unauthenticated, AccountNotFound) as error:
        message = str(error) if isinstance(error, Unauthenticated) else "unknown account"
        _record_refusal(None, meta, "UNAUTHENTICATED", deps, now)
        raise AccessRefused(Refusal("UNAUTHENTICATED", message, 401)) from error
    caller = Caller(account, meta.source_ip, meta.request_id)
    refusal = (account_refusal(account, now.date(), now, deps.mfa_for_plate_data)
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
    )


def _record_refusal(caller: Caller | None, meta: RequestMeta, code: str,
                    deps: AccountDependencies, now: datetime) -> None:
    deps.audit.append(entry_for(
        caller, meta.action, now, allowed=False, query=meta.query, purpose=meta.purpose,
        case_number=meta.case_number, refusal_code=code, source_ip=meta.source_ip,
        request_id=meta.request_id))


# ---------------------------------------------------------------------- administration
class AdminRefused(Refused):
    """An administrative change that is not valid (bad date, unknown user, ...)."""


def list_users(caller: Caller, deps: AccountDependencies) -> list[UserAccount]:
    now = deps.clock()
    accounts = [user_account(account, deps) for account in deps.identity.list_accounts()]
    deps.audit.append(entry_for(caller, "list_users", now, allowed=True,
                                result_count=len(accounts)))
    return accounts


def approve_user(username: str, caller: Caller, deps: AccountDependencies) -> None:
    """Approve (or re-approve an idle) account; the approval date restarts the idle clock."""
    today = deps.clock().date().isoformat()
    _change(username, caller, deps, "approve_user",
            {"custom:approved_by": caller.account.username, "custom:approved_at": today})


def record_training(username: str, training_date: str, clets_cert_date: str, caller: Caller,
                    deps: AccountDependencies) -> None:
    today = deps.clock().date()
    values = {"custom:training_date": _past_day(training_date, "training_date", today),
              "custom:clets_cert_date": _past_day(clets_cert_date, "clets_cert_date", today)}
    _change(username, caller, deps, "record_training", values)


def set_enabled(username: str, enabled: bool, caller: Caller, deps: AccountDependencies) -> None:
    """Enable or disable an account; disabling may not leave the program without an active
    administrator, or leave the caller as the only one (policy/separation_of_duties.py)."""
    now = deps.clock()
    action = "enable_user" if enabled else "disable_user"
    try:
        if not enabled:
            _check_administrator_change(username, AdministratorChange.DISABLE, caller, deps)
        deps.identity.set_enabled(username, enabled)
    except AccountNotFound as error:
        raise AdminRefused("USER_NOT_FOUND", "no user has this username", 404) from error
    except AdminRefused as refused:
        deps.audit.append(entry_for(caller, action, now, allowed=False,
                                    refusal_code=refused.code, query={"target": username}))
        raise
    deps.audit.append(entry_for(caller, action, now, allowed=True, query={"target": username},
                                result_count=1))


def _check_administrator_change(username: str, change: AdministratorChange, caller: Caller,
                                deps: AccountDependencies) -> None:
    """Refuse a change that would lock the administrators out (reused by role changes)."""
    target = user_account(deps.identity.account(username), deps)
    if Role.ADMINISTRATOR not in target.roles:
        return
    accounts = [user_account(account, deps) for account in deps.identity.list_accounts()]
    refusal = administrator_change_refusal(caller.account, target, change, accounts,
                                           deps.clock())
    if refusal is not None:
        raise AdminRefused(refusal.code, refusal.message, refusal.status)


def _change(username: str, caller: Caller, deps: AccountDependencies, action: str,
            values: dict[str, str]) -> None:
    now = deps.clock()
    try:
        deps.identity.update_attributes(username, values)
    except AccountNotFound as error:
        raise AdminRefused("USER_NOT_FOUND", "no user has this username", 404) from error
    query = {"target": username, **{name.removeprefix("custom:"): value
                                    for name, value in values.items()}}
    deps.audit.append(entry_for(caller, action, now, allowed=True, query=query, result_count=1))


def _past_day(text: str, name: str, today: date) -> str:
    day = parse_day(text) if isinstance(text, str) and len(text) == 10 else None
    if day is None:
        raise AdminRefused("DATE_INVALID", f"{name} must be a date YYYY-MM-DD")
    if day > today:
        raise AdminRefused("DATE_INVALID", f"{name} cannot be in the future")
    return day.isoformat()
