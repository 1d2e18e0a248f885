"""User accounts from the first administrator to retirement, all inside Platekeeper (428.3.1).

The first administrator is created once after deployment (`python -m chalicelib.accounts
bootstrap-admin`); every other account is invited by an administrator: Cognito creates it and
e-mails a temporary password, and at first sign-in the person sets a password and enrols an
authenticator (services/sign_in.py). An account has one role; training (CLETS certification,
the vendor's and the Police Training Unit's), approval, enabling and retirement are recorded
here, each with who and why, in the access record before anything changes. Granting or removing
the administrator or auditor role waits for a second administrator (policy/user_lifecycle.py).

Order of every change: the access record, then the account register (a conditional write on the
version read, so concurrent changes cannot both win), then Cognito. A change that cannot be
completed after its record was written is voided by a second record, so the record, the register
and Cognito keep telling the same story, and the monthly audit can hold Cognito to it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.adapters.account_register import RegisterConflict
from chalicelib.adapters.errors import StorageError
from chalicelib.adapters.identity import AccountNotFound, CognitoAccount, UserExists, parse_day
from chalicelib.domain.access import Caller, Role, UserAccount
from chalicelib.domain.account_register import (
    JOB_ROLES,
    USERNAME,
    AccountAction,
    ChangeKind,
    PendingChange,
    RegisterEntry,
    parse_role,
    username_key,
)
from chalicelib.domain.audit import ALLOWED, REFUSED, AuditEntry, AuditRecord
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import format_time
from chalicelib.policy.access import Refusal, account_refusal
from chalicelib.policy.separation_of_duties import (
    AdministratorChange,
    administrator_change_refusal,
    same_person,
)
from chalicelib.policy.user_lifecycle import (
    bootstrap_exception,
    change_refusal,
    confirmation_refusal,
    email_refusal,
    needs_second_administrator,
    next_expiry,
    outside_change,
    own_account_refusal,
    reason_refusal,
    retirement_needs_second_administrator,
    role_refusal,
    username_refusal,
)
from chalicelib.services.accounts import AccountDependencies, user_account
from chalicelib.services.auditing import entry_for

TRUE, FALSE = "true", "false"
LIST_ACTION = "list_users"
APPROVE_ACTION = "approve_user"
TRAINING_ACTION = "record_training"
# Who the access record names for bootstrap-admin: the AWS identity that ran it.
BOOTSTRAP_USERNAME = "bootstrap-admin"
INVITED = "FORCE_CHANGE_PASSWORD"  # Cognito's status until the first sign-in


_REASON = {"type": "string", "maxLength": 200,
           "description": "why (kept in the access record with your name)"}
_ROLE = {"type": "string", "enum": [role.value for role in JOB_ROLES],
         "description": "one role per user, from policy 428.3.1(a)"}
_DAY = {"type": "string", "format": "date"}
INVITE_SCHEMA: dict[str, Any] = {
    "username": {"type": "string", "pattern": USERNAME.pattern},
    "email": {"type": "string", "format": "email",
              "description": "where Cognito sends the temporary password"},
    "role": _ROLE, "supervisor": {"type": "boolean", "default": False},
    "agency": {"type": "string", "maxLength": 100, "description": "default: this agency"},
    "reason": _REASON}
ROLE_SCHEMA: dict[str, Any] = {"role": _ROLE, "supervisor": {"type": "boolean"},
                               "reason": _REASON}
REASON_SCHEMA: dict[str, Any] = {"reason": _REASON}
TRAINING_SCHEMA: dict[str, Any] = {
    "clets_cert_date": {**_DAY, "description": "CLETS access certification (every 2 years)"},
    "vendor_training_date": {**_DAY, "description": "the vendor's ALPR training"},
    "training_date": {**_DAY, "description": "the Police Training Unit's ALPR training"},
    "reason": _REASON}


class LifecycleRefused(Refused):
    """An account change that is not allowed or not valid; already in the access record."""


class LifecycleIdentity(Protocol):
    def account(self, username: str) -> CognitoAccount: ...

    def list_accounts(self) -> list[CognitoAccount]: ...

    def create_user(self, username: str, email: str, attributes: Mapping[str, str],
                    groups: frozenset[Role]) -> None: ...

    def resend_invitation(self, username: str) -> None: ...

    def set_groups(self, username: str, groups: frozenset[Role]) -> None: ...

    def set_enabled(self, username: str, enabled: bool) -> None: ...

    def update_attributes(self, username: str, values: dict[str, str]) -> None: ...


class Register(Protocol):
    def get(self, username: str) -> RegisterEntry | None: ...

    def all_entries(self) -> list[RegisterEntry]: ...

    def put_new(self, entry: RegisterEntry) -> None: ...

    def replace(self, entry: RegisterEntry) -> RegisterEntry: ...


class ChangeRecord(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def record(self, seq: int) -> AuditRecord | None: ...

    def last_allowed_access(self, user_id: str) -> str | None: ...


@dataclass(frozen=True)
class LifecycleDependencies:
    identity: LifecycleIdentity
    register: Register
    audit: ChangeRecord
    clock: Callable[[], datetime]
    agency: str
    mfa_for_plate_data: bool = True
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex


@dataclass(frozen=True)
class Operator:
    """Who runs a command outside the API (bootstrap-admin): the AWS identity of the caller."""

    principal_arn: str
    source: str = "command line"


@dataclass(frozen=True)
class ChangeResult:
    """What a change did: applied now, or waiting for a second administrator."""

    username: str
    status: str            # "applied" | "pending" | "declined"
    entry: RegisterEntry
    record_seq: int
    bootstrap_exception: bool = False


@dataclass(frozen=True)
class UserRow:
    """One account as the users page shows it."""

    username: str
    account: UserAccount | None
    entry: RegisterEntry | None
    invited: bool
    outside_change: str | None
    refusal: Refusal | None
    next_expiry: tuple[str, date] | None


# ---------------------------------------------------------------------- bootstrap
def bootstrap_admin(body: Mapping[str, Any], operator: Operator,
                    deps: LifecycleDependencies) -> ChangeResult:
    """Create the first administrator: refused when any administrator exists (in Cognito or the
    register). Training and CLETS certification are given here, because nobody else could
    record them; the account is approved by this act, which the monthly report lists."""
    now = deps.clock()
    username = str(body.get("username", "")).strip()
    query = {"target": username[:64], "role": Role.ADMINISTRATOR.value}
    try:
        refusal = (username_refusal(username) or email_refusal(body.get("email"))
                   or _training_dates_refusal(body, now.date(), required=True))
        if refusal is None:
            existing = [account.username for account in deps.identity.list_accounts()
                        if Role.ADMINISTRATOR in account.groups]
            existing += [entry.username for entry in deps.register.all_entries()
                         if entry.role is Role.ADMINISTRATOR and not entry.retired]
            if existing:
                refusal = Refusal("ADMINISTRATOR_EXISTS",
                                  "an administrator already exists; administrators invite "
                                  "everyone else through the console or the API", 409)
        if refusal is not None:
            raise LifecycleRefused(refusal.code, refusal.message, refusal.status)
    except LifecycleRefused as refused:
        deps.audit.append(_operator_entry(operator, AccountAction.BOOTSTRAP, now, False, query,
                                          refused.code))
        raise
    today = now.date().isoformat()
    record = deps.audit.append(_operator_entry(operator, AccountAction.BOOTSTRAP, now, True, {
        **query, "supervisor": FALSE, "enabled": TRUE, "agency": deps.agency,
        "reason": str(body.get("reason") or "first administrator after deployment")[:200]}))
    attributes = {"custom:agency": deps.agency,
                  "custom:approved_by": BOOTSTRAP_USERNAME, "custom:approved_at": today,
                  **_training_attributes(body)}
    try:
        deps.identity.create_user(username, str(body["email"]).strip(), attributes,
                                  frozenset({Role.ADMINISTRATOR}))
    except (UserExists, StorageError) as error:
        _void(record, operator_entry=_operator_entry(operator, AccountAction.VOID, now, False,
              {"target": username, "voids": str(record.seq)}, "COGNITO_FAILED"), deps=deps)
        raise _cognito_refused(error) from error
    entry = RegisterEntry(username=username, role=Role.ADMINISTRATOR, enabled=True,
                          created_by=operator.principal_arn, created_at=format_time(now),
                          bootstrap=True, last_seq=record.seq)
    deps.register.put_new(entry)
    return ChangeResult(username, "applied", entry, record.seq)


# ---------------------------------------------------------------------- invite
def invite(body: Mapping[str, Any], caller: Caller, deps: LifecycleDependencies) -> ChangeResult:
    """Create an account with its role; Cognito e-mails the temporary password. An
    administrator or auditor role waits for a second administrator (the bootstrap exception
    aside); the account exists meanwhile, without a role."""
    now = deps.clock()
    username = str(body.get("username", "")).strip()
    role_value, supervisor = body.get("role"), body.get("supervisor", False)
    agency = str(body.get("agency") or deps.agency).strip()
    query = {"target": username[:64], "role": str(role_value or "")[:40]}
    refusal = (username_refusal(username) or email_refusal(body.get("email"))
               or role_refusal(role_value, supervisor) or reason_refusal(body.get("reason"))
               or (Refusal("AGENCY_INVALID", "agency must be at most 100 characters", 400)
                   if len(agency) > 100 else None))
    if refusal is None and (deps.register.get(username) is not None
                            or _cognito_or_none(username, deps) is not None):
        refusal = Refusal("USER_EXISTS", "an account with this username exists (retired "
                          "accounts keep their username)", 409)
    if refusal is not None:
        _refuse(caller, AccountAction.INVITE, query, refusal, deps)
    role = parse_role(role_value)
    supervisor = bool(supervisor)
    entries = deps.register.all_entries()
    two_person = needs_second_administrator(None, role)
    exception = two_person and bootstrap_exception(deps.register.get(caller.account.username),
                                                   None, role, entries)
    applied = role if not two_person or exception else None
    change_id = deps.new_id()
    reason = str(body["reason"]).strip()
    record = deps.audit.append(entry_for(caller, AccountAction.INVITE, now, allowed=True, query={
        "target": username, "role": applied.value if applied else "",
        "pending_role": role.value if role and applied is None else "",
        "change_id": change_id if applied is None else "",
        "supervisor": TRUE if supervisor else FALSE, "agency": agency, "reason": reason,
        "bootstrap_exception": TRUE if exception else ""}, result_count=1))
    pending = None if applied is not None else PendingChange(
        change_id, ChangeKind.ROLE, role, supervisor, reason, caller.account.username,
        format_time(now), record.seq)
    entry = RegisterEntry(username=username, role=applied,
                          supervisor=supervisor if applied else False, enabled=True,
                          created_by=caller.account.username, created_at=format_time(now),
                          pending=pending, last_seq=record.seq)
    try:
        deps.identity.create_user(username, str(body["email"]).strip(),
                                  {"custom:agency": agency}, entry.groups)
    except (UserExists, StorageError) as error:
        _void(record, caller=caller, deps=deps, code="COGNITO_FAILED")
        raise _cognito_refused(error) from error
    try:
        deps.register.put_new(entry)
    except RegisterConflict as error:
        _void(record, caller=caller, deps=deps, code="CONCURRENT_CHANGE")
        raise LifecycleRefused("USER_EXISTS", "this username was just taken", 409) from error
    return ChangeResult(username, "applied" if applied else "pending", entry, record.seq,
                        exception)


def resend_invitation(username: str, body: Mapping[str, Any], caller: Caller,
                      deps: LifecycleDependencies) -> ChangeResult:
    """A new temporary password by e-mail, for someone who has not signed in yet (Cognito's
    temporary passwords expire after the pool's TemporaryPasswordValidityDays)."""
    entry, cognito = _registered(username, AccountAction.RESEND_INVITATION, caller, deps)
    refusal = change_refusal(entry) if entry.retired else None
    if refusal is None and cognito.status != INVITED:
        refusal = Refusal("INVITATION_ACCEPTED", f"{entry.username} has already signed in and "
                          "set a password", 409)
    if refusal is not None:
        _refuse(caller, AccountAction.RESEND_INVITATION, {"target": entry.username}, refusal,
                deps)
    record = deps.audit.append(entry_for(
        caller, AccountAction.RESEND_INVITATION, deps.clock(), allowed=True, result_count=1,
        query={"target": entry.username, "reason": str(body.get("reason") or "")[:200]}))
    try:
        deps.identity.resend_invitation(entry.username)
    except StorageError:
        _void(record, caller=caller, deps=deps, code="COGNITO_FAILED")
        raise
    return ChangeResult(entry.username, "applied", entry, record.seq)


# ---------------------------------------------------------------------- role and retirement
def change_role(username: str, body: Mapping[str, Any], caller: Caller,
                deps: LifecycleDependencies) -> ChangeResult:
    """Give the account another role (and supervisor designation). To or from administrator or
    auditor, it waits for a second administrator unless the bootstrap exception applies."""
    action = AccountAction.CHANGE_ROLE
    role_value, supervisor = body.get("role"), body.get("supervisor", False)
    query = {"target": username[:64], "role": str(role_value or "")[:40]}
    refusal = role_refusal(role_value, supervisor) or reason_refusal(body.get("reason"))
    if refusal is not None:
        _refuse(caller, action, query, refusal, deps)
    entry, _ = _registered(username, action, caller, deps)
    role, supervisor = parse_role(role_value), bool(supervisor)
    refusal = change_refusal(entry)
    if refusal is None and entry.role == role and entry.supervisor == supervisor:
        refusal = Refusal("NO_CHANGE", f"{entry.username} already has this role", 409)
    if refusal is None and entry.role is Role.ADMINISTRATOR and role is not Role.ADMINISTRATOR:
        refusal = _administrator_refusal(entry, AdministratorChange.DEMOTE, caller, deps)
    if refusal is not None:
        _refuse(caller, action, {**query, "target": entry.username}, refusal, deps)
    reason = str(body["reason"]).strip()
    now = deps.clock()
    two_person = needs_second_administrator(entry.role, role)
    exception = two_person and bootstrap_exception(
        deps.register.get(caller.account.username), entry.role, role,
        deps.register.all_entries())
    change = {"target": entry.username, "role": role.value if role else "",
              "supervisor": TRUE if supervisor else FALSE,
              "from_role": entry.role.value if entry.role else "", "reason": reason}
    if two_person and not exception:
        return _propose(entry, ChangeKind.ROLE, role, supervisor, change, caller, deps)
    record = deps.audit.append(entry_for(caller, action, now, allowed=True, result_count=1,
                                         query={**change, "bootstrap_exception":
                                                TRUE if exception else ""}))
    stored = _store(entry.with_role(role, supervisor, record.seq), record, caller, deps)
    _apply_groups(entry, stored, record, caller, deps)
    return ChangeResult(entry.username, "applied", stored, record.seq, exception)


def _propose(entry: RegisterEntry, kind: ChangeKind, role: Role | None, supervisor: bool,
             change: dict[str, str], caller: Caller,
             deps: LifecycleDependencies) -> ChangeResult:
    """Record a change that waits for a second administrator, and keep it pending on the
    account; nothing reaches Cognito until it is confirmed."""
    now = deps.clock()
    change_id = deps.new_id()
    record = deps.audit.append(entry_for(caller, AccountAction.PROPOSE, now, allowed=True,
                                         result_count=1, query={
        **change, "kind": kind.value, "change_id": change_id}))
    pending = PendingChange(change_id, kind, role, supervisor, change["reason"],
                            caller.account.username, format_time(now), record.seq)
    stored = _store(replace(entry, pending=pending, last_seq=record.seq), record, caller, deps)
    return ChangeResult(entry.username, "pending", stored, record.seq)


def retire(username: str, body: Mapping[str, Any], caller: Caller,
           deps: LifecycleDependencies) -> ChangeResult:
    """Disable the account for good and take its role away; never delete it (the access record
    keeps pointing at the person). An administrator's or auditor's retirement waits for a
    second administrator. An account Cognito has but Platekeeper never created is retired
    here too (it had no role Platekeeper granted)."""
    action = AccountAction.RETIRE
    refusal = reason_refusal(body.get("reason"))
    if refusal is not None:
        _refuse(caller, action, {"target": username[:64]}, refusal, deps)
    reason = str(body["reason"]).strip()
    now = deps.clock()
    entry = deps.register.get(username)
    if entry is None:
        return _retire_unregistered(username, reason, caller, deps)
    refusal = change_refusal(entry)
    if refusal is None and entry.role is Role.ADMINISTRATOR:
        refusal = _administrator_refusal(entry, AdministratorChange.REMOVE, caller, deps)
    if refusal is not None:
        _refuse(caller, action, {"target": entry.username}, refusal, deps)
    change = {"target": entry.username, "from_role": entry.role.value if entry.role else "",
              "reason": reason}
    if retirement_needs_second_administrator(entry):
        return _propose(entry, ChangeKind.RETIREMENT, None, False, change, caller, deps)
    record = deps.audit.append(entry_for(caller, action, now, allowed=True, result_count=1,
                                         query=change))
    stored = _store(replace(entry, retired=True, enabled=False, last_seq=record.seq), record,
                    caller, deps)
    _apply_retirement(entry, stored, record, caller, deps)
    return ChangeResult(entry.username, "applied", stored, record.seq)


def confirm_change(username: str, body: Mapping[str, Any], caller: Caller,
                   deps: LifecycleDependencies) -> ChangeResult:
    """The second administrator's confirmation of a pending role change or retirement."""
    action = AccountAction.CONFIRM
    entry, _ = _registered(username, action, caller, deps)
    now = deps.clock()
    change = entry.pending
    query = {"target": entry.username}
    refusal = None if change is not None else Refusal(
        "NO_PENDING_CHANGE", f"no change to {entry.username} waits for confirmation", 409)
    if refusal is None and change is not None:
        query["change_id"] = change.change_id
        refusal = (confirmation_refusal(change, entry.username, caller.account.username, now)
                   or _proposal_refusal(entry, change, deps))
        demotes = entry.role is Role.ADMINISTRATOR and (
            change.kind is ChangeKind.RETIREMENT or change.role is not Role.ADMINISTRATOR)
        if refusal is None and demotes:
            refusal = _administrator_refusal(
                entry, AdministratorChange.REMOVE if change.kind is ChangeKind.RETIREMENT
                else AdministratorChange.DEMOTE, caller, deps)
    if refusal is not None or change is None:
        _refuse(caller, action, query, refusal or Refusal("NO_PENDING_CHANGE", "", 409), deps)
        raise AssertionError("unreachable")  # pragma: no cover - _refuse always raises
    record = deps.audit.append(entry_for(caller, action, now, allowed=True, result_count=1,
                                         query={
        **query, "kind": change.kind.value, "role": change.role.value if change.role else "",
        "supervisor": TRUE if change.supervisor else FALSE,
        "from_role": entry.role.value if entry.role else "",
        "proposed_by": change.proposed_by, "proposal_seq": str(change.proposal_seq),
        "reason": str(body.get("reason") or change.reason)[:200]}))
    if change.kind is ChangeKind.RETIREMENT:
        stored = _store(replace(entry, retired=True, enabled=False, pending=None,
                                last_seq=record.seq), record, caller, deps)
        _apply_retirement(entry, stored, record, caller, deps)
    else:
        stored = _store(entry.with_role(change.role, change.supervisor, record.seq), record,
                        caller, deps)
        _apply_groups(entry, stored, record, caller, deps)
    return ChangeResult(entry.username, "applied", stored, record.seq)


def decline_change(username: str, body: Mapping[str, Any], caller: Caller,
                   deps: LifecycleDependencies) -> ChangeResult:
    """Any administrator (the proposer too, withdrawing it) declines a pending change."""
    action = AccountAction.DECLINE
    entry, _ = _registered(username, action, caller, deps)
    refusal = reason_refusal(body.get("reason"))
    if refusal is None and entry.pending is None:
        refusal = Refusal("NO_PENDING_CHANGE", f"no change to {entry.username} waits for "
                          "confirmation", 409)
    if refusal is not None or entry.pending is None:
        _refuse(caller, action, {"target": entry.username},
                refusal or Refusal("NO_PENDING_CHANGE", "", 409), deps)
        raise AssertionError("unreachable")  # pragma: no cover
    change = entry.pending
    record = deps.audit.append(entry_for(caller, action, deps.clock(), allowed=True,
                                         result_count=1, query={
        "target": entry.username, "change_id": change.change_id, "kind": change.kind.value,
        "role": change.role.value if change.role else "", "proposed_by": change.proposed_by,
        "reason": str(body["reason"]).strip()}))
    stored = _store(replace(entry, pending=None, last_seq=record.seq), record, caller, deps)
    return ChangeResult(entry.username, "declined", stored, record.seq)


def restore(username: str, body: Mapping[str, Any], caller: Caller,
            deps: LifecycleDependencies) -> ChangeResult:
    """Put Cognito back to what Platekeeper decided (groups; and disabled, if it was enabled
    around the application). It never enables an account: that is `set_enabled`."""
    action = AccountAction.RESTORE
    refusal = reason_refusal(body.get("reason"))
    if refusal is not None:
        _refuse(caller, action, {"target": username[:64]}, refusal, deps)
    entry, cognito = _registered(username, action, caller, deps)
    difference = outside_change(cognito.username, cognito.groups, cognito.enabled, entry)
    if difference is None:
        _refuse(caller, action, {"target": entry.username},
                Refusal("NO_CHANGE", "Cognito already agrees with Platekeeper", 409), deps)
    record = deps.audit.append(entry_for(caller, action, deps.clock(), allowed=True,
                                         result_count=1, query={
        "target": entry.username, "difference": str(difference)[:200],
        "role": entry.role.value if entry.role else "",
        "supervisor": TRUE if entry.supervisor else FALSE,
        "reason": str(body["reason"]).strip()}))
    try:
        deps.identity.set_groups(entry.username, entry.groups)
        if cognito.enabled and not entry.enabled:
            deps.identity.set_enabled(entry.username, False)
    except StorageError:
        _void(record, caller=caller, deps=deps, code="COGNITO_FAILED")
        raise
    return ChangeResult(entry.username, "applied", entry, record.seq)


# ---------------------------------------------------------------------- state and training
def set_enabled(username: str, body: Mapping[str, Any], caller: Caller,
                deps: LifecycleDependencies) -> ChangeResult:
    """Enable or disable an account now (disabling is the emergency stop: no second person).
    Disabling may not leave the program without an active administrator, or the caller as the
    only one (policy/separation_of_duties.py); a retired account is never enabled again."""
    enabled = body.get("enabled")
    action = AccountAction.ENABLE if enabled is True else AccountAction.DISABLE
    query = {"target": username[:64]}
    refusal = (None if isinstance(enabled, bool) else
               Refusal("ENABLED_INVALID", "enabled must be true or false", 400))
    refusal = refusal or reason_refusal(body.get("reason"))
    if refusal is not None:
        _refuse(caller, action, query, refusal, deps)
    entry, _ = _registered(username, action, caller, deps)
    if entry.retired:
        refusal = Refusal("ACCOUNT_RETIRED", f"{entry.username} is retired; retired accounts "
                          "stay disabled (invite the person under a new username)", 409)
    elif not enabled and entry.role is Role.ADMINISTRATOR:
        refusal = _administrator_refusal(entry, AdministratorChange.DISABLE, caller, deps)
    if refusal is not None:
        _refuse(caller, action, {"target": entry.username}, refusal, deps)
    record = deps.audit.append(entry_for(caller, action, deps.clock(), allowed=True,
                                         result_count=1, query={
        "target": entry.username, "enabled": TRUE if enabled else FALSE,
        "reason": str(body["reason"]).strip()}))
    stored = _store(replace(entry, enabled=bool(enabled), last_seq=record.seq), record, caller,
                    deps)
    try:
        deps.identity.set_enabled(entry.username, bool(enabled))
    except (AccountNotFound, StorageError) as error:
        _undo(entry, stored, record, caller, deps)
        raise _cognito_refused(error) from error
    return ChangeResult(entry.username, "applied", stored, record.seq)


def approve_user(username: str, body: Mapping[str, Any], caller: Caller,
                 deps: LifecycleDependencies) -> None:
    """Approve (or re-approve an idle) account (428.3.1(a)); the approval date restarts the idle
    clock. Never your own account."""
    today = deps.clock().date().isoformat()
    _attribute_change(username, caller, deps, APPROVE_ACTION,
                      {"custom:approved_by": caller.account.username,
                       "custom:approved_at": today}, str(body.get("reason") or ""))


def record_training(username: str, body: Mapping[str, Any], caller: Caller,
                    deps: LifecycleDependencies) -> None:
    """Record any of the three dates 428.3.1(b) requires: the CLETS access certification
    (renewed every two years), the vendor's training and the Police Training Unit's."""
    refusal = _training_dates_refusal(body, deps.clock().date(), required=False)
    if refusal is not None:
        _refuse(caller, TRAINING_ACTION, {"target": username[:64]}, refusal, deps)
    _attribute_change(username, caller, deps, TRAINING_ACTION, _training_attributes(body),
                      str(body.get("reason") or ""))


def list_users(caller: Caller, deps: LifecycleDependencies) -> list[UserRow]:
    """Every account Cognito or the register knows, with what Platekeeper decided about it,
    any difference made around it, the rule it fails now and what expires next."""
    now = deps.clock()
    register = {entry.key: entry for entry in deps.register.all_entries()}
    rows = []
    accounts_deps = _accounts(deps)
    for cognito in deps.identity.list_accounts():
        account = user_account(cognito, accounts_deps)
        entry = register.pop(username_key(cognito.username), None)
        rows.append(UserRow(
            cognito.username, account, entry, cognito.status == INVITED,
            outside_change(cognito.username, cognito.groups, cognito.enabled, entry),
            account_refusal(account, now.date(), now, deps.mfa_for_plate_data),
            next_expiry(account, now)))
    for entry in register.values():  # in the register, gone from Cognito
        rows.append(UserRow(entry.username, None, entry, False,
                            "Cognito no longer has this account", None, None))
    rows.sort(key=lambda row: username_key(row.username))
    deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=True, result_count=len(rows)))
    return rows


