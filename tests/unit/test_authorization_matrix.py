"""Every route of the app against every role and account state.

A new route fails `test_every_route_has_a_rule` until it is added to EXPECTED below, so no
route can ship without a decision about who may call it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from app import api
from chalicelib.adapters.identity import CognitoAccount, TokenClaims, Unauthenticated
from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, Role
from chalicelib.domain.account_register import RegisterEntry
from chalicelib.domain.audit import AuditEntry, AuditRecord, link
from chalicelib.services.accounts import (
    AccessRefused,
    AccountDependencies,
    RequestMeta,
    authorize,
)

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
P = Permission
EXPECTED: dict[tuple[str, str], Permission | str] = {
    ("GET", "/health"): "public",
    ("GET", "/openapi.json"): "public",
    ("POST", "/auth/login"): "public",
    ("POST", "/auth/mfa"): "public",
    ("POST", "/auth/mfa/setup"): "public",
    ("POST", "/auth/password"): "public",
    ("POST", "/search-approvals"): P.APPROVE_EXTENDED_SEARCH,
    ("GET", "/search-approvals"): P.SEARCH_READS,
    ("POST", "/search-approvals/{approval_id}/revocation"): P.APPROVE_EXTENDED_SEARCH,
    ("POST", "/uploads"): "camera",
    ("POST", "/reads/search"): P.SEARCH_READS,
    ("GET", "/reads/{read_id}"): P.VIEW_READ,
    ("GET", "/audit"): P.READ_AUDIT,
    ("GET", "/reports/monthly"): P.READ_AUDIT,
    ("POST", "/reports/monthly"): P.READ_AUDIT,
    ("GET", "/reports/monthly/{month}"): P.READ_AUDIT,
    ("GET", "/transparency"): "public",
    ("GET", "/transparency.json"): "public",
    ("GET", "/admin/users"): P.MANAGE_USERS,
    ("POST", "/admin/users"): P.MANAGE_USERS,
    ("PUT", "/admin/users/{username}/role"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/retirement"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/pending-change/confirmation"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/pending-change/decline"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/restoration"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/invitation"): P.MANAGE_USERS,
    ("POST", "/admin/users/{username}/approval"): P.MANAGE_USERS,
    ("PUT", "/admin/users/{username}/training"): P.MANAGE_USERS,
    ("PUT", "/admin/users/{username}/enabled"): P.MANAGE_USERS,
    ("GET", "/admin/cameras"): P.MANAGE_CAMERAS,
    ("POST", "/admin/cameras"): P.MANAGE_CAMERAS,
    ("POST", "/admin/cameras/{camera_id}/credential"): P.MANAGE_CAMERAS,
    ("POST", "/admin/cameras/{camera_id}/revocation"): P.MANAGE_CAMERAS,
    ("PUT", "/admin/cameras/{camera_id}/active"): P.MANAGE_CAMERAS,
    ("GET", "/admin/uploads/exceptions"): P.MANAGE_CAMERAS,
    ("POST", "/hotlist/entries"): P.MANAGE_HOTLIST,
    ("POST", "/hotlist/imports"): P.MANAGE_HOTLIST,
    ("GET", "/alerts"): P.VIEW_ALERTS,
    ("POST", "/alerts/{alert_id}/disposition"): P.DISPOSE_ALERT,
    ("POST", "/holds"): P.APPROVE_HOLD,
    ("POST", "/holds/{hold_id}/release"): P.APPROVE_HOLD,
    ("GET", "/holds/overdue"): P.APPROVE_HOLD,
    ("POST", "/exports"): P.APPROVE_HOLD,
    ("GET", "/holds"): P.APPROVE_HOLD,
    ("GET", "/console"): "public",
    ("GET", "/console/app.js"): "public",
    ("GET", "/console/app.css"): "public",
    ("GET", "/console/catalog.json"): "public",
    ("POST", "/releases"): P.FILE_RELEASE,
    ("GET", "/releases"): P.FILE_RELEASE,
    ("GET", "/releases/{request_id}"): P.FILE_RELEASE,
    ("POST", "/releases/{request_id}/approval"): P.REVIEW_RELEASES,
    ("POST", "/releases/{request_id}/denial"): P.REVIEW_RELEASES,
    ("POST", "/releases/{request_id}/delivery"): P.REVIEW_RELEASES,
    ("POST", "/releases/{request_id}/agency"): P.FILE_RELEASE,
    ("GET", "/console/agencies.js"): "public",
    ("GET", "/console/accounts.js"): "public",
    ("GET", "/console/live.js"): "public",
    ("GET", "/console/reads.js"): "public",
    ("GET", "/console/cameras.js"): "public",
    ("GET", "/console/hotlists.js"): "public",
    ("GET", "/console/exports.js"): "public",
    ("GET", "/console/favicon.svg"): "public",
    ("GET", "/agencies"): P.FILE_RELEASE,
    ("POST", "/agencies"): P.MANAGE_AGENCIES,
    ("GET", "/agencies/candidates"): P.MANAGE_AGENCIES,
    ("GET", "/agencies/{agency_id}"): P.FILE_RELEASE,
    ("POST", "/agencies/{agency_id}/confirmation"): P.MANAGE_AGENCIES,
    ("POST", "/agencies/{agency_id}/rejection"): P.MANAGE_AGENCIES,
    ("POST", "/agencies/{agency_id}/retirement"): P.MANAGE_AGENCIES,
    ("POST", "/holds/requests"): P.REQUEST_HOLD,
    ("GET", "/holds/requests"): P.APPROVE_HOLD,
    ("POST", "/holds/requests/{request_id}/approval"): P.APPROVE_HOLD,
    ("POST", "/holds/requests/{request_id}/denial"): P.APPROVE_HOLD,
    ("GET", "/system/status"): P.SYSTEM_STATUS,
    # Running the program day to day (issue 22).
    ("GET", "/alerts/live"): P.VIEW_ALERTS,
    ("GET", "/alerts/subscriptions"): P.VIEW_ALERTS,
    ("POST", "/alerts/subscriptions"): P.VIEW_ALERTS,
    ("POST", "/alerts/subscriptions/{subscription_id}/removal"): P.VIEW_ALERTS,
    ("GET", "/hotlist/lists"): P.MANAGE_HOTLIST,
    ("PUT", "/hotlist/lists/{list_name}/priority"): P.MANAGE_HOTLIST,
    ("POST", "/hotlist/entries/{entry_id}/withdrawal"): P.MANAGE_HOTLIST,
    ("PUT", "/admin/cameras/{camera_id}/expected-interval"): P.MANAGE_CAMERAS,
    ("GET", "/cameras/positions"): P.SEARCH_READS,
    ("GET", "/exports"): P.APPROVE_HOLD,
    ("POST", "/exports/{export_id}/download"): P.APPROVE_HOLD,
    ("POST", "/exports/{export_id}/verification"): P.APPROVE_HOLD,
}

GOOD = {"custom:agency": "PD", "custom:approved_by": "commander",
        "custom:approved_at": (NOW.date() - timedelta(days=5)).isoformat(),
        "custom:training_date": "2026-01-10", "custom:vendor_training_date": "2026-01-12",
        "custom:clets_cert_date": "2025-06-01"}
# "register:..." states: Cognito as GOOD, the account register saying something else.
ACCOUNT_STATES: dict[str, tuple[dict[str, str], bool, str | None]] = {
    "in good standing": ({}, True, None),
    "vendor training missing": ({"custom:vendor_training_date": ""}, True, "TRAINING_MISSING"),
    "register: not created in Platekeeper": ({}, True, "ACCOUNT_CHANGED_OUTSIDE_APP"),
    "register: another role": ({}, True, "ACCOUNT_CHANGED_OUTSIDE_APP"),
    "register: disabled": ({}, True, "ACCOUNT_CHANGED_OUTSIDE_APP"),
    "disabled": ({}, False, "ACCOUNT_DISABLED"),
    "not approved": ({"custom:approved_by": ""}, True, "ACCOUNT_NOT_APPROVED"),
    "training missing": ({"custom:training_date": ""}, True, "TRAINING_MISSING"),
    "certification expired": ({"custom:clets_cert_date": "2024-11-01"}, True,
                              "CERTIFICATION_EXPIRED"),
    "idle": ({"custom:approved_at": "2026-07-01"}, True, "ACCOUNT_IDLE"),
}


class FakeIdentity:
    def __init__(self, account: CognitoAccount | None) -> None:
        self.cognito_account = account

    def verify(self, token: str) -> TokenClaims:
        if self.cognito_account is None or token != "valid":
            raise Unauthenticated("bad token")
        return TokenClaims(self.cognito_account.user_id, self.cognito_account.username)

    def account(self, username: str) -> CognitoAccount:
        assert self.cognito_account is not None
        return self.cognito_account

    def update_attributes(self, username: str, values: dict[str, str]) -> None: ...

    def set_enabled(self, username: str, enabled: bool) -> None: ...

    def list_accounts(self) -> list[CognitoAccount]:
        return []


class FakeRegister:
    def __init__(self, entry: RegisterEntry | None) -> None:
        self.entry = entry

    def get(self, username: str) -> RegisterEntry | None:
        return self.entry


def register_for(role: Role, state: str) -> FakeRegister:
    if state == "register: not created in Platekeeper":
        return FakeRegister(None)
    if state == "register: another role":
        other = Role.AUDITOR if role is not Role.AUDITOR else Role.SWORN_OFFICER
        return FakeRegister(RegisterEntry("someone", other))
    return FakeRegister(RegisterEntry("someone", role, enabled=state != "register: disabled"))


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> AuditRecord:
        self.entries.append(entry)
        return link(entry, None)

    def last_allowed_access(self, user_id: str) -> str | None:
        return None


def deps_for(role: Role, state: str) -> tuple[AccountDependencies, FakeAudit]:
    changes, enabled, _ = ACCOUNT_STATES[state]
    attributes = {**GOOD, **changes}
    account = CognitoAccount("sub-1", "someone", enabled, attributes, frozenset({role}),
                             mfa_enabled=True)
    audit = FakeAudit()
    return AccountDependencies(FakeIdentity(account), audit, register_for(role, state),
                               lambda: NOW), audit


def test_every_route_has_a_rule() -> None:
    declared = {(route.method, route.path): (route.permission or route.auth)
                for route in api.routes}
    assert declared == EXPECTED


PROTECTED = sorted({permission for permission in EXPECTED.values()
                    if isinstance(permission, Permission)})


@pytest.mark.parametrize("state", sorted(ACCOUNT_STATES))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", PROTECTED)
def test_role_and_account_state_decide_access(permission: Permission, role: Role,
                                              state: str) -> None:
    deps, audit = deps_for(role, state)
    refusal_code = ACCOUNT_STATES[state][2]
    meta = RequestMeta("10.0.0.1", "req-1", permission.value, {})
    allowed = refusal_code is None and permission in ROLE_PERMISSIONS[role]
    if allowed:
        caller = authorize("valid", permission, meta, deps)
        assert caller.account.username == "someone"
        assert audit.entries == []
        return
    with pytest.raises(AccessRefused) as refused:
        authorize("valid", permission, meta, deps)
    expected_code = refusal_code or "ROLE_NOT_PERMITTED"
    assert refused.value.refusal.code == expected_code
    assert [entry.refusal_code for entry in audit.entries] == [expected_code]


@pytest.mark.parametrize("token", [None, "", "forged"])
@pytest.mark.parametrize("permission", PROTECTED)
def test_no_valid_token_is_401_and_recorded(permission: Permission, token: str | None) -> None:
    deps, audit = deps_for(Role.SWORN_OFFICER, "in good standing")
    with pytest.raises(AccessRefused) as refused:
        authorize(token, permission, RequestMeta("", "", permission.value, {}), deps)
    assert (refused.value.refusal.status, refused.value.refusal.code) == (401,
                                                                          "UNAUTHENTICATED")
    assert audit.entries[0].user_id == "anonymous"


def test_administrators_need_mfa() -> None:
    deps, _ = deps_for(Role.ADMINISTRATOR, "in good standing")
    no_mfa = replace(deps.identity.account("x"), mfa_enabled=False)
    deps = replace(deps, identity=FakeIdentity(no_mfa))
    with pytest.raises(AccessRefused) as refused:
        authorize("valid", Permission.MANAGE_USERS, RequestMeta("", "", "x", {}), deps)
    assert refused.value.refusal.code == "MFA_REQUIRED"


def test_certification_exactly_two_years_old_still_counts() -> None:
    deps, _ = deps_for(Role.SWORN_OFFICER, "in good standing")
    fresh = replace(deps.identity.account("x"), attributes={
        **GOOD, "custom:clets_cert_date": (NOW.date() - timedelta(days=730)).isoformat()})
    deps = replace(deps, identity=FakeIdentity(fresh))
    authorize("valid", Permission.SEARCH_READS, RequestMeta("", "", "x", {}), deps)
    assert date.fromisoformat(fresh.attributes["custom:clets_cert_date"]) < NOW.date()
