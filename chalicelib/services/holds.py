"""Placing and releasing holds (policy 428.5): held reads keep no TTL, their images a legal hold.

The route guards who may call these (Permission.APPROVE_HOLD: an administrator); the domain rule
(`new_hold`) refuses self-approval, so a hold always involves two people. Every attempt, allowed or
refused, is recorded in the audit log with the case number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.adapters.errors import ObjectNotFound
from chalicelib.domain.access import Caller
from chalicelib.domain.holds import (
    Hold,
    HoldRefused,
    HoldRequest,
    HoldStatus,
    expiry_after_release,
    is_overdue,
    new_hold,
    release,
)
from chalicelib.domain.reads import Read, is_read_id, parse_time
from chalicelib.services.auditing import AuditWriter, entry_for

PLACE_ACTION = "place_hold"
RELEASE_ACTION = "release_hold"
LIST_OVERDUE_ACTION = "list_overdue_holds"
LIST_ACTIVE_ACTION = "list_active_holds"
# Each id is a lookup; a hold or export names the reads of one case, not a bulk list.
MAX_READS_PER_REQUEST = 500


class HoldRecords(Protocol):
    """The holds table (adapters/holds_table.HoldsTable)."""

    def put(self, hold: Hold) -> None: ...

    def get(self, hold_id: str) -> Hold | None: ...

    def update(self, hold: Hold) -> bool: ...

    def list_by_status(self, status: HoldStatus,
                       review_before: date | None = None) -> list[Hold]: ...


class ReadLookup(Protocol):
    def get(self, read_id: str) -> Read | None: ...


class ReadHolds(Protocol):
    """Hold marks on read items (adapters/read_holds.ReadHoldsTable)."""

    def mark_held(self, read: Read, hold_id: str) -> None: ...

    def mark_released(self, read: Read, hold_id: str,
                      new_expires_at: int | None) -> tuple[str, ...]: ...


class LegalHolds(Protocol):
    """S3 Object Lock legal holds on every version of a key (adapters/raw_images)."""

    def set_legal_hold(self, key: str, on: bool) -> None: ...


@dataclass(frozen=True)
class HoldDependencies:
    holds: HoldRecords
    reads: ReadLookup
    read_holds: ReadHolds
    images: LegalHolds  # frames, in the raw bucket
    crops: LegalHolds  # crops, in the derived bucket
    audit: AuditWriter
    clock: Callable[[], datetime]
    retention_days: int
    # Whether a read OTHER than the given ones (e.g. a second plate in the same frame) still has
    # a hold and uses this image; the wiring answers it from the images table's read ids.
    image_held_elsewhere: Callable[[str, frozenset[str]], bool]
    # The plate index keeps held reads findable (services/plate_index.hold_reads and
    # release_reads); called with the reads the hold now covers or no longer covers.
    on_held: Callable[[Sequence[Read], str], object] = lambda reads, hold_id: None
    on_released: Callable[[Sequence[Read], str], object] = lambda reads, hold_id: None


@dataclass(frozen=True)
class HoldOutcome:
    """What a place or release changed; counts only, no plate data."""

    hold: Hold
    reads_changed: int = 0
    reads_missing: int = 0
    reads_still_held: int = 0
    objects_changed: int = 0


class HoldNotFound(LookupError):
    """No hold with that id."""


def place_hold(reads: Sequence[Read], request: HoldRequest, caller: Caller,
               deps: HoldDependencies) -> HoldOutcome:
    """Validate and record a hold, then take the TTL off its reads and lock their images."""
    now = deps.clock()
    try:
        hold = new_hold(request, (read.read_id for read in reads), now)
    except HoldRefused as refused:
        _audit_refusal(deps, caller, PLACE_ACTION, now, request.case_number, refused.code,
                       {"reason": request.reason, "reads": str(len(reads))})
        raise
    deps.holds.put(hold)
    changed = missing = 0
    held: list[Read] = []
    for read in _unique(reads):
        try:
            deps.read_holds.mark_held(read, hold.hold_id)
        except ObjectNotFound:
            missing += 1  # purged between the search and the hold
            continue
        changed += 1
        held.append(read)
    deps.on_held(held, hold.hold_id)
    keys = _object_keys(held, deps)
    for store, key in keys:
        store.set_legal_hold(key, True)
    deps.audit.append(entry_for(
        caller, PLACE_ACTION, now, allowed=True, purpose=hold.reason,
        case_number=hold.case_number, result_count=changed,
        query={"hold_id": hold.hold_id, "reason": hold.reason, "reads": str(len(hold.read_ids)),
               "missing": str(missing), "review_date": hold.review_date.isoformat()}))
    return HoldOutcome(hold, changed, missing, 0, len(keys))


def release_hold(hold_id: str, caller: Caller, deps: HoldDependencies) -> HoldOutcome:
    """Release a hold: reads no other hold covers get their TTL back and their images unlocked."""
    now = deps.clock()
    hold = deps.holds.get(hold_id)
    if hold is None:
        _audit_refusal(deps, caller, RELEASE_ACTION, now, "", "HOLD_NOT_FOUND",
                       {"hold_id": hold_id[:64]})
        raise HoldNotFound(hold_id)
    try:
        released = release(hold, caller.account.username, now)
    except HoldRefused as refused:
        _audit_refusal(deps, caller, RELEASE_ACTION, now, hold.case_number, refused.code,
                       {"hold_id": hold.hold_id})
        raise
    freed, still_held, missing = _release_reads(hold, now, deps)
    deps.on_released([*freed, *still_held], hold.hold_id)
    lifted = _lift_legal_holds(freed, still_held, deps)
    # Reads first, record last: a failure part-way leaves the hold active so a retry finishes it.
    deps.holds.update(released)
    deps.audit.append(entry_for(
        caller, RELEASE_ACTION, now, allowed=True, purpose=hold.reason,
        case_number=hold.case_number, result_count=len(freed),
        query={"hold_id": hold.hold_id, "reads": str(len(hold.read_ids)),
               "still_held": str(len(still_held)), "missing": str(missing)}))
    return HoldOutcome(released, len(freed), missing, len(still_held), lifted)


def list_overdue_holds(caller: Caller, deps: HoldDependencies) -> list[Hold]:
    """Active holds past their review date, earliest first (recorded as an access)."""
    now = deps.clock()
    today = now.date()
    overdue = [hold for hold in deps.holds.list_by_status(HoldStatus.ACTIVE, review_before=today)
               if is_overdue(hold, today)]
    deps.audit.append(entry_for(caller, LIST_OVERDUE_ACTION, now, allowed=True,
                                result_count=len(overdue)))
    return overdue


def list_active_holds(caller: Caller, deps: HoldDependencies) -> list[Hold]:
    """Every active hold, earliest review date first (recorded as an access)."""
    now = deps.clock()
    active = deps.holds.list_by_status(HoldStatus.ACTIVE)
    deps.audit.append(entry_for(caller, LIST_ACTIVE_ACTION, now, allowed=True,
                                result_count=len(active)))
    return active


def _release_reads(hold: Hold, now: datetime,
                   deps: HoldDependencies) -> tuple[list[Read], list[Read], int]:
    """Take the hold off each read: (reads now free, reads another hold keeps, reads gone)."""
    freed: list[Read] = []
    still_held: list[Read] = []
    missing = 0
    for read_id in hold.read_ids:
        read = deps.reads.get(read_id)
        if read is None:
            missing += 1
            continue
        expires = expiry_after_release(parse_time(read.captured_at), deps.retention_days, now)
        try:
            remaining = deps.read_holds.mark_released(read, hold.hold_id, expires)
        except ObjectNotFound:
            missing += 1
            continue
        (still_held if remaining else freed).append(read)
    return freed, still_held, missing


def _lift_legal_holds(freed: Sequence[Read], still_held: Sequence[Read],
                      deps: HoldDependencies) -> int:
    """Unlock crops of freed reads, and images no held read (here or elsewhere) still uses."""
    kept = {read.image_key for read in still_held}
    ours = frozenset(read.read_id for read in [*freed, *still_held])
    lifted = 0
    for read in freed:
        if read.crop_key:
            deps.crops.set_legal_hold(read.crop_key, False)
            lifted += 1
    for image_key in dict.fromkeys(read.image_key for read in freed):
        if image_key in kept or deps.image_held_elsewhere(image_key, ours):
            continue
        deps.images.set_legal_hold(image_key, False)
        lifted += 1
    return lifted


def _object_keys(reads: Iterable[Read], deps: HoldDependencies
                 ) -> list[tuple[LegalHolds, str]]:
    """Every frame key (raw bucket) and crop key (derived bucket) of the reads, each once."""
    keys: dict[tuple[str, str], LegalHolds] = {}
    for read in reads:
        keys[("frame", read.image_key)] = deps.images
        if read.crop_key:
            keys[("crop", read.crop_key)] = deps.crops
    return [(store, key) for (_, key), store in keys.items()]


def _unique(reads: Iterable[Read]) -> list[Read]:
    return list({read.read_id: read for read in reads}.values())


def _audit_refusal(deps: HoldDependencies, caller: Caller, action: str, now: datetime,
                   case_number: str, code: str, query: dict[str, str]) -> None:
    deps.audit.append(entry_for(caller, action, now, allowed=False, case_number=case_number,
                                refusal_code=code, query=query))


def reads_by_id(read_ids: object, reads: ReadLookup) -> list[Read]:
    """The reads named in a request; unknown ids are refused rather than silently skipped."""
    if not isinstance(read_ids, list) or not read_ids \
            or not all(is_read_id(item) for item in read_ids):
        raise HoldRefused("READS_INVALID", "read_ids must be a non-empty list of read ids")
    if len(read_ids) > MAX_READS_PER_REQUEST:
        raise HoldRefused("READS_INVALID",
                          f"name at most {MAX_READS_PER_REQUEST} reads per request")
    found = [reads.get(read_id) for read_id in dict.fromkeys(read_ids)]
    missing = sum(read is None for read in found)
    if missing:
        raise HoldRefused("READS_NOT_FOUND", f"{missing} of the reads do not exist (purged?)")
    return [read for read in found if read is not None]


def request_from_body(body: Mapping[str, Any], caller: Caller,
                      reads: ReadLookup) -> tuple[list[Read], HoldRequest]:
    """A hold request from an API body; the administrator calling is the approver."""
    try:
        review = date.fromisoformat(str(body.get("review_date", "")))
    except ValueError:
        raise HoldRefused("REVIEW_DATE_INVALID", "review_date must be a date YYYY-MM-DD") from None
    request = HoldRequest(case_number=str(body.get("case_number", "")),
                          reason=str(body.get("reason", "")),
                          requested_by=str(body.get("requested_by", "")),
                          approved_by=caller.account.username, review_date=review,
                          note=str(body.get("note", ""))[:500])
    return reads_by_id(body.get("read_ids"), reads), request


def hold_view(hold: Hold) -> dict[str, Any]:
    return {"hold_id": hold.hold_id, "case_number": hold.case_number, "reason": hold.reason,
            "requested_by": hold.requested_by, "approved_by": hold.approved_by,
            "created_at": hold.created_at, "review_date": hold.review_date.isoformat(),
            "status": str(hold.status), "released_by": hold.released_by,
            "released_at": hold.released_at, "reads": len(hold.read_ids), "note": hold.note}


def outcome_view(outcome: HoldOutcome) -> dict[str, Any]:
    return {**hold_view(outcome.hold), "reads_changed": outcome.reads_changed,
            "reads_missing": outcome.reads_missing,
            "reads_still_held": outcome.reads_still_held,
            "objects_changed": outcome.objects_changed}