# ---------------------------------------------------------------------- helpers
def _registered(username: str, action: str, caller: Caller,
                deps: LifecycleDependencies) -> tuple[RegisterEntry, CognitoAccount]:
    """The account's register entry and Cognito account, or a recorded 404/409."""
    entry = deps.register.get(username) if username.strip() else None
    cognito = _cognito_or_none(username, deps) if username.strip() else None
    if entry is None and cognito is None:
        _refuse(caller, action, {"target": username[:64]},
                Refusal("USER_NOT_FOUND", "no user has this username", 404), deps)
    if entry is None or cognito is None:
        problem = ("it was not created through Platekeeper: retire it, and invite the person "
                   "properly" if entry is None else "Cognito no longer has it")
        _refuse(caller, action, {"target": username[:64]},
                Refusal("ACCOUNT_CHANGED_OUTSIDE_APP", f"this account was changed outside "
                        f"Platekeeper ({problem})", 409), deps)
        raise AssertionError("unreachable")  # pragma: no cover - _refuse always raises
    return entry, cognito


def _retire_unregistered(username: str, reason: str, caller: Caller,
                         deps: LifecycleDependencies) -> ChangeResult:
    cognito = _cognito_or_none(username, deps)
    if cognito is None:
        _refuse(caller, AccountAction.RETIRE, {"target": username[:64]},
                Refusal("USER_NOT_FOUND", "no user has this username", 404), deps)
        raise AssertionError("unreachable")  # pragma: no cover
    now = deps.clock()
    record = deps.audit.append(entry_for(caller, AccountAction.RETIRE, now, allowed=True,
                                         result_count=1, query={
        "target": cognito.username, "unregistered": TRUE, "reason": reason,
        "from_role": ", ".join(sorted(role.value for role in cognito.groups))}))
    entry = RegisterEntry(username=cognito.username, role=None, enabled=False, retired=True,
                          created_by=caller.account.username, created_at=format_time(now),
                          last_seq=record.seq)
    try:
        deps.register.put_new(entry)
    except RegisterConflict as error:
        _void(record, caller=caller, deps=deps, code="CONCURRENT_CHANGE")
        raise _concurrent() from error
    deps.identity.set_groups(cognito.username, frozenset())
    deps.identity.set_enabled(cognito.username, False)
    return ChangeResult(cognito.username, "applied", entry, record.seq)


