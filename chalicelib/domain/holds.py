"""Policy 428.5 holds: reads kept past retention for evidence, discovery or another lawful action.

A hold names a case, a reason from a fixed list, the person who asked for it and the administrator
who approved it (two different people: nobody approves their own hold), and a review date by which
it must be reconsidered. While any active hold covers a read, the read has no TTL and its images
carry an S3 Object Lock legal hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from chalicelib.domain.access import CASE_NUMBER
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import format_time
from chalicelib.policy.retention import expiry_epoch

HOLD_REASONS = ("evidence", "discovery_request", "litigation", "other_lawful_action")
# A hold is reviewed at least every two years; a longer hold is renewed by a new approval.
MAX_REVIEW_DAYS = 2 * 365
# The read ids are stored on the hold item (DynamoDB items are at most 400 KB).
MAX_HOLD_READS = 5000
MAX_NOTE_LENGTH = 500
# After a release, data already past retention stays this long before TTL purges it.
RELEASE_GRACE = timedelta(days=7)


class HoldStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"


class HoldRefused(Refused):
    """A hold breaks a rule: a stable code for programs and a sentence for people."""


@dataclass(frozen=True)
class Hold:
    """One approved hold on a set of reads."""

    hold_id: str
    case_number: str
    reason: str
    requested_by: str
    approved_by: str
    created_at: str
    review_date: date
    status: HoldStatus = HoldStatus.ACTIVE
    released_by: str = ""
    released_at: str = ""
    read_ids: tuple[str, ...] = ()
    note: str = ""

    @property
    def active(self) -> bool:
        return self.status is HoldStatus.ACTIVE


@dataclass(frozen=True)
class HoldRequest:
    """What a person asks for; `new_hold` turns it into a Hold or refuses it."""

    case_number: str
    reason: str
    requested_by: str
    approved_by: str
    review_date: date
    note: str = ""


def new_hold(request: HoldRequest, read_ids: Iterable[str], now: datetime,
             hold_id: str | None = None) -> Hold:
    """A validated active hold over `read_ids` (duplicates dropped), or HoldRefused."""
    ids = tuple(dict.fromkeys(read_id.strip() for read_id in read_ids if read_id.strip()))
    for check in _CHECKS:
        check(request, ids, now)
    return Hold(
        hold_id=hold_id or str(uuid.uuid4()),
        case_number=request.case_number.strip().upper(),
        reason=request.reason,
        requested_by=request.requested_by.strip(),
        approved_by=request.approved_by.strip(),
        created_at=format_time(now),
        review_date=request.review_date,
        read_ids=ids,
        note=request.note.strip(),
    )


def release(hold: Hold, by: str, now: datetime) -> Hold:
    """The hold as released by `by` at `now`; only an active hold can be released."""
    if not hold.active:
        raise HoldRefused("HOLD_NOT_ACTIVE", f"hold {hold.hold_id} was already released")
    if not by.strip():
        raise HoldRefused("RELEASED_BY_REQUIRED", "name who releases the hold")
    return replace(hold, status=HoldStatus.RELEASED, released_by=by.strip(),
                   released_at=format_time(now))


def is_overdue(hold: Hold, today: date) -> bool:
    """An active hold whose review date has passed must be reviewed (renewed or released)."""
    return hold.active and hold.review_date < today


def expiry_after_release(captured_at: datetime, retention_days: int, now: datetime,
                         grace: timedelta = RELEASE_GRACE) -> int:
    """The TTL a released read gets back: its normal expiry, or now + grace if that has passed."""
    normal = expiry_epoch(captured_at, retention_days)
    if normal > int(now.timestamp()):
        return normal
    return int((now + grace).timestamp())


def _check_case_number(request: HoldRequest, ids: tuple[str, ...], now: datetime) -> None:
    if not CASE_NUMBER.match(request.case_number.strip().upper()):
        raise HoldRefused("CASE_NUMBER_INVALID",
                          "case number must be 4-32 letters, digits or dashes")


def _check_reason(request: HoldRequest, ids: tuple[str, ...], now: datetime) -> None:
    if request.reason not in HOLD_REASONS:
        raise HoldRefused("REASON_INVALID",
                          "reason must be one of: " + ", ".join(HOLD_REASONS))
    if request.reason == "other_lawful_action" and not request.note.strip():
        raise HoldRefused("NOTE_REQUIRED", "describe the lawful action in the note")
    if len(request.note) > MAX_NOTE_LENGTH:
        raise HoldRefused("NOTE_TOO_LONG", f"the note is limited to {MAX_NOTE_LENGTH} characters")


def _check_people(request: HoldRequest, ids: tuple[str, ...], now: datetime) -> None:
    requester, approver = request.requested_by.strip(), request.approved_by.strip()
    if not requester or not approver:
        raise HoldRefused("PEOPLE_REQUIRED", "name who requested and who approved the hold")
    if requester.casefold() == approver.casefold():
        raise HoldRefused("SELF_APPROVAL",
                          "a hold must be approved by an administrator other than the requester")


def _check_review_date(request: HoldRequest, ids: tuple[str, ...], now: datetime) -> None:
    today = now.date()
    if request.review_date <= today:
        raise HoldRefused("REVIEW_DATE_INVALID", "the review date must be in the future")
    if request.review_date > today + timedelta(days=MAX_REVIEW_DAYS):
        raise HoldRefused("REVIEW_DATE_INVALID",
                          f"the review date must be within {MAX_REVIEW_DAYS} days")


def _check_reads(request: HoldRequest, ids: tuple[str, ...], now: datetime) -> None:
    if not ids:
        raise HoldRefused("READS_REQUIRED", "choose at least one read to hold")
    if len(ids) > MAX_HOLD_READS:
        raise HoldRefused("TOO_MANY_READS",
                          f"one hold covers at most {MAX_HOLD_READS} reads; split the request")


_CHECKS: tuple[Callable[[HoldRequest, tuple[str, ...], datetime], None], ...] = (
    _check_case_number, _check_reason, _check_people, _check_review_date, _check_reads,
)


# ---------------------------------------------------------------------- hold requests
class HoldAskStatus(StrEnum):
    """An officer's request that data be held; an administrator approves it (placing the hold)
    or declines it. Stored beside holds, with statuses of its own."""

    REQUESTED = "hold_requested"
    APPROVED = "hold_request_approved"
    DECLINED = "hold_request_declined"


@dataclass(frozen=True)
class HoldAsk:
    ask_id: str
    case_number: str
    reason: str
    review_date: date
    requested_by: str
    requested_at: str
    read_ids: tuple[str, ...]
    note: str = ""
    status: HoldAskStatus = HoldAskStatus.REQUESTED
    decided_by: str = ""
    decided_at: str = ""
    decision_reason: str = ""
    hold_id: str = ""


def new_ask(request: HoldRequest, read_ids: Iterable[str], now: datetime,
            ask_id: str | None = None) -> HoldAsk:
    """A validated request to hold `read_ids` (the same rules as a hold, but no approver yet)."""
    ids = tuple(dict.fromkeys(read_id.strip() for read_id in read_ids if read_id.strip()))
    for check in _CHECKS:
        if check is not _check_people:
            check(request, ids, now)
    if not request.requested_by.strip():
        raise HoldRefused("PEOPLE_REQUIRED", "name who requests the hold")
    return HoldAsk(ask_id=ask_id or str(uuid.uuid4()),
                   case_number=request.case_number.strip().upper(), reason=request.reason,
                   review_date=request.review_date, requested_by=request.requested_by.strip(),
                   requested_at=format_time(now), read_ids=ids, note=request.note.strip())


def decide_ask(ask: HoldAsk, by: str, now: datetime, approved: bool, reason: str = "",
               hold_id: str = "") -> HoldAsk:
    """The request approved (with the hold it became) or declined (with a reason)."""
    if ask.status is not HoldAskStatus.REQUESTED:
        raise HoldRefused("HOLD_REQUEST_DECIDED", f"this hold request was already "
                                                  f"{ask.status.value.removeprefix('hold_')}")
    if not approved and not reason.strip():
        raise HoldRefused("REASON_REQUIRED", "give the reason for declining (it is kept)")
    if len(reason) > MAX_NOTE_LENGTH:
        raise HoldRefused("REASON_INVALID", f"the reason is limited to {MAX_NOTE_LENGTH} "
                                            "characters")
    return replace(ask, status=HoldAskStatus.APPROVED if approved else HoldAskStatus.DECLINED,
                   decided_by=by, decided_at=format_time(now), decision_reason=reason.strip(),
                   hold_id=hold_id)
