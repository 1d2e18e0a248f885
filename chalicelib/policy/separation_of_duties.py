"""Separation of duties: the two-person rules no single insider can get around.

Policy 428.7 gives the release decision to the commander or designee, and the evidence room's
two-person rule is the model: the person who files another agency's request is not the one
who approves it, and the administrator who proposes a directory entry (an agency the department
will share with) is not the one who confirms it. And administration cannot lock itself out:
no change may leave the program without an active administrator, nor leave the administrator
making it as the only one, because every two-person rule then stops working (the last one could
only wait, or be tempted to act alone around the system).

Each rule returns a Refusal (a stable code, a sentence) or None; the services record it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.access import Role, UserAccount
from chalicelib.policy.access import Refusal, account_refusal

SELF_APPROVAL = "SELF_APPROVAL"
SELF_CONFIRMATION = "SELF_CONFIRMATION"
LAST_ADMINISTRATOR = "LAST_ADMINISTRATOR"
SOLE_ADMINISTRATOR = "SOLE_ADMINISTRATOR"
# Every code these rules refuse with (the monthly audit lists each attempt).
CODES = frozenset({SELF_APPROVAL, SELF_CONFIRMATION, LAST_ADMINISTRATOR, SOLE_ADMINISTRATOR})


class AdministratorChange(StrEnum):
    """What is done to an administrator's account (issue 23 adds the routes for the last two)."""

    DISABLE = "disable"
    DEMOTE = "demote"      # the administrator role is taken away
    REMOVE = "remove"      # the account is retired


def same_person(first: str, second: str) -> bool:
    """Usernames compared the way Cognito treats them (case-insensitive)."""
    return bool(first.strip()) and first.strip().casefold() == second.strip().casefold()


def release_approval_refusal(filed_by: str, approver: str) -> Refusal | None:
    """428.7(b): the request is reviewed by someone other than the person who filed it."""
    if not same_person(filed_by, approver):
        return None
    return Refusal(SELF_APPROVAL, "you filed this request, so another person with the right to "
                                  "decide releases must approve it (two-person rule, policy "
                                  "428.7(b))")


def directory_confirmation_refusal(proposed_by: str, confirmer: str) -> Refusal | None:
    """An agency takes effect only when an administrator other than its proposer confirms it."""
    if not same_person(proposed_by, confirmer):
        return None
    return Refusal(SELF_CONFIRMATION, "you proposed this agency, so a second administrator must "
                                      "confirm it (two-person rule)")


def is_active_administrator(account: UserAccount, now: datetime) -> bool:
    """An administrator who can sign in and act today (enabled, approved, trained, certified,
    not idle, with MFA)."""
    return Role.ADMINISTRATOR in account.roles and account_refusal(account, now.date(),
                                                                   now) is None


def administrator_change_refusal(actor: UserAccount, target: UserAccount,
                                 change: AdministratorChange, accounts: Iterable[UserAccount],
                                 now: datetime) -> Refusal | None:
    """Whether disabling, demoting or removing `target` would leave no active administrator,
    or leave `actor` as the only one. Changes to accounts that are not active administrators
    are never refused here."""
    if not is_active_administrator(target, now):
        return None
    remaining = [account for account in accounts if is_active_administrator(account, now)
                 and not same_person(account.username, target.username)]
    verb = change.value
    if not remaining:
        return Refusal(LAST_ADMINISTRATOR,
                       f"you cannot {verb} the last active administrator: the program would be "
                       "left without one (appoint and approve another administrator first)",
                       409)
    if len(remaining) == 1 and same_person(remaining[0].username, actor.username):
        return Refusal(SOLE_ADMINISTRATOR,
                       f"to {verb} {target.username} would leave you the only active "
                       "administrator, and the two-person rules need a second one (appoint "
                       "another administrator first)", 409)
    return None
