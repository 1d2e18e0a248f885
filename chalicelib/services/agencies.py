"""The agency directory (policy 428.7; Civil Code 1798.90.55(b)): propose, confirm, decline,
retire, list. Two administrators for every entry; every act, allowed or refused, is recorded.

A proposal is screened (policy/agency_screen.py) before anything is stored: a federal,
out-of-state, foreign, tribal or private body is refused with the clause, so it never reaches
the confirmation step. The access record is written before the entry changes, and the entry
keeps the sequence numbers of its proposal and confirmation records, which is what a release
approval checks (policy/directory.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.agencies import (
    MAX_REASON,
    AgencyEntry,
    AgencyRefused,
    EntryStatus,
    entry_digest,
    parse_facts,
)
from chalicelib.domain.agency_seed import SeedAgency
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.reads import format_time
from chalicelib.policy.agency_screen import Screening, screen_agency
from chalicelib.policy.directory import (
    CONFIRM_ACTION,
    PROPOSE_ACTION,
    entry_problems,
    proposal_problems,
)
from chalicelib.policy.separation_of_duties import directory_confirmation_refusal
from chalicelib.services.auditing import entry_for
from chalicelib.services.exports import is_uuid

DECLINE_ACTION = "decline_agency"
RETIRE_ACTION = "retire_agency"
LIST_ACTION = "list_agencies"
VIEW_ACTION = "view_agency"
CANDIDATES_ACTION = "list_agency_candidates"
PROHIBITED_CODE = "AGENCY_PROHIBITED"
MAX_NOTE = 500
OPEN_STATUSES = (EntryStatus.PROPOSED, EntryStatus.ACTIVE)

PROPOSAL_SCHEMA: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 160},
    "ori": {"type": "string", "maxLength": 12},
    "agency_type": {"type": "string", "enum": ["law_enforcement", "prosecutorial", "other"]},
    "level": {"type": "string", "enum": ["state", "local"]},
    "county": {"type": "string", "maxLength": 40},
    "city": {"type": "string", "maxLength": 80},
    "domains": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    "note": {"type": "string", "maxLength": 500},
    "source": {"type": "string", "enum": ["console", "import"]},
}
SOURCES = ("console", "import")


class AgencyRecords(Protocol):
    """The agencies table (adapters/agencies_table.AgenciesTable)."""

    def put_new(self, entry: AgencyEntry) -> None: ...

    def get(self, agency_id: str) -> AgencyEntry | None: ...

    def transition(self, entry: AgencyEntry, expected: EntryStatus) -> bool: ...

    def list_by_status(self, status: EntryStatus) -> list[AgencyEntry]: ...

    def with_ori(self, ori: str) -> list[AgencyEntry]: ...


class AccessRecord(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def record(self, seq: int) -> AuditRecord | None: ...


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class AgencyDependencies:
    agencies: AgencyRecords
    audit: AccessRecord
    clock: Callable[[], datetime]
    candidates: Callable[[], list[SeedAgency]]
    new_id: Callable[[], str] = _new_id


class AgencyNotFound(LookupError):
    pass


def propose(body: Mapping[str, Any], caller: Caller, deps: AgencyDependencies) -> AgencyEntry:
    """Screen and store a proposal; it takes effect when a second administrator confirms it."""
    now = deps.clock()
    source = _text(body, "source") if _text(body, "source") in SOURCES else SOURCES[0]
    attempt = {"name": _text(body, "name")[:160], "ori": _text(body, "ori")[:12]}
    try:
        facts = parse_facts(_text(body, "name"), _text(body, "ori"),
                            _text(body, "agency_type"), _text(body, "level"),
                            _text(body, "county"), _text(body, "city"), _domains(body))
        attempt.update(name=facts.name, ori=facts.ori, domains=" ".join(facts.domains))
        screening = screen_agency(facts.name, facts.ori, facts.domains)
        if screening.refused:
            raise prohibited(screening)
        _check_unique(facts.name, facts.ori, deps)
        note = _text(body, "note").strip()
        if len(note) > MAX_NOTE:
            raise AgencyRefused("NOTE_INVALID", f"the note is limited to {MAX_NOTE} characters")
    except AgencyRefused as refused:
        marks = "" if refused.code != PROHIBITED_CODE else refused.message[:200]
        deps.audit.append(entry_for(caller, PROPOSE_ACTION, now, allowed=False,
                                    refusal_code=refused.code,
                                    query={**attempt, "marks": marks, "source": source}))
        raise
    agency_id = deps.new_id()
    digest = entry_digest(facts)
    record = deps.audit.append(entry_for(caller, PROPOSE_ACTION, now, allowed=True,
                                         result_count=1, query={
                                             "agency_id": agency_id, "name": facts.name,
                                             "ori": facts.ori, "digest": digest,
                                             "agency_type": facts.agency_type.value,
                                             "county": facts.county,
                                             "domains": " ".join(facts.domains),
                                             "source": source}))
    entry = AgencyEntry(agency_id=agency_id, facts=facts, status=EntryStatus.PROPOSED,
                        proposed_by=caller.account.username, proposed_at=format_time(now),
                        digest=digest, source=source, proposal_seq=record.seq, note=note)
    deps.agencies.put_new(entry)
    return entry


def confirm(agency_id: str, caller: Caller, deps: AgencyDependencies) -> AgencyEntry:
    """A second administrator vouches for a proposal; from now on requests may name it."""
    now = deps.clock()
    entry = _load(agency_id, caller, CONFIRM_ACTION, deps)
    try:
        if entry.status is not EntryStatus.PROPOSED:
            raise AgencyRefused("AGENCY_NOT_PROPOSED",
                                f"this entry is {entry.status.value}; only a proposal can be "
                                "confirmed", 409)
        refusal = directory_confirmation_refusal(entry.proposed_by, caller.account.username)
        if refusal is not None:
            raise AgencyRefused(refusal.code, refusal.message, refusal.status)
        problems = proposal_problems(entry, deps.audit.record(entry.proposal_seq))
        if problems:
            raise AgencyRefused("DIRECTORY_ENTRY_UNVERIFIED",
                                "this proposal does not match its record: " + "; ".join(problems),
                                409)
        clash = [other for other in deps.agencies.with_ori(entry.facts.ori)
                 if other.status is EntryStatus.ACTIVE and other.agency_id != entry.agency_id]
        if clash:
            raise AgencyRefused("ORI_TAKEN", f"{clash[0].name} already has ORI "
                                             f"{entry.facts.ori}", 409)
    except AgencyRefused as refused:
        _refuse(caller, CONFIRM_ACTION, entry, refused, deps)
        raise
    record = deps.audit.append(entry_for(caller, CONFIRM_ACTION, now, allowed=True,
                                         result_count=1, query={
                                             **_elements(entry),
                                             "proposed_by": entry.proposed_by,
                                             "proposal_seq": str(entry.proposal_seq)}))
    confirmed = replace(entry, status=EntryStatus.ACTIVE, confirmed_by=caller.account.username,
                        confirmed_at=format_time(now), confirmation_seq=record.seq)
    if not deps.agencies.transition(confirmed, EntryStatus.PROPOSED):
        raise _raced(caller, CONFIRM_ACTION, entry, deps)
    return confirmed


def decline(agency_id: str, reason: str, caller: Caller, deps: AgencyDependencies
            ) -> AgencyEntry:
    """The second administrator (or the proposer, withdrawing it) says no to a proposal."""
    return _close(agency_id, reason, caller, deps, DECLINE_ACTION, EntryStatus.PROPOSED,
                  EntryStatus.DECLINED)


def retire(agency_id: str, reason: str, caller: Caller, deps: AgencyDependencies
           ) -> AgencyEntry:
    """An active entry stops being a release destination; it stays on file."""
    return _close(agency_id, reason, caller, deps, RETIRE_ACTION, EntryStatus.ACTIVE,
                  EntryStatus.RETIRED)


def list_entries(status: str, caller: Caller, deps: AgencyDependencies) -> list[AgencyEntry]:
    """One status's entries by name (default: the active directory)."""
    now = deps.clock()
    try:
        wanted = EntryStatus(status or EntryStatus.ACTIVE.value)
    except ValueError:
        deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=False,
                                    refusal_code="STATUS_INVALID", query={"status": status[:20]}))
        raise AgencyRefused("STATUS_INVALID", "status must be one of: " + ", ".join(
            member.value for member in EntryStatus)) from None
    found = sorted(deps.agencies.list_by_status(wanted), key=lambda entry: entry.name.casefold())
    deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=True, result_count=len(found),
                                query={"status": wanted.value}))
    return found


