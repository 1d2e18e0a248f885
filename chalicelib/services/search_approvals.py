"""Supervisors approve another user's extended search (policy/long_history.py): one named user,
one plate, one case, at most 24 hours, never their own. Every attempt, allowed or refused, is
recorded; approvals are kept, and a revoked one stops covering searches at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.identity import AccountNotFound, CognitoAccount
from chalicelib.domain.access import ROLE_PERMISSIONS, Caller, Permission
from chalicelib.domain.errors import Refused
from chalicelib.domain.plates import InvalidPlate, normalize_plate
from chalicelib.domain.reads import format_time
from chalicelib.policy.access import Refusal, case_number_refusal
from chalicelib.policy.case_numbers import DEFAULT_CASE_NUMBER_RULE, CaseNumberRule
from chalicelib.policy.long_history import (
    MAX_APPROVAL_HOURS,
    MAX_REASON_LENGTH,
    AuthorityRefused,
    SearchApproval,
    approval_hours,
    new_approval_refusal,
)
from chalicelib.services.auditing import AuditWriter, entry_for

APPROVE_ACTION = "approve_extended_search"
REVOKE_ACTION = "revoke_search_approval"
LIST_ACTION = "list_search_approvals"
APPROVAL_SCHEMA: dict[str, Any] = {
    "searcher": {"type": "string", "description": "username of the officer who will search"},
    "plate": {"type": "string", "maxLength": 12},
    "case_number": {"type": "string"},
    "reason": {"type": "string", "maxLength": MAX_REASON_LENGTH},
    "hours": {"type": "integer", "minimum": 1, "maximum": MAX_APPROVAL_HOURS},
}


class ApprovalRefused(Refused):
    """An approval that cannot be given or revoked."""


class ApprovalStore(Protocol):
    def put(self, approval: SearchApproval) -> None: ...

    def get(self, approval_id: str) -> SearchApproval | None: ...

    def given_to(self, searcher: str, created_since: str) -> list[SearchApproval]: ...

    def revoke(self, approval_id: str, revoked_at: str) -> bool: ...


class UserDirectory(Protocol):
    def account(self, username: str) -> CognitoAccount: ...


@dataclass(frozen=True)
class ApprovalDependencies:
    approvals: ApprovalStore
    users: UserDirectory
    audit: AuditWriter
    clock: Callable[[], datetime]
    case_numbers: CaseNumberRule = DEFAULT_CASE_NUMBER_RULE


def approve(body: Mapping[str, Any], caller: Caller,
            deps: ApprovalDependencies) -> SearchApproval:
    """Approve one named user's extended search of one plate for one case."""
    now = deps.clock()
    searcher = _text(body.get("searcher"))
    case_number = _text(body.get("case_number")).upper()
    query = {"searcher": searcher[:64], "plate": _text(body.get("plate"))[:16]}
    try:
        approval = _new_approval(body, searcher, case_number, caller, now, deps)
    except ApprovalRefused as refused:
        deps.audit.append(entry_for(caller, APPROVE_ACTION, now, allowed=False, query=query,
                                    case_number=case_number, refusal_code=refused.code))
        raise
    deps.approvals.put(approval)
    deps.audit.append(entry_for(
        caller, APPROVE_ACTION, now, allowed=True, case_number=approval.case_number,
        query={"searcher": approval.searcher, "plate": approval.plate,
               "approval_id": approval.approval_id, "expires_at": approval.expires_at,
               "reason": approval.reason}, result_count=1))
    return approval


def given_to_me(caller: Caller, deps: ApprovalDependencies) -> list[SearchApproval]:
    """The approvals in force that were given to the caller (newest first)."""
    now = deps.clock()
    since = format_time(now - timedelta(hours=MAX_APPROVAL_HOURS))
    moment = format_time(now)
    found = [approval for approval in deps.approvals.given_to(caller.account.username, since)
             if approval.in_force(moment)]
    deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=True,
                                result_count=len(found)))
    return found