def _attribute_change(username: str, caller: Caller, deps: LifecycleDependencies, action: str,
                      values: dict[str, str], reason: str) -> None:
    entry, _ = _registered(username, action, caller, deps)
    refusal = change_refusal(entry) if entry.retired else None
    refusal = refusal or own_account_refusal(entry.username, caller.account.username)
    if refusal is not None:
        _refuse(caller, action, {"target": entry.username}, refusal, deps)
    query = {"target": entry.username, "reason": reason.strip()[:200],
             **{name.removeprefix("custom:"): value for name, value in values.items()}}
    record = deps.audit.append(entry_for(caller, action, deps.clock(), allowed=True,
                                         query=query, result_count=1))
    try:
        deps.identity.update_attributes(entry.username, values)
    except (AccountNotFound, StorageError) as error:
        _void(record, caller=caller, deps=deps, code="COGNITO_FAILED")
        raise _cognito_refused(error) from error


def _training_dates_refusal(body: Mapping[str, Any], today: date,
                            required: bool) -> Refusal | None:
    given = [name for name in TRAINING_FIELDS if body.get(name) not in (None, "")]
    if required and len(given) < len(TRAINING_FIELDS):
        missing = ", ".join(name for name in TRAINING_FIELDS if name not in given)
        return Refusal("TRAINING_REQUIRED", f"give {missing} (YYYY-MM-DD): policy 428.3.1(b) "
                       "applies to the administrator too", 400)
    if not given:
        return Refusal("TRAINING_REQUIRED", "give at least one of " + ", ".join(TRAINING_FIELDS),
                       400)
    for name in given:
        text = body.get(name)
        day = parse_day(text) if isinstance(text, str) and len(text) == 10 else None
        if day is None:
            return Refusal("DATE_INVALID", f"{name} must be a date YYYY-MM-DD", 400)
        if day > today:
            return Refusal("DATE_INVALID", f"{name} cannot be in the future", 400)
    return None


