"""Who may be given an account and a role, and how (policy 428.3.1(a); State Auditor 2019-118).

428.3.1(a) lets only listed job titles use the system, with the approval of the Administrative
Services Division Commander or designee. The State Auditor found accounts created and left
without approval, review or deactivation. So accounts are created and changed only through
Platekeeper, each change with who and why; an account has one role; granting or removing the
administrator or auditor role (the two that run and watch the program) takes a second
administrator, like every other two-person rule here (separation_of_duties.py). The one
exception: while the administrator created by `bootstrap-admin` is the only one, it may name the
second, and the monthly report lists that grant. Retirement disables an account and never
deletes it, because the access record keeps pointing at the person.

Each rule returns a Refusal (stable code, sentence, status) or None. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from chalicelib.domain.access import Role, UserAccount
from chalicelib.domain.account_register import (
    EMAIL,
    JOB_ROLES,
    MAX_REASON,
    TWO_PERSON_ROLES,
    USERNAME,
    PendingChange,
    RegisterEntry,
    describe_groups,
    parse_role,
    supervisor_allowed,
    username_key,
)
from chalicelib.domain.reads import parse_time
from chalicelib.policy.access import CERTIFICATION_VALID_DAYS, IDLE_LIMIT_DAYS, Refusal
from chalicelib.policy.separation_of_duties import SELF_APPROVAL, SELF_CONFIRMATION, same_person

# A proposal nobody confirmed within this long lapses; the proposer files it again if needed.
PROPOSAL_VALID = timedelta(days=7)
ACCOUNT_CHANGED_OUTSIDE_APP = "ACCOUNT_CHANGED_OUTSIDE_APP"


def username_refusal(username: object) -> Refusal | None:
    if isinstance(username, str) and USERNAME.match(username):
        return None
    return Refusal("USERNAME_INVALID", "username must be 3-64 lowercase letters, digits, dots, "
                   "dashes or underscores, starting with a letter or digit", 400)


def email_refusal(email: object) -> Refusal | None:
    if isinstance(email, str) and len(email) <= 254 and EMAIL.match(email.strip()):
        return None
    return Refusal("EMAIL_INVALID", "give the person's work e-mail address: Cognito sends the "
                   "temporary password there", 400)


def reason_refusal(reason: object) -> Refusal | None:
    """Every change says why (it is kept in the access record)."""
    if not isinstance(reason, str) or not reason.strip():
        return Refusal("REASON_REQUIRED", "say why (kept in the access record with your name)",
                       400)
    if len(reason.strip()) > MAX_REASON:
        return Refusal("REASON_TOO_LONG", f"keep the reason to {MAX_REASON} characters", 400)
    return None


def role_refusal(role: object, supervisor: object) -> Refusal | None:
    """One role from the policy's titles; supervisor only beside a role that searches."""
    if parse_role(role) is None:
        allowed = ", ".join(item.value for item in JOB_ROLES)
        return Refusal("ROLE_INVALID", f"role must be one of: {allowed}", 400)
    if not isinstance(supervisor, bool):
        return Refusal("SUPERVISOR_INVALID", "supervisor must be true or false", 400)
    if supervisor and not supervisor_allowed(parse_role(role)):
        return Refusal("SUPERVISOR_NOT_APPLICABLE",
                       "only a role that searches reads (not the administrator, who may already "
                       "approve) can also be a supervisor", 400)
    return None


def needs_second_administrator(current: Role | None, new: Role | None) -> bool:
    """Granting or removing the administrator or auditor role takes two administrators."""
    return current != new and bool({current, new} & TWO_PERSON_ROLES)


def retirement_needs_second_administrator(entry: RegisterEntry) -> bool:
    """Retiring an administrator or an auditor removes that role: two administrators."""
    return entry.role in TWO_PERSON_ROLES


def bootstrap_exception(actor: RegisterEntry | None, current: Role | None,
                        new_role: Role | None, entries: Iterable[RegisterEntry]) -> bool:
    """The first administrator (created by bootstrap-admin) may name the second alone, while no
    other enabled administrator exists; the monthly report lists every such grant. It never
    covers taking the auditor role away."""
    if (actor is None or not actor.bootstrap or new_role is not Role.ADMINISTRATOR
            or current in TWO_PERSON_ROLES):
        return False
    return not any(entry.role is Role.ADMINISTRATOR and entry.enabled and not entry.retired
                   and entry.key != actor.key for entry in entries)


