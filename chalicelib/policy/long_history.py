"""Authority for long location histories (policy 428.6(b): a legitimate purpose, such as a
specific investigation). A month of one car's reads is a pattern of life: home, work, clinic,
church. A search of any kind whose window covers more than `PLATEKEEPER_EXTENDED_SEARCH_DAYS`
(default 30) days of history must name its legal authority: a warrant or court order number,
or a supervisor's approval given to that officer, for that plate and that case, for at most 24
hours, by someone other than the officer. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.domain.reads import SearchMode, SearchQuery
from chalicelib.domain.times import TimeInvalid, parse_zoned_time
from chalicelib.policy.access import Refusal
from chalicelib.policy.case_numbers import placeholder_reason

DEFAULT_EXTENDED_SEARCH_DAYS = 30
# A window of exactly the limit, chosen in a browser seconds before it reaches the server, is
# not an extended search.
WINDOW_GRACE = timedelta(minutes=5)
MAX_APPROVAL_HOURS = 24
# Warrant and court order numbers: letters, digits and - / . in 4-40 characters.
REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9./-]{3,39}$")
MAX_REASON_LENGTH = 500


class AuthorityKind(StrEnum):
    """What authorizes a search over a long window."""

    WARRANT = "warrant"
    COURT_ORDER = "court_order"
    SUPERVISOR_APPROVAL = "supervisor_approval"


# The search request's `authority` field, in one place (the API schema, the console, the
# benchmarks all send this shape).
AUTHORITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Legal authority, required when the window covers more than the extended-"
                   "search limit (default 30 days): a warrant or court order and its number, or "
                   "supervisor_approval (the approval given to you for this plate and case).",
    "properties": {
        "kind": {"type": "string", "enum": [kind.value for kind in AuthorityKind]},
        "reference": {"type": "string", "maxLength": 40,
                      "description": "warrant or court order number; for supervisor_approval "
                                     "optionally the approval id"},
    },
}


@dataclass(frozen=True)
class StatedAuthority:
    """The authority an officer states with a search (not yet checked against anything)."""

    kind: AuthorityKind
    reference: str


@dataclass(frozen=True)
class SearchApproval:
    """A supervisor's approval of one named user's extended search of one plate for one case."""

    approval_id: str
    searcher: str
    approver: str
    plate: str
    case_number: str
    reason: str
    created_at: str
    expires_at: str
    revoked_at: str = ""

    def in_force(self, now_text: str) -> bool:
        return not self.revoked_at and self.created_at <= now_text < self.expires_at


@dataclass(frozen=True)
class GrantedAuthority:
    """The authority a search was allowed on, as its access record keeps it."""

    kind: AuthorityKind
    reference: str
    approver: str = ""


class AuthorityRefused(Exception):
    """The authority stated is missing, malformed or does not cover this search."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def history_covered(query: SearchQuery, now: datetime) -> timedelta | None:
    """How much past time the window covers (None: unbounded, back to the oldest read)."""
    if query.start is None:
        return None
    end = now if query.end is None else min(query.end, now)
    return max(end - query.start, timedelta(0))


def is_extended(query: SearchQuery, now: datetime, limit_days: int) -> bool:
    """Whether the search covers more than `limit_days` days of history."""
    covered = history_covered(query, now)
    return covered is None or covered > timedelta(days=limit_days) + WINDOW_GRACE


def default_window(body: Mapping[str, Any], now: datetime, limit_days: int) -> dict[str, Any]:
    """An exact search without `from` covers the `limit_days` days before its end (or now),
    not the whole retention period: a long history has to be asked for, with authority."""
    if body.get("from") not in (None, "") or (body.get("mode") or "exact") != "exact":
        return dict(body)
    try:
        end = parse_zoned_time(body.get("to"), "to") or now
    except TimeInvalid:
        return dict(body)  # the search rules refuse it with their own message
    return {**body, "from": (min(end, now) - timedelta(days=limit_days)).isoformat()}


