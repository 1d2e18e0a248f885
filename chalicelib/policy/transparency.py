"""What the public page says about the program (428.3.1(g); Civil Code 1798.90.51(b)): who may
use the system and how data is shared, derived from the access rules the code enforces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, Role
from chalicelib.policy.sign_in import (
    FAILURE_WINDOW,
    LOCK_DURATION,
    MAX_FAILURES,
    SESSION_IDLE_MINUTES,
)

# The job titles of 428.3.1(a), as the public reads them.
ROLE_TITLES: Mapping[Role, str] = {
    Role.SWORN_OFFICER: "Sworn police officers",
    Role.COMMUNITY_SERVICE_OFFICER: "Community service officers",
    Role.OFFICE_SPECIALIST: "Office specialists",
    Role.CRIME_ANALYST: "Crime analysts",
    Role.RECORDS_SPECIALIST: "Records specialists",
    Role.DISPATCHER: "Public safety dispatchers",
    Role.VENDOR_REPRESENTATIVE: "Vendor representatives",
    Role.ADMINISTRATOR: "ALPR administrator (Administrative Services Division Commander or "
                        "designee)",
    Role.AUDITOR: "Auditors",
    Role.SUPERVISOR: "Supervisors (beside their own job title)",
}

ABILITIES: Mapping[Permission, str] = {
    Permission.SEARCH_READS: "search plate reads",
    Permission.VIEW_READ: "view a read and its image",
    Permission.VIEW_ALERTS: "receive hotlist alerts",
    Permission.DISPOSE_ALERT: "record the outcome of an alert",
    Permission.MANAGE_HOTLIST: "manage hotlists",
    Permission.MANAGE_CAMERAS: "manage cameras",
    Permission.MANAGE_USERS: "approve users and record their training",
    Permission.REQUEST_HOLD: "ask for data to be held as evidence",
    Permission.APPROVE_HOLD: "approve holds and evidence exports",
    Permission.FILE_RELEASE: "record other agencies' written requests for data",
    Permission.REVIEW_RELEASES: "approve or deny release requests from other agencies",
    Permission.READ_AUDIT: "read the record of access and the monthly audits",
    Permission.SYSTEM_STATUS: "see the system's status",
    Permission.APPROVE_EXTENDED_SEARCH: "approve another user's search over more than the "
                                        "extended-search limit, for one plate and case, for at "
                                        "most 24 hours",
}

# Civil Code 1798.90.55(b), policy 428.7 and the Attorney General's bulletin 2023-DLE-06.
SHARING_RULES: tuple[str, ...] = (
    "Plate data is shared only with California state and local law enforcement or prosecutorial "
    "agencies, for official law enforcement purposes.",
    "Each release needs a written request naming the agency, the person asking and the purpose, "
    "reviewed and approved by the ALPR administrator; approved requests are kept on file.",
    "Requests from federal agencies, agencies of other states and private parties are refused by "
    "rule, whatever a reviewer decides; data is never used for immigration enforcement.",
    "Requests from other public bodies go through the department's records release process.",
)

PREREQUISITES = (
    "department-approved ALPR training",
    "a California DOJ CLETS access certification renewed every two years",
    "approval by the ALPR administrator",
    "use within the last 90 days (idle accounts are suspended)",
)


def search_rules(extended_search_days: int, mfa_for_plate_data: bool) -> tuple[str, ...]:
    """What every search and every sign-in must carry, from the live settings."""
    rules = [
        "Every search and every view of a read names a purpose from a fixed list and the "
        "number of a specific case; placeholder numbers (NONE, N/A, 0000, 1234, ...) are "
        "refused.",
        f"A search covering more than {extended_search_days} days of one vehicle's history "
        "needs a warrant, a court order, or a supervisor's approval given to that user for "
        "that plate and case for at most 24 hours; the supervisor cannot approve their own.",
        "The pages of one search are recorded as one search; every attempt, allowed or "
        "refused, is recorded, failed sign-ins included.",
        f"After {MAX_FAILURES} failed sign-ins within {_minutes(FAILURE_WINDOW)} minutes an "
        f"account is locked for {_minutes(LOCK_DURATION)} minutes.",
    ]
    if mfa_for_plate_data:
        rules.append("Everyone whose role can see plate data or alerts signs in with a "
                     "one-time code from an authenticator app, and the web console locks "
                     f"itself after {SESSION_IDLE_MINUTES} minutes without activity.")
    return tuple(rules)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


@dataclass(frozen=True)
class AuthorizedRole:
    role: str
    title: str
    may: tuple[str, ...]


def authorized_roles() -> tuple[AuthorizedRole, ...]:
    """Every role the system knows, with what it may do, in the order of 428.3.1(a)."""
    return tuple(
        AuthorizedRole(role.value, ROLE_TITLES[role],
                       tuple(ABILITIES[permission] for permission in Permission
                             if permission in ROLE_PERMISSIONS[role]))
        for role in Role)