def view_entry(agency_id: str, caller: Caller, deps: AgencyDependencies
               ) -> tuple[AgencyEntry, list[str]]:
    """One entry and what would stop a release to it (empty when nothing would)."""
    entry = _load(agency_id, caller, VIEW_ACTION, deps)
    problems = entry_problems(entry, deps.audit.record(entry.proposal_seq),
                              deps.audit.record(entry.confirmation_seq)
                              if entry.confirmation_seq else None)
    deps.audit.append(entry_for(caller, VIEW_ACTION, deps.clock(), allowed=True, result_count=1,
                                query=_elements(entry)))
    return entry, problems


def candidates(caller: Caller, deps: AgencyDependencies) -> list[SeedAgency]:
    """Seed rows not yet proposed or in the directory (for the proposal form's type-ahead)."""
    taken = {entry.name.casefold() for status in OPEN_STATUSES
             for entry in deps.agencies.list_by_status(status)}
    found = [row for row in deps.candidates() if row.name.casefold() not in taken]
    deps.audit.append(entry_for(caller, CANDIDATES_ACTION, deps.clock(), allowed=True,
                                result_count=len(found)))
    return found


def prohibited(screening: Screening) -> AgencyRefused:
    return AgencyRefused(PROHIBITED_CODE, "this body may not receive ALPR data, so it cannot be "
                                          "a directory entry: " + screening.explanation(), 403)