def revoke(approval_id: str, caller: Caller, deps: ApprovalDependencies) -> SearchApproval:
    """The approver (or an administrator) withdraws an approval before it expires."""
    now = deps.clock()
    query = {"approval_id": approval_id[:64]}
    approval = deps.approvals.get(approval_id) if _looks_like_id(approval_id) else None
    refusal: Refusal | None = None
    if approval is None:
        refusal = Refusal("NOT_FOUND", "no such approval", 404)
    elif approval.approver.casefold() != caller.account.username.casefold() \
            and Permission.MANAGE_USERS not in _permissions(caller):
        refusal = Refusal("NOT_YOUR_APPROVAL",
                          "only the supervisor who gave an approval (or the administrator) "
                          "can revoke it", 403)
    elif not deps.approvals.revoke(approval_id, format_time(now)):
        refusal = Refusal("APPROVAL_ALREADY_REVOKED", "this approval was already revoked", 409)
    if refusal is not None or approval is None:
        refusal = refusal or Refusal("NOT_FOUND", "no such approval", 404)
        deps.audit.append(entry_for(caller, REVOKE_ACTION, now, allowed=False, query=query,
                                    refusal_code=refusal.code))
        raise ApprovalRefused(refusal.code, refusal.message, refusal.status)
    deps.audit.append(entry_for(caller, REVOKE_ACTION, now, allowed=True,
                                query={**query, "searcher": approval.searcher,
                                       "plate": approval.plate},
                                case_number=approval.case_number, result_count=1))
    return SearchApproval(**{**vars(approval), "revoked_at": format_time(now)})


def approval_view(approval: SearchApproval) -> dict[str, Any]:
    return {"approval_id": approval.approval_id, "searcher": approval.searcher,
            "approver": approval.approver, "plate": approval.plate,
            "case_number": approval.case_number, "reason": approval.reason,
            "created_at": approval.created_at, "expires_at": approval.expires_at,
            "revoked_at": approval.revoked_at or None}


def _new_approval(body: Mapping[str, Any], searcher: str, case_number: str, caller: Caller,
                  now: datetime, deps: ApprovalDependencies) -> SearchApproval:
    if not searcher:
        raise ApprovalRefused("SEARCHER_REQUIRED", "name the user who will search")
    refusal = new_approval_refusal(caller.account.username, searcher) \
        or case_number_refusal(case_number, deps.case_numbers)
    if refusal is not None:
        raise ApprovalRefused(refusal.code, refusal.message, refusal.status)
    plate = body.get("plate")
    try:
        if not isinstance(plate, str):
            raise InvalidPlate("plate must be text")
        plate = normalize_plate(plate)
    except InvalidPlate as error:
        raise ApprovalRefused("PLATE_INVALID", str(error)) from None
    reason = _text(body.get("reason"))
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise ApprovalRefused("REASON_REQUIRED", "say why this history is needed (at most "
                              f"{MAX_REASON_LENGTH} characters); it is kept with the approval")
    try:
        hours = approval_hours(body.get("hours"))
    except AuthorityRefused as refused:
        raise ApprovalRefused(refused.refusal.code, refused.refusal.message) from None
    try:
        account = deps.users.account(searcher)
    except AccountNotFound:
        raise ApprovalRefused("USER_NOT_FOUND", "no user has this username", 404) from None
    if new_approval_refusal(caller.account.username, account.username) is not None:
        raise ApprovalRefused("APPROVER_IS_SEARCHER",
                              "a supervisor cannot approve their own extended search", 403)
    if not any(Permission.SEARCH_READS in ROLE_PERMISSIONS[role] for role in account.groups):
        raise ApprovalRefused("SEARCHER_CANNOT_SEARCH", "that user's role does not search reads")
    return SearchApproval(
        approval_id=str(uuid.uuid4()), searcher=account.username,
        approver=caller.account.username, plate=plate, case_number=case_number,
        reason=reason, created_at=format_time(now),
        expires_at=format_time(now + timedelta(hours=hours)))


def _permissions(caller: Caller) -> set[Permission]:
    return {permission for role in caller.account.roles for permission in ROLE_PERMISSIONS[role]}


def _looks_like_id(text: str) -> bool:
    return 0 < len(text) <= 64 and all(char.isalnum() or char == "-" for char in text)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
