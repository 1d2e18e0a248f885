"""Who may do what: roles (policy 428.3.1(a)), permissions, purposes (428.4, 428.6(b)), accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    """Cognito groups, one per job title policy 428.3.1(a) authorizes, plus the auditor."""

    SWORN_OFFICER = "sworn_officer"
    COMMUNITY_SERVICE_OFFICER = "community_service_officer"
    OFFICE_SPECIALIST = "office_specialist"
    CRIME_ANALYST = "crime_analyst"
    RECORDS_SPECIALIST = "records_specialist"
    DISPATCHER = "dispatcher"
    VENDOR_REPRESENTATIVE = "vendor_representative"
    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"
    # Held beside a job title (a sergeant is also a sworn officer): approves another user's
    # search over a long window (policy/long_history.py).
    SUPERVISOR = "supervisor"


class Permission(StrEnum):
    """Actions the API guards; every route names exactly one (or is public)."""

    SEARCH_READS = "search_reads"
    VIEW_READ = "view_read"
    VIEW_ALERTS = "view_alerts"
    DISPOSE_ALERT = "dispose_alert"
    MANAGE_HOTLIST = "manage_hotlist"
    MANAGE_CAMERAS = "manage_cameras"
    MANAGE_USERS = "manage_users"
    REQUEST_HOLD = "request_hold"
    APPROVE_HOLD = "approve_hold"
    FILE_RELEASE = "file_release"        # enter another agency's written request, track it
    REVIEW_RELEASES = "review_releases"  # approve or deny it (428.7(b): the commander/designee)
    MANAGE_AGENCIES = "manage_agencies"  # propose/confirm agency directory entries (two people)
    READ_AUDIT = "read_audit"
    SYSTEM_STATUS = "system_status"
    APPROVE_EXTENDED_SEARCH = "approve_extended_search"


_INVESTIGATIVE = frozenset({Permission.SEARCH_READS, Permission.VIEW_READ,
                            Permission.VIEW_ALERTS, Permission.DISPOSE_ALERT,
                            Permission.REQUEST_HOLD})

# Plate data is for law enforcement work (428.4(a)); the auditor sees the access record only,
# and a vendor representative maintains the system without seeing plates.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SWORN_OFFICER: _INVESTIGATIVE,
    Role.COMMUNITY_SERVICE_OFFICER: _INVESTIGATIVE,
    Role.CRIME_ANALYST: _INVESTIGATIVE,
    Role.DISPATCHER: frozenset({Permission.SEARCH_READS, Permission.VIEW_READ,
                                Permission.VIEW_ALERTS}),
    Role.OFFICE_SPECIALIST: frozenset({Permission.SEARCH_READS, Permission.VIEW_READ}),
    Role.RECORDS_SPECIALIST: frozenset({Permission.SEARCH_READS, Permission.VIEW_READ,
                                        Permission.REQUEST_HOLD, Permission.FILE_RELEASE}),
    Role.VENDOR_REPRESENTATIVE: frozenset({Permission.SYSTEM_STATUS}),
    # The commander or designee runs the program and its monthly audits (428.3, 428.6(c)).
    Role.ADMINISTRATOR: frozenset(Permission),
    Role.AUDITOR: frozenset({Permission.READ_AUDIT, Permission.SYSTEM_STATUS}),
    Role.SUPERVISOR: frozenset({Permission.APPROVE_EXTENDED_SEARCH}),
}

# Permissions that show plate data or alerts (reads, hotlists, release requests, the access
# record's query elements, approvals naming a plate): their holders sign in with a one-time code
# (CJIS Security Policy, multi-factor authentication for access to criminal justice information).
PLATE_DATA_PERMISSIONS = frozenset(Permission) - {
    Permission.MANAGE_CAMERAS, Permission.MANAGE_USERS, Permission.SYSTEM_STATUS}


def sees_plate_data(roles: frozenset[Role]) -> bool:
    """Whether any of these roles can see plate data or alerts."""
    return any(ROLE_PERMISSIONS[role] & PLATE_DATA_PERMISSIONS for role in roles)


class Purpose(StrEnum):
    """The fixed list of lawful purposes (428.3, 428.4, 428.6(b)); a search names one."""

    STOLEN_VEHICLE = "stolen_vehicle"
    STOLEN_PLATE = "stolen_plate"
    WANTED_PERSON = "wanted_person"
    MISSING_PERSON = "missing_person"
    WARRANT = "warrant"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    CRIME_SCENE_CANVASS = "crime_scene_canvass"
    AMBER_ALERT = "amber_alert"
    HOMELAND_SECURITY = "homeland_security"
    SUSPECT_INTERDICTION = "suspect_interdiction"
    STOLEN_PROPERTY_RECOVERY = "stolen_property_recovery"
    CIVIL_OR_ADMINISTRATIVE_ACTION = "civil_or_administrative_action"


# Case numbers of holds and of other agencies' requests: letters, digits and dashes, e.g.
# "2026-001234" or "SC26-4411" (the agency's own format for searches: policy/case_numbers.py).
CASE_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,31}$")


@dataclass(frozen=True)
class UserAccount:
    """A person's account as the access rules need it, read live from Cognito per request."""

    user_id: str
    username: str
    agency: str
    roles: frozenset[Role]
    enabled: bool
    approved_by: str | None
    approved_at: date | None
    training_date: date | None          # the Police Training Unit's (department) training
    clets_cert_date: date | None
    mfa_enabled: bool
    last_access: datetime | None
    # The vendor's training, which 428.3.1(b) requires beside the department's.
    vendor_training_date: date | None = None

    @property
    def primary_role(self) -> str:
        """The role recorded in audit records (the most privileged one held)."""
        order = list(Role)
        return min(self.roles, key=order.index).value if self.roles else "none"


@dataclass(frozen=True)
class Caller:
    """The signed-in person making a request, and where it came from."""

    account: UserAccount
    source_ip: str
    request_id: str