# API field -> Cognito attribute.
TRAINING_FIELDS = {"clets_cert_date": "custom:clets_cert_date",
                   "vendor_training_date": "custom:vendor_training_date",
                   "training_date": "custom:training_date"}


def _training_attributes(body: Mapping[str, Any]) -> dict[str, str]:
    return {attribute: str(body[name]) for name, attribute in TRAINING_FIELDS.items()
            if body.get(name) not in (None, "")}


def _administrator_refusal(entry: RegisterEntry, change: AdministratorChange, caller: Caller,
                           deps: LifecycleDependencies) -> Refusal | None:
    """The lock-out rules, counting only administrators whose Cognito agrees with the register
    (an administrator made in the Cognito console is refused at sign-in, so it does not count)."""
    now = deps.clock()
    register = {item.key: item for item in deps.register.all_entries()}
    accounts_deps = _accounts(deps)
    accounts = [user_account(account, accounts_deps) for account in deps.identity.list_accounts()
                if outside_change(account.username, account.groups, account.enabled,
                                  register.get(username_key(account.username))) is None]
    target = next((account for account in accounts
                   if username_key(account.username) == entry.key), None)
    if target is None:
        return None
    return administrator_change_refusal(caller.account, target, change, accounts, now)


def _proposal_refusal(entry: RegisterEntry, change: PendingChange,
                      deps: LifecycleDependencies) -> Refusal | None:
    """The pending change must be the one its proposal record describes (a register written
    around the API cannot put words in an administrator's mouth)."""
    record = deps.audit.record(change.proposal_seq)
    query = record.entry.query if record else {}
    matches = (record is not None and record.entry.outcome == ALLOWED
               and record.entry.action in (AccountAction.PROPOSE, AccountAction.INVITE)
               and same_person(record.entry.username, change.proposed_by)
               and username_key(query.get("target", "")) == entry.key
               and query.get("change_id") == change.change_id
               and (query.get("role") or query.get("pending_role") or "")
               == (change.role.value if change.role else ""))
    if matches:
        return None
    return Refusal("CHANGE_UNVERIFIED", "this pending change does not match its proposal in the "
                   "access record; it cannot be confirmed (decline it)", 409)


