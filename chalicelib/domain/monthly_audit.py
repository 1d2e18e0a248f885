"""The monthly audit (policy 428.6(c)): the month it covers, the records it judges, its findings.

Months are UTC calendar months, like the audit table's by_month index. Findings name what an
auditor must follow up (a user, a hold, a read id, a hotlist entry id, a release request id);
statistics are counts. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_MONTH = "2000-01"


class InvalidMonth(ValueError):
    """A month that is not YYYY-MM, or lies in the future."""


@dataclass(frozen=True)
class ReportPeriod:
    """One UTC calendar month, [start, end)."""

    month: str

    @classmethod
    def parse(cls, text: object, now: datetime) -> ReportPeriod:
        """A month the report can cover: YYYY-MM, not before 2000, not after the current one."""
        if not isinstance(text, str) or _MONTH.match(text.strip()) is None:
            raise InvalidMonth("month must be given as YYYY-MM, e.g. 2026-05")
        period = cls(text.strip())
        if period.month < FIRST_MONTH or period.start > now:
            raise InvalidMonth(f"month {period.month} is in the future or before {FIRST_MONTH}")
        return period

    @classmethod
    def containing(cls, moment: datetime) -> ReportPeriod:
        return cls(moment.astimezone(UTC).strftime("%Y-%m"))

    @classmethod
    def previous(cls, now: datetime) -> ReportPeriod:
        """The month before the one `now` falls in (what the 1st-of-month schedule reports)."""
        year, month = int(now.astimezone(UTC).strftime("%Y")), now.astimezone(UTC).month
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return cls(f"{year:04d}-{month:02d}")

    @property
    def start(self) -> datetime:
        return datetime(int(self.month[:4]), int(self.month[5:7]), 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        year, month = int(self.month[:4]), int(self.month[5:7])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime(year, month, 1, tzinfo=UTC)

    def as_of(self, now: datetime) -> datetime:
        """When account, hold, retention and hotlist states are judged: the month's end, or now
        for the month in progress."""
        return min(now, self.end)

    def in_progress(self, now: datetime) -> bool:
        return now < self.end


class FindingKind(StrEnum):
    """What a finding is about; each names the clause it answers to (FINDING_CLAUSES)."""

    SEARCH_WITHOUT_VALID_PURPOSE = "search_without_valid_purpose"
    REPEATED_PLATE_SEARCHES = "repeated_plate_searches"
    BULK_WILDCARD_SEARCHES = "bulk_wildcard_searches"
    OFF_HOURS_SPIKE = "off_hours_spike"
    TRAINING_LAPSED = "training_or_certification_lapsed"
    IDLE_ACCOUNT = "idle_account"
    HOLD_PAST_REVIEW = "hold_past_review"
    READ_PAST_RETENTION = "read_past_retention"
    RELEASE_PROHIBITED = "release_request_prohibited"
    RELEASE_TO_NEW_AGENCY = "release_to_new_agency"
    RELEASE_SELF_APPROVED = "release_self_approved"
    RELEASE_BY_DIRECTORY_PAIR = "release_by_directory_pair"
    RELEASE_SENDER_UNVERIFIED = "release_sender_unverified"
    DIRECTORY_ENTRY_UNVERIFIED = "directory_entry_unverified"
    AGENCY_REFUSED_BY_SCREEN = "agency_refused_by_screen"
    SEPARATION_OF_DUTIES_ATTEMPT = "separation_of_duties_attempt"
    HOTLIST_WITHOUT_CASE_NUMBER = "hotlist_entry_without_case_number"
    HOTLIST_WITHOUT_EXPIRY = "hotlist_entry_without_expiry"
    HOTLIST_EXPIRED_NOT_REMOVED = "hotlist_entry_expired_not_removed"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken"
    AUDIT_CHECKPOINT_FAILED = "audit_checkpoint_failed"
    AUDIT_HEAD_WENT_BACKWARDS = "audit_head_went_backwards"
    POLICY_NOT_POSTED = "posted_policy_unavailable"
    CATCH_ALL_CASE_NUMBER = "case_number_one_user_many_plates"
    EXTENDED_SEARCH_WITHOUT_AUTHORITY = "extended_search_without_authority"
    ACCOUNT_LOCKED = "account_locked_after_failed_sign_ins"
    HISTORY_IN_PIECES = "long_history_in_short_windows"
    EVIDENCE_NOT_AS_CAPTURED = "evidence_not_as_captured"
    CAMERA_UPLOADS_REFUSED = "camera_uploads_refused"
    # Accounts changed around Platekeeper, and administrators named by one person (issue 23).
    ACCOUNT_CREATED_OUTSIDE_APP = "account_created_outside_app"
    ROLE_CHANGED_OUTSIDE_APP = "role_changed_outside_app"
    ACCOUNT_STATE_CHANGED_OUTSIDE_APP = "account_state_changed_outside_app"
    ACCOUNT_DELETED_OUTSIDE_APP = "account_deleted_outside_app"
    ACCOUNT_REGISTER_ALTERED = "account_register_altered"
    ADMINISTRATOR_NAMED_ALONE = "administrator_named_alone"


FINDING_CLAUSES: Mapping[FindingKind, str] = {
    FindingKind.SEARCH_WITHOUT_VALID_PURPOSE: "428.6(b)",
    FindingKind.REPEATED_PLATE_SEARCHES: "428.6(b), 428.6(c)",
    FindingKind.BULK_WILDCARD_SEARCHES: "428.4(c), 428.6(c)",
    FindingKind.OFF_HOURS_SPIKE: "428.6(c)",
    FindingKind.TRAINING_LAPSED: "428.3.1(b), 428.4(d)",
    FindingKind.IDLE_ACCOUNT: "428.3.1(a)",
    FindingKind.HOLD_PAST_REVIEW: "428.5",
    FindingKind.READ_PAST_RETENTION: "428.5",
    FindingKind.RELEASE_PROHIBITED: "428.7, Civil Code 1798.90.55(b)",
    FindingKind.RELEASE_TO_NEW_AGENCY: "428.7, Civil Code 1798.90.55(b)",
    FindingKind.RELEASE_SELF_APPROVED: "428.7(b)",
    FindingKind.RELEASE_BY_DIRECTORY_PAIR: "428.7(b)",
    FindingKind.RELEASE_SENDER_UNVERIFIED: "428.7(a)",
    FindingKind.DIRECTORY_ENTRY_UNVERIFIED: "428.7, Civil Code 1798.90.55(b)",
    FindingKind.AGENCY_REFUSED_BY_SCREEN: "Civil Code 1798.90.55(b), AG bulletin 2023-DLE-06",
    FindingKind.SEPARATION_OF_DUTIES_ATTEMPT: "428.7(b), 428.3.1(a)",
    FindingKind.HOTLIST_WITHOUT_CASE_NUMBER: "428.4(a)",
    FindingKind.HOTLIST_WITHOUT_EXPIRY: "428.4(a)",
    FindingKind.HOTLIST_EXPIRED_NOT_REMOVED: "428.4(a), 428.5",
    FindingKind.AUDIT_CHAIN_BROKEN: "428.6(a), Civil Code 1798.90.52",
    FindingKind.AUDIT_CHECKPOINT_FAILED: "428.6(a), Civil Code 1798.90.52",
    FindingKind.AUDIT_HEAD_WENT_BACKWARDS: "428.6(a), Civil Code 1798.90.52",
    FindingKind.POLICY_NOT_POSTED: "428.3.1(g), Civil Code 1798.90.51(b)",
    FindingKind.CATCH_ALL_CASE_NUMBER: "428.6(b)",
    FindingKind.EXTENDED_SEARCH_WITHOUT_AUTHORITY: "428.6(b)",
    FindingKind.ACCOUNT_LOCKED: "428.6(a), CJIS Security Policy (unsuccessful logon attempts)",
    FindingKind.HISTORY_IN_PIECES: "428.6(b)",
    FindingKind.EVIDENCE_NOT_AS_CAPTURED: "428.5, Civil Code 1798.90.51",
    FindingKind.CAMERA_UPLOADS_REFUSED: "428.3.1(c), Civil Code 1798.90.51",
    FindingKind.ACCOUNT_CREATED_OUTSIDE_APP: "428.3.1(a), 428.6(a)",
    FindingKind.ROLE_CHANGED_OUTSIDE_APP: "428.3.1(a), 428.4(e)",
    FindingKind.ACCOUNT_STATE_CHANGED_OUTSIDE_APP: "428.3.1(a)",
    FindingKind.ACCOUNT_DELETED_OUTSIDE_APP: "428.6(a), Civil Code 1798.90.52",
    FindingKind.ACCOUNT_REGISTER_ALTERED: "428.3.1(a), 428.3.1(c)",
    FindingKind.ADMINISTRATOR_NAMED_ALONE: "428.3, 428.3.1(e)",
}


@dataclass(frozen=True)
class Finding:
    """Something the auditor must follow up, with the subject it names and the facts behind it."""

    kind: FindingKind
    subject: str
    detail: str
    facts: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def clause(self) -> str:
        return FINDING_CLAUSES[self.kind]


@dataclass(frozen=True)
class ReleaseRecord:
    """A release request (policy 428.7) as the audit needs it: no requester or plate details."""

    request_id: str
    status: str
    filed_at: str
    decided_at: str
    agency: str
    jurisdiction: str
    agency_id: str = ""
    filed_by: str = ""
    decided_by: str = ""
    reads_released: int = 0
    warnings: tuple[str, ...] = ()       # warning codes the reviewer saw
    acknowledged: tuple[str, ...] = ()   # the codes the approver acknowledged


@dataclass(frozen=True)
class ListedEntry:
    """A hotlist entry without its plate: what the audit checks (case number, expiry, source)."""

    entry_id: str
    list_name: str
    source: str
    case_number: str
    added_by: str
    approved_by: str
    loaded_at: str
    expires_at: int | None
