"""One search, one record: how a search and its pages are recorded, and on what authority.

The first page of a search gets a search id; every later page is recorded as a continuation of
it (same id, the next page number, the results returned so far), so an auditor sees one
extraction as one event and the monthly flags count searches, not pages. A page record keeps the
digest of the cursor it handed out, and the cursor given to the officer names that record: a
continuation is accepted only from the caller who ran the search, with the same query, through
the one cursor its latest page issued (read back with a strongly consistent get, so no secret
key is needed and a forged or swapped cursor cannot restart the count).

Searches whose window covers more than the extended-search limit must carry legal authority
(policy/long_history.py): a warrant or court order number, or a supervisor's approval given to
this user for this plate and case. The authority is kept in the search's record.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.audit import ALLOWED, AuditEntry, AuditRecord
from chalicelib.domain.reads import SearchQuery, format_time
from chalicelib.policy.long_history import (
    MAX_APPROVAL_HOURS,
    AuthorityKind,
    AuthorityRefused,
    GrantedAuthority,
    SearchApproval,
    approval_refusal,
    is_extended,
    parse_authority,
    required_refusal,
)
from chalicelib.policy.search import SearchRefused
from chalicelib.services.auditing import entry_for

SEARCH_ACTION = "search_reads"
MAX_CURSOR_TEXT = 2048
# The query elements a continuation must repeat exactly (the window, the plate, the place).
BOUND_ELEMENTS = ("plate", "mode", "from", "to", "cameras", "near")


class SearchLog(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def record(self, seq: int) -> AuditRecord | None: ...


class ApprovalSource(Protocol):
    def get(self, approval_id: str) -> SearchApproval | None: ...

    def given_to(self, searcher: str, created_since: str) -> list[SearchApproval]: ...


class NoApprovals:
    """An approval source with none (tests and tools that never approve)."""

    def get(self, approval_id: str) -> SearchApproval | None:
        return None

    def given_to(self, searcher: str, created_since: str) -> list[SearchApproval]:
        return []


@dataclass(frozen=True)
class Continuation:
    """Which search a request belongs to, and where in it."""

    search_id: str
    page: int
    results_before: int
    inner_cursor: str | None
    first_elements: Mapping[str, str]

    @property
    def is_first_page(self) -> bool:
        return self.page == 1


def open_search(cursor: Any, caller: Caller, log: SearchLog) -> Continuation:
    """A new search (no cursor) or the continuation its cursor names; CURSOR_INVALID else."""
    if cursor is None or cursor == "":
        return Continuation(uuid.uuid4().hex[:20], 1, 0, None, {})
    seq, inner = _decode(cursor)
    previous = log.record(seq)
    entry = previous.entry if previous is not None else None
    if entry is None or entry.action != SEARCH_ACTION or entry.outcome != ALLOWED \
            or entry.user_id != caller.account.user_id or not entry.search_id \
            or not entry.next_cursor or entry.next_cursor != cursor_digest(inner):
        raise _invalid_cursor()
    return Continuation(entry.search_id, entry.search_page + 1, entry.cumulative_results, inner,
                        dict(entry.query))


def continued_body(body: Mapping[str, Any], continuation: Continuation) -> dict[str, Any]:
    """The request as the search rules see it: the inner cursor, and the first page's window
    when the request leaves `from` out (an exact search's default window must not move)."""
    result = {**body, "cursor": continuation.inner_cursor}
    if not continuation.is_first_page and body.get("from") in (None, "") \
            and continuation.first_elements.get("from"):
        result["from"] = continuation.first_elements["from"]
    return result


def check_same_query(elements: Mapping[str, str], continuation: Continuation) -> None:
    """A continuation repeats its search's plate, mode, window and place exactly."""
    if continuation.is_first_page:
        return
    for name in BOUND_ELEMENTS:
        if (elements.get(name) or "") != (continuation.first_elements.get(name) or ""):
            raise _invalid_cursor()


def authority_for(query: SearchQuery, stated: Any, caller: Caller, now: datetime,
                  limit_days: int, approvals: ApprovalSource) -> GrantedAuthority | None:
    """The authority a search over a long window rests on (None for a shorter window);
    AuthorityRefused when it has none that covers it."""
    if not is_extended(query, now, limit_days):
        return None
    authority = parse_authority(stated)
    if authority is None:
        raise AuthorityRefused(required_refusal(limit_days))
    if authority.kind is not AuthorityKind.SUPERVISOR_APPROVAL:
        return GrantedAuthority(authority.kind, authority.reference)
    username, moment = caller.account.username, format_time(now)
    if authority.reference:
        approval = approvals.get(authority.reference.lower())
    else:
        # The newest approval in force that covers this search (the id is optional); when
        # none does, the refusal says none was found rather than why the others do not fit.
        since = format_time(now - timedelta(hours=MAX_APPROVAL_HOURS))
        approval = next((item for item in approvals.given_to(username, since)
                         if approval_refusal(item, username, query, moment) is None), None)
    refusal = approval_refusal(approval, username, query, moment)
    if refusal is not None or approval is None:
        raise AuthorityRefused(refusal or required_refusal(limit_days))
    return GrantedAuthority(AuthorityKind.SUPERVISOR_APPROVAL, approval.approval_id,
                            approval.approver)


def page_entry(caller: Caller, now: datetime, elements: Mapping[str, str], query: SearchQuery,
               results: int, next_inner: str | None, continuation: Continuation,
               authority: GrantedAuthority | None) -> AuditEntry:
    """The record of one page of a search (the first page is the search itself)."""
    entry = entry_for(caller, SEARCH_ACTION, now, allowed=True, query=elements,
                      purpose=query.purpose, case_number=query.case_number.strip().upper(),
                      result_count=results)
    kind, reference = _authority_fields(authority)
    return replace(entry, search_id=continuation.search_id, page=continuation.page,
                   cumulative_results=continuation.results_before + results,
                   next_cursor=cursor_digest(next_inner) if next_inner else "",
                   authority=kind, authority_ref=reference)


def refused_entry(caller: Caller, now: datetime, elements: Mapping[str, str], purpose: str,
                  case_number: str, code: str, continuation: Continuation | None) -> AuditEntry:
    """The record of a refused search or page (a refused continuation keeps its search id)."""
    entry = entry_for(caller, SEARCH_ACTION, now, allowed=False, query=elements,
                      purpose=purpose, case_number=case_number, refusal_code=code)
    if continuation is None:
        return entry
    return replace(entry, search_id=continuation.search_id, page=continuation.page,
                   cumulative_results=continuation.results_before)


def outer_cursor(record: AuditRecord, next_inner: str | None) -> str | None:
    """The cursor handed to the officer: the page's record and the search's own cursor."""
    if not next_inner:
        return None
    raw = json.dumps({"r": record.seq, "c": next_inner}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_digest(inner: str | None) -> str:
    return hashlib.sha256((inner or "").encode()).hexdigest()[:32]


def _authority_fields(authority: GrantedAuthority | None) -> tuple[str, str]:
    if authority is None:
        return "", ""
    reference = authority.reference
    if authority.approver:
        reference = f"{reference} by {authority.approver}"
    return authority.kind.value, reference[:80]


def _decode(cursor: Any) -> tuple[int, str]:
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_TEXT:
        raise _invalid_cursor()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        seq, inner = data["r"], data["c"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise _invalid_cursor() from None
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1 \
            or not isinstance(inner, str) or not inner:
        raise _invalid_cursor()
    return seq, inner


def _invalid_cursor() -> SearchRefused:
    return SearchRefused("CURSOR_INVALID", "cursor is not one this API returned to you for "
                         "this search")
