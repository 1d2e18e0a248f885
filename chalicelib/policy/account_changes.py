"""Accounts as the access record says they should be, and every difference (428.3.1(a), 428.6(c)).

The access record is the application's own record of every change to an account (invitation,
role, supervisor designation, enable, disable, retirement, each with who and why). Replaying it
gives the role and state each account must have. The monthly audit compares that with Cognito
(a role granted in the Cognito console, an account created, deleted, enabled or disabled there,
around the application) and with the register the API reads on every request (edited by someone
holding the application's database permissions). Every difference is a finding, and so is every
administrator named by one administrator alone (bootstrap-admin, and its one exception).

Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.access import Role
from chalicelib.domain.account_register import (
    AccountAction,
    ChangeKind,
    RegisterEntry,
    describe_groups,
    parse_role,
    username_key,
)
from chalicelib.domain.audit import ALLOWED, AuditRecord
from chalicelib.domain.monthly_audit import Finding, FindingKind

# The actions whose records change what an account must be.
STATE_ACTIONS = frozenset({AccountAction.BOOTSTRAP, AccountAction.INVITE,
                           AccountAction.CHANGE_ROLE, AccountAction.CONFIRM,
                           AccountAction.RETIRE, AccountAction.ENABLE, AccountAction.DISABLE})
# Every action a report lists as an account change of the month.
LISTED_ACTIONS = STATE_ACTIONS | {AccountAction.PROPOSE, AccountAction.DECLINE,
                                  AccountAction.RESTORE, AccountAction.RESEND_INVITATION,
                                  AccountAction.VOID}
TRUE = "true"


@dataclass(frozen=True)
class ExpectedAccount:
    """What an account must be, by its last recorded changes."""

    username: str
    role: Role | None = None
    supervisor: bool = False
    enabled: bool = True
    retired: bool = False
    last_seq: int = 0
    last_at: str = ""
    last_by: str = ""

    @property
    def groups(self) -> frozenset[Role]:
        if self.retired or self.role is None:
            return frozenset()
        return frozenset({self.role, *((Role.SUPERVISOR,) if self.supervisor else ())})

    def describe(self) -> str:
        state = "retired" if self.retired else ("enabled" if self.enabled else "disabled")
        return (f"{describe_groups(self.groups)}, {state} (record {self.last_seq}, "
                f"{self.last_by}, {self.last_at})")


@dataclass(frozen=True)
class CognitoState:
    """An account as Cognito has it."""

    username: str
    groups: frozenset[Role]
    enabled: bool


@dataclass
class AccountHistory:
    """Collects the account records from a pass over the whole chain (the monthly audit reads
    every record anyway, to verify the chain), then replays them."""

    records: list[AuditRecord] = field(default_factory=list)

    def observe(self, record: AuditRecord) -> None:
        if record.entry.action in LISTED_ACTIONS:
            self.records.append(record)

    def expected(self) -> dict[str, ExpectedAccount]:
        return replay(self.records)


def replay(records: Iterable[AuditRecord]) -> dict[str, ExpectedAccount]:
    """The state every account must have, by username key, from its allowed change records in
    sequence order; records named by a void record are skipped."""
    ordered = sorted(records, key=lambda record: record.seq)
    voided = {int(record.entry.query.get("voids", "0") or 0) for record in ordered
              if record.entry.action == AccountAction.VOID}
    accounts: dict[str, ExpectedAccount] = {}
    for record in ordered:
        entry = record.entry
        if (entry.action not in STATE_ACTIONS or entry.outcome != ALLOWED
                or record.seq in voided or not entry.query.get("target")):
            continue
        target = entry.query["target"]
        key = username_key(target)
        current = accounts.get(key) or ExpectedAccount(target)
        updated = _apply(current, entry.action, entry.query)
        accounts[key] = ExpectedAccount(
            updated.username, updated.role, updated.supervisor, updated.enabled, updated.retired,
            record.seq, entry.at, entry.username)
    return accounts


def _apply(current: ExpectedAccount, action: str,
           query: Mapping[str, str]) -> ExpectedAccount:
    role = parse_role(query.get("role"))
    supervisor = query.get("supervisor") == TRUE
    if action in (AccountAction.BOOTSTRAP, AccountAction.INVITE):
        return ExpectedAccount(query["target"], role, supervisor)
    if action == AccountAction.CHANGE_ROLE:
        return _with(current, role=role, supervisor=supervisor)
    if action == AccountAction.CONFIRM:
        if query.get("kind") == ChangeKind.RETIREMENT:
            return _with(current, retired=True, enabled=False)
        return _with(current, role=role, supervisor=supervisor)
    if action == AccountAction.RETIRE:
        return _with(current, retired=True, enabled=False)
    return _with(current, enabled=action == AccountAction.ENABLE)


def _with(current: ExpectedAccount, **changes: Any) -> ExpectedAccount:
    return replace(current, **changes)


# ---------------------------------------------------------------------- findings
def outside_change_findings(cognito: Iterable[CognitoState],
                            expected: Mapping[str, ExpectedAccount]) -> list[Finding]:
    """Accounts whose role or enabled state in Cognito differs from the access record, accounts
    Cognito has that the record never created, and accounts it created that Cognito lost."""
    findings = []
    seen = set()
    for account in sorted(cognito, key=lambda item: username_key(item.username)):
        key = username_key(account.username)
        seen.add(key)
        recorded = expected.get(key)
        cognito_state = (f"{describe_groups(account.groups)}, "
                         f"{'enabled' if account.enabled else 'disabled'}")
        if recorded is None:
            findings.append(Finding(
                FindingKind.ACCOUNT_CREATED_OUTSIDE_APP, account.username,
                "Cognito has this account but no record shows it being invited through "
                "Platekeeper (created in the Cognito console or by a script)",
                {"cognito": cognito_state}))
            continue
        if account.groups != recorded.groups:
            findings.append(Finding(
                FindingKind.ROLE_CHANGED_OUTSIDE_APP, account.username,
                f"Cognito gives {describe_groups(account.groups)}, but the access record's last "
                f"change gives {describe_groups(recorded.groups)}: a group was added or removed "
                "around Platekeeper",
                {"cognito": cognito_state, "access_record": recorded.describe()}))
        if account.enabled != (recorded.enabled and not recorded.retired):
            findings.append(Finding(
                FindingKind.ACCOUNT_STATE_CHANGED_OUTSIDE_APP, account.username,
                f"Cognito has the account {'enabled' if account.enabled else 'disabled'}, but "
                f"the access record has it {_state(recorded)}",
                {"cognito": cognito_state, "access_record": recorded.describe()}))
    for key, recorded in sorted(expected.items()):
        if key not in seen:
            findings.append(Finding(
                FindingKind.ACCOUNT_DELETED_OUTSIDE_APP, recorded.username,
                "the access record created this account, but Cognito no longer has it "
                "(Platekeeper retires accounts and never deletes them)",
                {"access_record": recorded.describe()}))
    return findings


def register_findings(register: Iterable[RegisterEntry],
                      expected: Mapping[str, ExpectedAccount]) -> list[Finding]:
    """Register entries that do not say what the access record says (written around the API)."""
    findings = []
    entries = {entry.key: entry for entry in register}
    for key in sorted(set(entries) | set(expected)):
        entry, recorded = entries.get(key), expected.get(key)
        if entry is not None and recorded is not None and (
                entry.groups == recorded.groups and entry.enabled == recorded.enabled
                and entry.retired == recorded.retired):
            continue
        subject = entry.username if entry else recorded.username if recorded else key
        register_state = (f"{describe_groups(entry.groups)}, {_state(entry)}" if entry
                          else "(no entry)")
        findings.append(Finding(
            FindingKind.ACCOUNT_REGISTER_ALTERED, subject,
            "the account register the API reads does not match the access record's changes "
            "(written around the API, or a change that was recorded but not completed)",
            {"register": register_state,
             "access_record": recorded.describe() if recorded else "(no record)"}))
    return findings


def single_administrator_findings(records: Iterable[AuditRecord]) -> list[Finding]:
    """Every administrator named by one person alone in the month: bootstrap-admin, and the
    bootstrap administrator naming the second under the exception."""
    findings = []
    for record in sorted(records, key=lambda item: item.seq):
        entry = record.entry
        if entry.outcome != ALLOWED or entry.action not in STATE_ACTIONS:
            continue
        target = entry.query.get("target", "")
        if entry.action == AccountAction.BOOTSTRAP:
            findings.append(Finding(
                FindingKind.ADMINISTRATOR_NAMED_ALONE, target,
                "created as the first administrator by bootstrap-admin (one person, outside the "
                "console: confirm it was the department's decision)",
                {"record": record.seq, "at": entry.at, "by": entry.user_id}))
        elif entry.query.get("bootstrap_exception") == TRUE:
            findings.append(Finding(
                FindingKind.ADMINISTRATOR_NAMED_ALONE, target,
                f"named administrator by {entry.username} alone, under the bootstrap exception "
                "(the first administrator may name the second)",
                {"record": record.seq, "at": entry.at, "by": entry.username,
                 "reason": entry.query.get("reason", "")}))
    return findings


@dataclass(frozen=True)
class AccountChange:
    """One change to an account in the month, for the report's list."""

    seq: int
    at: str
    action: str
    outcome: str
    target: str
    by: str
    role: str
    supervisor: bool
    reason: str
    detail: str


def account_changes(records: Iterable[AuditRecord]) -> list[AccountChange]:
    """Every account change of the month, refused attempts included, in record order."""
    changes = []
    for record in sorted(records, key=lambda item: item.seq):
        entry = record.entry
        if entry.action not in LISTED_ACTIONS:
            continue
        query = entry.query
        detail = ", ".join(f"{name} {query[name]}" for name in
                           ("kind", "from_role", "proposed_by", "voids", "bootstrap_exception")
                           if query.get(name))
        changes.append(AccountChange(
            record.seq, entry.at, entry.action, entry.outcome
            + (f" ({entry.refusal_code})" if entry.refusal_code else ""),
            query.get("target", ""), entry.username, query.get("role", ""),
            query.get("supervisor") == TRUE, query.get("reason", ""), detail))
    return changes


def _state(account: ExpectedAccount | RegisterEntry) -> str:
    if account.retired:
        return "retired"
    return "enabled" if account.enabled else "disabled"