def _store(entry: RegisterEntry, record: AuditRecord, caller: Caller,
           deps: LifecycleDependencies) -> RegisterEntry:
    try:
        return deps.register.replace(entry)
    except RegisterConflict as error:
        _void(record, caller=caller, deps=deps, code="CONCURRENT_CHANGE")
        raise _concurrent() from error


def _apply_groups(before: RegisterEntry, stored: RegisterEntry, record: AuditRecord,
                  caller: Caller, deps: LifecycleDependencies) -> None:
    try:
        deps.identity.set_groups(stored.username, stored.groups)
    except (AccountNotFound, StorageError) as error:
        _undo(before, stored, record, caller, deps)
        raise _cognito_refused(error) from error


def _apply_retirement(before: RegisterEntry, stored: RegisterEntry, record: AuditRecord,
                      caller: Caller, deps: LifecycleDependencies) -> None:
    try:
        deps.identity.set_enabled(stored.username, False)
        deps.identity.set_groups(stored.username, frozenset())
    except (AccountNotFound, StorageError) as error:
        _undo(before, stored, record, caller, deps)
        raise _cognito_refused(error) from error


def _undo(before: RegisterEntry, stored: RegisterEntry, record: AuditRecord, caller: Caller,
          deps: LifecycleDependencies) -> None:
    """Cognito refused a recorded change: void the record and put the register back."""
    _void(record, caller=caller, deps=deps, code="COGNITO_FAILED")
    # If someone else changed it meanwhile, the monthly audit compares all three.
    with contextlib.suppress(RegisterConflict):
        deps.register.replace(replace(before, version=stored.version))