def change_refusal(entry: RegisterEntry) -> Refusal | None:
    """Changes to a retired account, or while another change waits, are refused."""
    if entry.retired:
        return Refusal("ACCOUNT_RETIRED", f"{entry.username} is retired; retired accounts stay "
                       "disabled (invite the person under a new username)", 409)
    if entry.pending is not None:
        return Refusal("CHANGE_PENDING", f"a {entry.pending.kind.value.replace('_', ' ')} "
                       f"proposed by {entry.pending.proposed_by} waits for a second "
                       "administrator; confirm or decline it first", 409)
    return None


def confirmation_refusal(change: PendingChange, target: str, confirmer: str,
                         now: datetime) -> Refusal | None:
    """A second administrator, not the proposer and not the account's owner, within the time."""
    if same_person(change.proposed_by, confirmer):
        return Refusal(SELF_CONFIRMATION, "you proposed this change, so a second administrator "
                       "must confirm it (two-person rule)", 403)
    if same_person(target, confirmer):
        return Refusal(SELF_CONFIRMATION, "this change is to your own account, so another "
                       "administrator must confirm it (two-person rule)", 403)
    if now - parse_time(change.proposed_at) > PROPOSAL_VALID:
        return Refusal("PROPOSAL_LAPSED", f"this change was proposed more than "
                       f"{PROPOSAL_VALID.days} days ago and has lapsed; decline it and propose "
                       "it again if it is still wanted", 409)
    return None


def own_account_refusal(target: str, actor: str) -> Refusal | None:
    """428.3.1(a): another administrator approves an account and records its training, never
    its owner (the two-person rule of separation_of_duties.py)."""
    if not same_person(target, actor):
        return None
    return Refusal(SELF_APPROVAL, "this is your own account, so another administrator must "
                   "record its approval and training (two-person rule)", 403)


def outside_change_refusal(username: str, groups: frozenset[Role], enabled: bool,
                           entry: RegisterEntry | None) -> Refusal | None:
    """Cognito must say what Platekeeper decided: an account created in the Cognito console, a
    group added or removed there, or a retired or disabled account enabled there, is refused
    until an administrator reviews it (and the monthly audit names it)."""
    problem = outside_change(username, groups, enabled, entry)
    if problem is None:
        return None
    return Refusal(ACCOUNT_CHANGED_OUTSIDE_APP,
                   f"this account was changed outside Platekeeper ({problem}); the ALPR "
                   "administrator must review it before it can be used", 403)


def outside_change(username: str, groups: frozenset[Role], enabled: bool,
                   entry: RegisterEntry | None) -> str | None:
    """How Cognito's groups and enabled state differ from the register, in words, or None."""
    if entry is None or username_key(entry.username) != username_key(username):
        return "it was not created through Platekeeper"
    if groups != entry.groups:
        return (f"Cognito gives {describe_groups(groups)}, Platekeeper decided "
                f"{describe_groups(entry.groups)}")
    if enabled and not entry.enabled:
        state = "retired" if entry.retired else "disabled"
        return f"it is enabled in Cognito but {state} in Platekeeper"
    return None


def next_expiry(account: UserAccount, now: datetime) -> tuple[str, date] | None:
    """What lapses first for an enabled account, and when: its CLETS certification (two years,
    428.3.1(b)) or its use (idle after IDLE_LIMIT_DAYS without access or re-approval). A date in
    the past has already lapsed."""
    if not account.enabled:
        return None
    candidates: list[tuple[date, str]] = []
    if account.clets_cert_date is not None:
        candidates.append((account.clets_cert_date + timedelta(days=CERTIFICATION_VALID_DAYS),
                           "CLETS certification"))
    activity = [moment.date() for moment in (account.last_access,) if moment is not None]
    activity += [account.approved_at] if account.approved_at else []
    if activity:
        candidates.append((max(activity) + timedelta(days=IDLE_LIMIT_DAYS),
                           "idle suspension"))
    if not candidates:
        return None
    day, what = min(candidates)
    return what, day
