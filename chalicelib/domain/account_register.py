"""The application's own register of user accounts (policy 428.3.1(a); State Auditor 2019-118).

Cognito holds the sign-in and the groups the API reads on every request; this register holds
what Platekeeper itself decided about each account: its one role (a job title of 428.3.1(a),
the administrator or the auditor), whether it may act as a supervisor, whether it is enabled or
retired, and a change proposed by one administrator that waits for a second. Every change to it
is written to the access record first, with who and why, so the register can be checked against
the record, and Cognito against both: a role given in the Cognito console, around the
application, is refused on the account's next request and named in the monthly audit.

Nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, Role

# One of these per account. The supervisor designation is held beside a job title (a sergeant is
# a sworn officer who may approve another officer's extended search), never alone.
JOB_ROLES: tuple[Role, ...] = tuple(role for role in Role if role is not Role.SUPERVISOR)
# Granting or removing these needs a second administrator (the bootstrap exception aside).
TWO_PERSON_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR})

# Cognito usernames here: lowercase letters, digits, dot, dash, underscore; 3-64 characters.
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
MAX_REASON = 200


class ChangeKind(StrEnum):
    """What a pending change does to the account."""

    ROLE = "role_change"
    RETIREMENT = "retirement"


@dataclass(frozen=True)
class PendingChange:
    """A change one administrator proposed; a second administrator confirms or declines it."""

    change_id: str
    kind: ChangeKind
    role: Role | None
    supervisor: bool
    reason: str
    proposed_by: str
    proposed_at: str
    proposal_seq: int


@dataclass(frozen=True)
class RegisterEntry:
    """What Platekeeper decided about one account. `role` is None while the account waits for
    its first role to be confirmed (an administrator or auditor invited by one administrator)."""

    username: str
    role: Role | None
    supervisor: bool = False
    enabled: bool = True
    retired: bool = False
    created_by: str = ""
    created_at: str = ""
    # Created by `python -m chalicelib.accounts bootstrap-admin` (the first administrator).
    bootstrap: bool = False
    pending: PendingChange | None = None
    last_seq: int = 0
    version: int = 0

    @property
    def key(self) -> str:
        return username_key(self.username)

    @property
    def groups(self) -> frozenset[Role]:
        """The Cognito groups the account must have: its role, and supervisor beside it. A
        retired account has none."""
        if self.retired or self.role is None:
            return frozenset()
        return frozenset({self.role, *((Role.SUPERVISOR,) if self.supervisor else ())})

    def with_role(self, role: Role | None, supervisor: bool, seq: int) -> RegisterEntry:
        return replace(self, role=role, supervisor=supervisor, pending=None, last_seq=seq)


def username_key(username: str) -> str:
    """Usernames compared as Cognito compares them (the pool is case-insensitive)."""
    return username.strip().casefold()


def parse_role(value: object) -> Role | None:
    """A job role by its value, or None when it is not one (supervisor is not a job role)."""
    if isinstance(value, str) and value in {role.value for role in JOB_ROLES}:
        return Role(value)
    return None


def supervisor_allowed(role: Role | None) -> bool:
    """Supervisors approve other users' extended searches: only beside a role that searches
    reads itself, and not beside the administrator (who holds every permission already)."""
    return (role is not None and role is not Role.ADMINISTRATOR
            and Permission.SEARCH_READS in ROLE_PERMISSIONS[role])


def describe_groups(groups: frozenset[Role]) -> str:
    """Groups in the order the policy lists roles, for records and findings ("none" if empty)."""
    order = list(Role)
    return ", ".join(role.value for role in sorted(groups, key=order.index)) or "none"


class AccountAction(StrEnum):
    """The access record's actions that change an account (what the monthly audit replays)."""

    BOOTSTRAP = "bootstrap_admin"
    INVITE = "invite_user"
    RESEND_INVITATION = "resend_invitation"
    CHANGE_ROLE = "change_role"
    PROPOSE = "propose_account_change"
    CONFIRM = "confirm_account_change"
    DECLINE = "decline_account_change"
    RETIRE = "retire_user"
    ENABLE = "enable_user"
    DISABLE = "disable_user"
    RESTORE = "restore_account"
    # A change that was recorded but could not be completed (another administrator's change won
    # the race, or Cognito failed): the record it names did not take effect.
    VOID = "account_change_void"
