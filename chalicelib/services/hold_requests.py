"""Officers ask for data to be held (Permission.REQUEST_HOLD); an administrator approves the
request, which places the hold (services/holds.py, two people: the requester is never the
approver), or declines it with a reason. Every step is in the access record with the case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.holds import HoldAsk, HoldRefused, HoldRequest, decide_ask, new_ask
from chalicelib.domain.reads import Read
from chalicelib.services.auditing import AuditWriter, entry_for
from chalicelib.services.exports import is_uuid
from chalicelib.services.holds import (
    HoldDependencies,
    HoldOutcome,
    ReadLookup,
    place_hold,
    reads_by_id,
)

ASK_ACTION = "request_hold"
LIST_ACTION = "list_hold_requests"
APPROVE_ACTION = "approve_hold_request"
DECLINE_ACTION = "decline_hold_request"

ASK_SCHEMA: dict[str, Any] = {
    "read_ids": {"type": "array", "items": {"type": "string"}},
    "case_number": {"type": "string"}, "reason": {"type": "string"},
    "review_date": {"type": "string", "format": "date"}, "note": {"type": "string"},
}


class HoldRequestNotFound(LookupError):
    """No hold request with that id."""


class HoldAsks(Protocol):
    def put_new(self, ask: HoldAsk) -> None: ...

    def get(self, ask_id: str) -> HoldAsk | None: ...

    def record_decision(self, ask: HoldAsk) -> bool: ...

    def waiting(self) -> list[HoldAsk]: ...


@dataclass(frozen=True)
class HoldAskDependencies:
    asks: HoldAsks
    reads: ReadLookup
    holds: HoldDependencies
    audit: AuditWriter
    clock: Callable[[], datetime]


def ask_for_hold(body: Mapping[str, Any], caller: Caller, deps: HoldAskDependencies) -> HoldAsk:
    """Record an officer's request that reads be held for a case."""
    now = deps.clock()
    case_number = str(body.get("case_number", ""))[:32]
    try:
        try:
            review = date.fromisoformat(str(body.get("review_date", "")))
        except ValueError:
            raise HoldRefused("REVIEW_DATE_INVALID",
                              "review_date must be a date YYYY-MM-DD") from None
        reads = reads_by_id(body.get("read_ids"), deps.reads)
        ask = new_ask(HoldRequest(case_number=case_number, reason=str(body.get("reason", "")),
                                  requested_by=caller.account.username, approved_by="",
                                  review_date=review, note=str(body.get("note", ""))[:500]),
                      (read.read_id for read in reads), now)
    except HoldRefused as refused:
        deps.audit.append(entry_for(caller, ASK_ACTION, now, allowed=False,
                                    case_number=case_number, refusal_code=refused.code,
                                    query={"reason": str(body.get("reason", ""))[:40]}))
        raise
    deps.asks.put_new(ask)
    deps.audit.append(entry_for(caller, ASK_ACTION, now, allowed=True, purpose=ask.reason,
                                case_number=ask.case_number, result_count=len(ask.read_ids),
                                query={"request_id": ask.ask_id, "reads": str(len(ask.read_ids)),
                                       "review_date": ask.review_date.isoformat()}))
    return ask


def waiting_requests(caller: Caller, deps: HoldAskDependencies) -> list[HoldAsk]:
    found = deps.asks.waiting()
    deps.audit.append(entry_for(caller, LIST_ACTION, deps.clock(), allowed=True,
                                result_count=len(found)))
    return found


def approve_request(ask_id: str, caller: Caller, deps: HoldAskDependencies
                    ) -> tuple[HoldAsk, HoldOutcome]:
    """Place the requested hold, approved by the caller (never the requester)."""
    now = deps.clock()
    ask = _load(ask_id, caller, APPROVE_ACTION, deps)
    try:
        decide_ask(ask, caller.account.username, now, approved=True)
    except HoldRefused as refused:
        _refuse(caller, APPROVE_ACTION, ask, refused.code, deps)
        raise
    reads: list[Read] = [read for read in map(deps.reads.get, ask.read_ids) if read is not None]
    outcome = place_hold(reads, HoldRequest(
        case_number=ask.case_number, reason=ask.reason, requested_by=ask.requested_by,
        approved_by=caller.account.username, review_date=ask.review_date, note=ask.note),
        caller, deps.holds)  # refuses (and records) self-approval and a lapsed review date
    decided = decide_ask(ask, caller.account.username, now, approved=True,
                         hold_id=outcome.hold.hold_id)
    deps.asks.record_decision(decided)
    deps.audit.append(entry_for(caller, APPROVE_ACTION, now, allowed=True, purpose=ask.reason,
                                case_number=ask.case_number, result_count=outcome.reads_changed,
                                query={"request_id": ask.ask_id, "hold_id": outcome.hold.hold_id,
                                       "requested_by": ask.requested_by}))
    return decided, outcome


def decline_request(ask_id: str, reason: str, caller: Caller, deps: HoldAskDependencies
                    ) -> HoldAsk:
    now = deps.clock()
    ask = _load(ask_id, caller, DECLINE_ACTION, deps)
    try:
        decided = decide_ask(ask, caller.account.username, now, approved=False, reason=reason)
        if not deps.asks.record_decision(decided):
            raise HoldRefused("HOLD_REQUEST_DECIDED", "this hold request was decided meanwhile")
    except HoldRefused as refused:
        _refuse(caller, DECLINE_ACTION, ask, refused.code, deps)
        raise
    deps.audit.append(entry_for(caller, DECLINE_ACTION, now, allowed=True,
                                case_number=ask.case_number,
                                query={"request_id": ask.ask_id, "reason": reason[:200]}))
    return decided


def ask_view(ask: HoldAsk) -> dict[str, Any]:
    return {"request_id": ask.ask_id, "case_number": ask.case_number, "reason": ask.reason,
            "review_date": ask.review_date.isoformat(), "requested_by": ask.requested_by,
            "requested_at": ask.requested_at, "reads": len(ask.read_ids),
            "read_ids": list(ask.read_ids), "note": ask.note,
            "status": ask.status.value.removeprefix("hold_"), "decided_by": ask.decided_by,
            "decided_at": ask.decided_at, "decision_reason": ask.decision_reason,
            "hold_id": ask.hold_id}


def _load(ask_id: str, caller: Caller, action: str, deps: HoldAskDependencies) -> HoldAsk:
    ask = deps.asks.get(ask_id) if is_uuid(ask_id) else None
    if ask is None:
        deps.audit.append(entry_for(caller, action, deps.clock(), allowed=False,
                                    refusal_code="NOT_FOUND", query={"request_id": ask_id[:64]}))
        raise HoldRequestNotFound(ask_id)
    return ask


def _refuse(caller: Caller, action: str, ask: HoldAsk, code: str,
            deps: HoldAskDependencies) -> None:
    deps.audit.append(entry_for(caller, action, deps.clock(), allowed=False,
                                case_number=ask.case_number, refusal_code=code,
                                query={"request_id": ask.ask_id}))