def _void(record: AuditRecord, deps: LifecycleDependencies, caller: Caller | None = None,
          code: str = "", operator_entry: AuditEntry | None = None) -> None:
    entry = operator_entry or entry_for(
        caller, AccountAction.VOID, deps.clock(), allowed=False, refusal_code=code,
        query={"target": record.entry.query.get("target", ""), "voids": str(record.seq)})
    deps.audit.append(entry)


def _refuse(caller: Caller, action: str, query: Mapping[str, str], refusal: Refusal,
            deps: LifecycleDependencies) -> None:
    deps.audit.append(entry_for(caller, action, deps.clock(), allowed=False, query=query,
                                refusal_code=refusal.code))
    raise LifecycleRefused(refusal.code, refusal.message, refusal.status)


def _cognito_or_none(username: str, deps: LifecycleDependencies) -> CognitoAccount | None:
    try:
        return deps.identity.account(username)
    except AccountNotFound:
        return None


def _accounts(deps: LifecycleDependencies) -> AccountDependencies:
    return AccountDependencies(identity=deps.identity, audit=deps.audit,  # type: ignore[arg-type]
                               register=deps.register, clock=deps.clock,
                               mfa_for_plate_data=deps.mfa_for_plate_data)


def _operator_entry(operator: Operator, action: str, now: datetime, allowed: bool,
                    query: Mapping[str, str], code: str = "") -> AuditEntry:
    return AuditEntry(at=format_time(now), user_id=operator.principal_arn,
                      username=BOOTSTRAP_USERNAME, agency="", role="deployer", action=action,
                      outcome=ALLOWED if allowed else REFUSED,
                      query={name: value[:200] for name, value in query.items() if value},
                      result_count=1 if allowed else 0, refusal_code=code,
                      source_ip=operator.source)


def _cognito_refused(error: Exception) -> Refused:
    if isinstance(error, UserExists):
        return LifecycleRefused("USER_EXISTS", "an account with this username exists", 409)
    if isinstance(error, AccountNotFound):
        return LifecycleRefused("USER_NOT_FOUND", "Cognito no longer has this account", 404)
    return LifecycleRefused("IDENTITY_UNAVAILABLE", "Cognito did not take the change; nothing "
                            "was changed (try again)", 503)


def _concurrent() -> LifecycleRefused:
    return LifecycleRefused("CONCURRENT_CHANGE", "another administrator changed this account "
                            "at the same moment; look again and repeat if still needed", 409)