def entry_view(entry: AgencyEntry, problems: list[str] | None = None) -> dict[str, Any]:
    facts = entry.facts
    view: dict[str, Any] = {
        "agency_id": entry.agency_id, "name": facts.name, "ori": facts.ori,
        "agency_type": facts.agency_type.value, "jurisdiction": facts.jurisdiction.value,
        "level": facts.level.value, "county": facts.county, "city": facts.city,
        "domains": list(facts.domains), "status": entry.status.value,
        "proposed_by": entry.proposed_by, "proposed_at": entry.proposed_at,
        "confirmed_by": entry.confirmed_by, "confirmed_at": entry.confirmed_at,
        "closed_by": entry.closed_by, "closed_at": entry.closed_at,
        "close_reason": entry.close_reason, "source": entry.source, "note": entry.note,
        "digest": entry.digest,
    }
    if problems is not None:
        view["release_blockers"] = problems
    return view


def candidate_view(row: SeedAgency) -> dict[str, Any]:
    return row.as_proposal()


# ---------------------------------------------------------------------- helpers
def _close(agency_id: str, reason: str, caller: Caller, deps: AgencyDependencies, action: str,
           expected: EntryStatus, status: EntryStatus) -> AgencyEntry:
    now = deps.clock()
    entry = _load(agency_id, caller, action, deps)
    try:
        if entry.status is not expected:
            raise AgencyRefused(f"AGENCY_NOT_{expected.value.upper()}",
                                f"this entry is {entry.status.value}, not {expected.value}", 409)
        if not reason.strip():
            raise AgencyRefused("REASON_REQUIRED", "give the reason (it is kept on file)")
        if len(reason) > MAX_REASON:
            raise AgencyRefused("REASON_INVALID", "the reason is too long")
    except AgencyRefused as refused:
        _refuse(caller, action, entry, refused, deps)
        raise
    deps.audit.append(entry_for(caller, action, now, allowed=True, result_count=1,
                                query={**_elements(entry), "reason": reason.strip()[:200]}))
    closed = replace(entry, status=status, closed_by=caller.account.username,
                     closed_at=format_time(now), close_reason=reason.strip())
    if not deps.agencies.transition(closed, expected):
        raise _raced(caller, action, entry, deps)
    return closed


def _check_unique(name: str, ori: str, deps: AgencyDependencies) -> None:
    for other in deps.agencies.with_ori(ori):
        if other.status in OPEN_STATUSES:
            raise AgencyRefused("ORI_TAKEN", f"{other.name} ({other.status.value}) already has "
                                             f"ORI {ori}", 409)
    folded = name.casefold()
    for status in OPEN_STATUSES:
        if any(other.name.casefold() == folded for other in deps.agencies.list_by_status(status)):
            raise AgencyRefused("AGENCY_EXISTS", f"{name} is already {status.value} in the "
                                                 "directory", 409)


def _load(agency_id: str, caller: Caller, action: str, deps: AgencyDependencies) -> AgencyEntry:
    entry = deps.agencies.get(agency_id) if is_uuid(agency_id) else None
    if entry is None:
        deps.audit.append(entry_for(caller, action, deps.clock(), allowed=False,
                                    refusal_code="NOT_FOUND",
                                    query={"agency_id": agency_id[:64]}))
        raise AgencyNotFound(agency_id)
    return entry


def _refuse(caller: Caller, action: str, entry: AgencyEntry, refused: AgencyRefused,
            deps: AgencyDependencies) -> None:
    deps.audit.append(entry_for(caller, action, deps.clock(), allowed=False,
                                refusal_code=refused.code, query=_elements(entry)))


def _raced(caller: Caller, action: str, entry: AgencyEntry,
           deps: AgencyDependencies) -> AgencyRefused:
    raced = AgencyRefused("CONFLICT", "another administrator changed this entry meanwhile", 409)
    _refuse(caller, action, entry, raced, deps)
    return raced


def _elements(entry: AgencyEntry) -> dict[str, str]:
    """What the access record keeps of an entry: its id, name, ORI, digest and state."""
    return {"agency_id": entry.agency_id, "name": entry.name, "ori": entry.facts.ori,
            "digest": entry.digest, "status": entry.status.value}


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    return value if isinstance(value, str) else ""


def _domains(body: Mapping[str, Any]) -> list[str]:
    value = body.get("domains") or []
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AgencyRefused("DOMAIN_INVALID", "domains must be a list of mail domains")
    return value