def parse_authority(value: Any) -> StatedAuthority | None:
    """The `authority` field of a search request, validated; None when absent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AuthorityRefused(Refusal("AUTHORITY_INVALID",
                                       "authority must be an object with kind and reference",
                                       400))
    try:
        kind = AuthorityKind(str(value.get("kind", "")))
    except ValueError:
        allowed = ", ".join(item.value for item in AuthorityKind)
        raise AuthorityRefused(Refusal("AUTHORITY_INVALID",
                                       f"authority kind must be one of: {allowed}",
                                       400)) from None
    reference = value.get("reference", "")
    if not isinstance(reference, str):
        raise AuthorityRefused(Refusal("AUTHORITY_INVALID", "reference must be text", 400))
    reference = reference.strip().upper()
    if kind is not AuthorityKind.SUPERVISOR_APPROVAL:
        if not REFERENCE.match(reference) or placeholder_reason(reference) is not None:
            raise AuthorityRefused(Refusal(
                "AUTHORITY_REFERENCE_INVALID",
                f"give the {kind.value.replace('_', ' ')} number (4-40 letters, digits, - / .)",
                400))
    elif reference and not re.fullmatch(r"[A-Z0-9-]{1,40}", reference):
        raise AuthorityRefused(Refusal("AUTHORITY_REFERENCE_INVALID",
                                       "the approval id is not one this system issued", 400))
    return StatedAuthority(kind, reference)


def required_refusal(limit_days: int) -> Refusal:
    return Refusal(
        "AUTHORITY_REQUIRED",
        f"this search covers more than {limit_days} days of one vehicle's movements; give a "
        "warrant or court order number, or ask a supervisor to approve it for you, this plate "
        "and this case (valid 24 hours)", 403)


def approval_refusal(approval: SearchApproval | None, searcher: str, query: SearchQuery,
                     now_text: str) -> Refusal | None:
    """Whether a supervisor's approval covers this search by this user, now."""
    if approval is None or not approval.in_force(now_text):
        return Refusal("APPROVAL_NOT_FOUND",
                       "no supervisor approval in force covers this search: one is given to a "
                       "named user for one plate and one case, for at most 24 hours", 403)
    if approval.approver.casefold() == searcher.casefold():
        return Refusal("APPROVER_IS_SEARCHER",
                       "a supervisor cannot approve their own extended search", 403)
    if approval.searcher.casefold() != searcher.casefold():
        return Refusal("APPROVAL_FOR_ANOTHER_USER",
                       "that approval was given to another user", 403)
    if query.mode is SearchMode.PARTIAL or approval.plate != query.text:
        return Refusal("APPROVAL_FOR_ANOTHER_PLATE",
                       "that approval covers another plate (approvals cover exact and fuzzy "
                       "searches of one plate; a partial plate needs a warrant or court order)",
                       403)
    if approval.case_number != query.case_number.strip().upper():
        return Refusal("APPROVAL_FOR_ANOTHER_CASE", "that approval was given for another case",
                       403)
    return None


def approval_hours(value: Any) -> int:
    """How long an approval lasts: a whole number of hours, 1-24 (default 24)."""
    if value is None:
        return MAX_APPROVAL_HOURS
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 1 <= value <= MAX_APPROVAL_HOURS:
        raise AuthorityRefused(Refusal("APPROVAL_HOURS_INVALID",
                                       f"hours must be a whole number 1-{MAX_APPROVAL_HOURS}",
                                       400))
    return value


def new_approval_refusal(approver: str, searcher: str) -> Refusal | None:
    """The approver cannot be the searcher (two people for every extended search)."""
    if approver.casefold() == searcher.strip().casefold():
        return Refusal("APPROVER_IS_SEARCHER",
                       "a supervisor cannot approve their own extended search; another "
                       "supervisor must", 403)
    return None
