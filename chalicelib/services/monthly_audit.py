"""The monthly audit report (policy 428.6(c)): gather a month's records, judge them, publish.

The scheduled function builds the previous month's report on the 1st; auditors build any month
on demand (the API, or `python -m chalicelib.audit report --month YYYY-MM`). The report is JSON
(the data) plus HTML rendered from that JSON, stored under monthly/YYYY-MM/ in the reports
bucket; the administrator is notified with the month, counts and object keys, never plate data
or names. Listing, reading and building reports are recorded in the access record.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Protocol

from chalicelib.adapters.errors import ObjectNotFound
from chalicelib.adapters.policy_document import PolicyDocument, PolicyDocumentUnavailable
from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.adapters.report_store import StoredObject, StoredVersion
from chalicelib.domain.access import Caller, UserAccount
from chalicelib.domain.account_register import RegisterEntry
from chalicelib.domain.agencies import AgencyEntry, EntryStatus
from chalicelib.domain.audit import ALLOWED, AuditEntry, AuditRecord, ChainCheck
from chalicelib.domain.checkpoints import RecordAnchoring
from chalicelib.domain.holds import Hold, HoldStatus
from chalicelib.domain.monthly_audit import (
    Finding,
    FindingKind,
    ListedEntry,
    ReleaseRecord,
    ReportPeriod,
)
from chalicelib.domain.reads import Read, days_between, format_time
from chalicelib.domain.signatures import fingerprint
from chalicelib.domain.uploads import DailyCount
from chalicelib.policy import account_changes, audit_integrity
from chalicelib.policy import monthly_audit as rules
from chalicelib.policy.case_numbers import DEFAULT_CASE_NUMBER_RULE, CaseNumberRule
from chalicelib.policy.long_history import DEFAULT_EXTENDED_SEARCH_DAYS
from chalicelib.rendering.monthly_report import render_monthly_report
from chalicelib.services.auditing import entry_for
from chalicelib.services.camera_health import CameraMonth, month_view
from chalicelib.services.checkpoints import CheckpointObjects, PublicKeySource, verify_record

REPORT_PREFIX = "monthly/"
SCHEMA = "platekeeper-monthly-audit/1"
LINK_SECONDS = 300  # a presigned link is a bearer credential: five minutes at most
# Reads whose retention ended up to this many days before the month's end are looked for (what
# TTL and the daily check missed): the month and the one before it, so every lingering read is
# named by at least two consecutive reports. One query per day partition, so a bounded cost.
RETENTION_LOOKBACK_DAYS = 62
BUILD_ACTION = "build_monthly_report"
LIST_ACTION = "list_monthly_reports"
READ_ACTION = "read_monthly_report"
SYSTEM_USER = "system"


class AuditSource(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def record(self, seq: int) -> AuditRecord | None: ...

    def between(self, start: str, end: str,
                user_id: str | None = None) -> Iterator[AuditRecord]: ...

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]: ...

    def head(self) -> AuditRecord | None: ...


class HoldSource(Protocol):
    def list_by_status(self, status: HoldStatus,
                       review_before: date | None = None) -> list[Hold]: ...


class ReadSource(Protocol):
    def newest_first(self, partition: Partition, low: str, high: str,
                     stats: QueryStats) -> Iterator[Read]: ...


class ReleaseSource(Protocol):
    def filed_before(self, end: str) -> list[ReleaseRecord]: ...


class DirectorySource(Protocol):
    def all_entries(self) -> list[AgencyEntry]: ...


class HotlistSource(Protocol):
    def listed_entries(self) -> Iterator[ListedEntry]: ...


class ReportObjects(Protocol):
    bucket: str

    def put(self, key: str, body: bytes, content_type: str) -> str | None: ...

    def get(self, key: str) -> bytes: ...

    def list(self, prefix: str) -> list[StoredObject]: ...

    def versions(self, key: str) -> tuple[StoredVersion, ...]: ...

    def get_version(self, key: str, version_id: str) -> bytes: ...

    def presigned_get(self, key: str, seconds: int) -> str: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, kind: str) -> None: ...


class UploadCounts(Protocol):
    """Rejected and duplicate uploads per camera and day (adapters/uploads_tables)."""

    def counts(self, day: str) -> list[DailyCount]: ...


@dataclass(frozen=True)
class MonthlyAuditDependencies:
    audit: AuditSource
    accounts: Callable[[], list[UserAccount]]
    holds: HoldSource
    reads: ReadSource
    releases: ReleaseSource
    directory: DirectorySource
    hotlist: HotlistSource
    store: ReportObjects
    notices: Notifier
    policy_document: Callable[[], PolicyDocument]
    clock: Callable[[], datetime]
    retention_days: int
    zone: tzinfo
    agency: str
    # The signed checkpoints the chain is checked against, and the key that signed them.
    checkpoints: CheckpointObjects
    checkpoint_key: PublicKeySource
    uploads: UploadCounts
    # Per-camera hit ratios and outage hours (services/camera_health); None: not reported.
    camera_figures: Callable[[datetime, datetime, datetime], list[CameraMonth]] | None = None
    case_numbers: CaseNumberRule = DEFAULT_CASE_NUMBER_RULE
    extended_search_days: int = DEFAULT_EXTENDED_SEARCH_DAYS
    # The account register the API reads (held to the access record, like Cognito).
    register: Callable[[], list[RegisterEntry]] = list


@dataclass(frozen=True)
class ChainState:
    check: ChainCheck
    head_seq: int
    head_hash: str


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the report says, before it is turned into JSON and HTML."""

    period: ReportPeriod
    agency: str
    generated_at: datetime
    as_of: datetime
    time_zone: str
    retention_days: int
    records_in_month: int
    access: rules.AccessSummary
    refusals: rules.RefusalSummary
    purges: rules.PurgeTotals
    releases_decided: tuple[ReleaseRecord, ...]
    releases_approved: tuple[rules.ApprovedRelease, ...]
    releases_pending: int
    directory: tuple[AgencyEntry, ...]
    accounts_checked: int
    holds_in_force: int
    reads_checked: int
    hotlist_checked: int
    chain: ChainState
    policy_document: PolicyDocument | None
    findings: tuple[Finding, ...]
    anchoring: RecordAnchoring
    public_key_sha256: str
    month_last_seq: int
    earlier_versions: tuple[audit_integrity.EarlierHead, ...]
    cameras: tuple[CameraMonth, ...] = ()
    extended_searches: tuple[rules.ExtendedSearch, ...] = ()
    extended_search_days: int = DEFAULT_EXTENDED_SEARCH_DAYS
    account_changes: tuple[account_changes.AccountChange, ...] = ()


@dataclass(frozen=True)
class PublishedReport:
    month: str
    json_key: str
    html_key: str
    findings: int
    sha256: str


@dataclass(frozen=True)
class ReportListing:
    month: str
    json_key: str
    html_key: str
    generated_at: str


class ReportNotFound(LookupError):
    """No report has been built for that month."""


def report_keys(month: str) -> tuple[str, str]:
    return f"{REPORT_PREFIX}{month}/report.json", f"{REPORT_PREFIX}{month}/report.html"


# ---------------------------------------------------------------------- building
def build_report(period: ReportPeriod, deps: MonthlyAuditDependencies) -> MonthlyReport:
    """Read the month's access record and the current state, and judge both."""
    now = deps.clock()
    as_of = period.as_of(now)
    start, end = format_time(period.start), format_time(period.end)
    records = sorted(deps.audit.between(start, end), key=lambda record: record.seq)
    accounts = deps.accounts()
    # Every active hold, and released ones that were due before as_of (they may have been in
    # force then): both through the by_status index.
    holds = [*deps.holds.list_by_status(HoldStatus.ACTIVE),
             *deps.holds.list_by_status(HoldStatus.RELEASED, review_before=as_of.date())]
    reads = _reads_past_retention(as_of, deps)
    releases = deps.releases.filed_before(end)
    decided = rules.decided_in(releases, start, end)
    directory = deps.directory.all_entries()
    approved = rules.approved_releases(decided, {entry.agency_id: entry for entry in directory})
    entries = _Counted(deps.hotlist.listed_entries())
    earlier = _earlier_heads(period, deps)
    public_key = deps.checkpoint_key.public_key()
    # The chain is read end to end once; the account records are collected on the way.
    history = account_changes.AccountHistory()
    anchoring = verify_record(_Observed(deps.audit, history), deps.checkpoints, public_key,
                              complete=False,
                              extra_seqs=[version.head_seq for version in earlier])
    chain = ChainState(anchoring.chain, anchoring.head_seq, anchoring.head_hash)
    policy = _policy_document(deps)
    extended = rules.extended_searches(records, deps.extended_search_days)
    findings = [
        *rules.invalid_purpose_findings(records, deps.case_numbers),
        *rules.repeated_plate_findings(records),
        *rules.bulk_wildcard_findings(records, deps.zone),
        *rules.off_hours_findings(records, deps.zone),
        *rules.account_findings(accounts, as_of),
        *rules.hold_findings(holds, as_of),
        *rules.retention_findings(reads, as_of, deps.retention_days),
        *rules.release_findings(decided),
        *rules.approved_release_findings(approved),
        *rules.directory_findings(directory, deps.audit.record),
        *rules.refused_agency_findings(records),
        *rules.separation_findings(records),
        *rules.hotlist_findings(entries, as_of),  # streamed: counted, not kept
        *rules.chain_findings(chain.check),
        *_guardrail_findings(records, extended, deps.extended_search_days),
        *_account_change_findings(accounts, history, deps.register(), records),
        *audit_integrity.checkpoint_findings(anchoring, now),
        *audit_integrity.report_history_findings(earlier, anchoring, period.month),
        *rules.evidence_integrity_findings(records),
        *rules.camera_upload_findings(count for day in days_between(period.start, as_of)
                                      for count in deps.uploads.counts(day)),
    ]
    if policy is None:
        findings.append(Finding(FindingKind.POLICY_NOT_POSTED, "posted policy",
                                "the configured policy document cannot be read, so the public "
                                "page cannot show it"))
    return MonthlyReport(
        period=period, agency=deps.agency, generated_at=now, as_of=as_of,
        time_zone=getattr(deps.zone, "key", str(deps.zone)), retention_days=deps.retention_days,
        records_in_month=len(records), access=rules.access_summary(records),
        refusals=rules.refusal_summary(records), purges=rules.purge_totals(records),
        releases_decided=tuple(decided), releases_approved=tuple(approved),
        releases_pending=rules.pending_at(releases, end), directory=tuple(directory),
        accounts_checked=sum(1 for account in accounts if account.enabled),
        holds_in_force=sum(1 for hold in holds if rules.in_force_at(hold, as_of)),
        reads_checked=len(reads), hotlist_checked=entries.count,
        chain=chain, policy_document=policy, findings=tuple(findings), anchoring=anchoring,
        public_key_sha256=fingerprint(public_key),
        month_last_seq=max((record.seq for record in records), default=0),
        earlier_versions=tuple(earlier),
        cameras=tuple(deps.camera_figures(period.start, period.end, now)
                      if deps.camera_figures is not None else ()),
        extended_searches=tuple(extended), extended_search_days=deps.extended_search_days,
        account_changes=tuple(account_changes.account_changes(records)))


def _account_change_findings(accounts: list[UserAccount],
                             history: account_changes.AccountHistory,
                             register: list[RegisterEntry],
                             records: list[AuditRecord]) -> list[Finding]:
    """Accounts as Cognito and the register have them, held to the access record's changes
    (issue 23): a role granted in the Cognito console, an account created, deleted, enabled or
    disabled there, a register written around the API; and administrators named by one person."""
    expected = history.expected()
    cognito = [account_changes.CognitoState(account.username, account.roles, account.enabled)
               for account in accounts]
    return [*account_changes.outside_change_findings(cognito, expected),
            *account_changes.register_findings(register, expected),
            *account_changes.single_administrator_findings(records)]


class _Observed:
    """The access record, passing each record of a full read to the account history."""

    def __init__(self, source: AuditSource, history: account_changes.AccountHistory) -> None:
        self._source = source
        self._history = history

    def head(self) -> AuditRecord | None:
        return self._source.head()

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]:
        for record in self._source.records(after_seq):
            self._history.observe(record)
            yield record


def _guardrail_findings(records: list[AuditRecord], extended: list[rules.ExtendedSearch],
                        limit_days: int) -> list[Finding]:
    """What one officer pulled (issue 17): catch-all case numbers, long histories without
    authority (whole, or stitched from short windows), accounts locked after failed sign-ins."""
    return [*rules.catch_all_case_findings(records), *rules.extended_search_findings(extended),
            *rules.stitched_history_findings(records, limit_days),
            *rules.lock_findings(records)]


def publish(report: MonthlyReport, deps: MonthlyAuditDependencies,
            requested_by: Caller | None) -> PublishedReport:
    """Store JSON and HTML, record the build in the access record, notify the administrator."""
    document = report_document(report)
    body = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
    json_key, html_key = report_keys(report.period.month)
    deps.store.put(json_key, body, "application/json")
    deps.store.put(html_key, render_monthly_report(document).encode("utf-8"),
                   "text/html; charset=utf-8")
    digest = hashlib.sha256(body).hexdigest()
    query = {"month": report.period.month, "findings": str(len(report.findings)),
             "sha256": digest}
    now = deps.clock()
    if requested_by is None:
        deps.audit.append(AuditEntry(
            at=format_time(now), user_id=SYSTEM_USER, username=SYSTEM_USER, agency="",
            role="system", action=BUILD_ACTION, outcome=ALLOWED, query=query,
            result_count=len(report.findings)))
    else:
        deps.audit.append(entry_for(requested_by, BUILD_ACTION, now, allowed=True, query=query,
                                    result_count=len(report.findings)))
    deps.notices.publish(*_notice(report, deps.store.bucket, (html_key, json_key),
                                  requested_by is None), kind="monthly_audit")
    return PublishedReport(report.period.month, json_key, html_key, len(report.findings), digest)


def run_scheduled(deps: MonthlyAuditDependencies) -> PublishedReport:
    """The 1st-of-month run: the previous month's report."""
    return publish(build_report(ReportPeriod.previous(deps.clock()), deps), deps, None)


def build_on_demand(body: Mapping[str, Any], caller: Caller,
                    deps: MonthlyAuditDependencies) -> PublishedReport:
    """An auditor's request to build (or rebuild) one month's report now."""
    period = ReportPeriod.parse(body.get("month"), deps.clock())
    return publish(build_report(period, deps), deps, caller)


def build_for_month(month: str, deps: MonthlyAuditDependencies) -> PublishedReport:
    """The command line's build (`make audit-now`), recorded as a system build."""
    return publish(build_report(ReportPeriod.parse(month, deps.clock()), deps), deps, None)


# ---------------------------------------------------------------------- reading
def list_reports(caller: Caller, deps: MonthlyAuditDependencies) -> list[ReportListing]:
    """Every month with a report, newest first; the listing is recorded before it is returned."""
    objects = {item.key: item for item in deps.store.list(REPORT_PREFIX)}
    listings = []
    for key, item in objects.items():
        month = key[len(REPORT_PREFIX):].split("/", 1)[0]
        json_key, html_key = report_keys(month)
        if key == json_key and html_key in objects:
            listings.append(ReportListing(month, json_key, html_key, item.last_modified))
    listings.sort(key=lambda listing: listing.month, reverse=True)
    deps.audit.append(entry_for(caller, LIST_ACTION, deps.clock(), allowed=True,
                                result_count=len(listings)))
    return listings


def fetch_report(month: str, caller: Caller,
                 deps: MonthlyAuditDependencies) -> tuple[dict[str, Any], str]:
    """One month's report (JSON) and a five-minute link to its HTML, after recording the read."""
    period = ReportPeriod.parse(month, deps.clock())
    json_key, html_key = report_keys(period.month)
    try:
        document = json.loads(deps.store.get(json_key))
    except ObjectNotFound:
        deps.audit.append(entry_for(caller, READ_ACTION, deps.clock(), allowed=True,
                                    query={"month": period.month}, result_count=0))
        raise ReportNotFound(period.month) from None
    deps.audit.append(entry_for(caller, READ_ACTION, deps.clock(), allowed=True,
                                query={"month": period.month}, result_count=1))
    return document, deps.store.presigned_get(html_key, LINK_SECONDS)


def latest_report(store: ReportObjects) -> tuple[str, str] | None:
    """The newest month with a stored report and when it was written (transparency page)."""
    stored = [(item.key[len(REPORT_PREFIX):].split("/", 1)[0], item.last_modified)
              for item in store.list(REPORT_PREFIX) if item.key.endswith("/report.json")]
    return max(stored, default=None)


# ---------------------------------------------------------------------- the document
def report_document(report: MonthlyReport) -> dict[str, Any]:
    """The report as JSON-ready data; the HTML is rendered from exactly this."""
    findings = [{"kind": finding.kind.value, "clause": finding.clause,
                 "subject": finding.subject, "detail": finding.detail,
                 "facts": dict(finding.facts)} for finding in report.findings]
    by_kind = Counter(finding.kind.value for finding in report.findings)
    return {
        "schema": SCHEMA,
        "month": report.period.month,
        "agency": report.agency,
        "period": {"start": format_time(report.period.start),
                   "end": format_time(report.period.end)},
        "generated_at": format_time(report.generated_at),
        "state_as_of": format_time(report.as_of),
        "month_in_progress": report.period.in_progress(report.generated_at),
        "time_zone": report.time_zone,
        "summary": {"findings": len(report.findings), "findings_by_kind": dict(by_kind),
                    "records_in_month": report.records_in_month,
                    "data_accesses": report.access.data_accesses,
                    "searches": report.access.searches,
                    "refused_attempts": report.refusals.total},
        "questions": _questions(report, by_kind),
        "findings": findings,
        "access": _access_section(report.access),
        "refusals": {"total": report.refusals.total, "by_code": dict(report.refusals.by_code),
                     "by_user": [{"username": user, "code": code, "count": count}
                                 for user, code, count in report.refusals.by_user]},
        "accounts": {"enabled_accounts_checked": report.accounts_checked},
        "holds": {"holds_in_force": report.holds_in_force},
        "retention": {"retention_days": report.retention_days,
                      "reads_checked_past_retention": report.reads_checked,
                      "purge_runs": dict(report.purges.runs),
                      "reads_purged": report.purges.reads_purged,
                      "images_deleted": report.purges.images_deleted,
                      "kept_under_legal_hold": report.purges.kept_under_legal_hold},
        "releases": _release_section(report),
        "extended_searches": _extended_section(report),
        "account_changes": [asdict(change) for change in report.account_changes],
        "directory": _directory_section(report),
        "hotlist": {"entries_checked": report.hotlist_checked},
        "cameras": month_view(report.cameras),
        "audit_chain": {"intact": report.chain.check.intact,
                        "records_checked": report.chain.check.records_checked,
                        "head_seq": report.chain.head_seq, "head_hash": report.chain.head_hash,
                        "problem": report.chain.check.problem},
        "anchoring": _anchoring_section(report),
        "posted_policy": ({"name": report.policy_document.name,
                           "sha256": report.policy_document.sha256}
                          if report.policy_document else None),
        "thresholds": _thresholds(),
    }


# Each State Auditor (report 2019-118) question, and the findings that answer it "review".
QUESTIONS: tuple[tuple[str, tuple[FindingKind, ...]], ...] = (
    ("Did every access to ALPR data name a permitted purpose and a case number?",
     (FindingKind.SEARCH_WITHOUT_VALID_PURPOSE, FindingKind.CATCH_ALL_CASE_NUMBER)),
    ("Were long location histories searched only on a warrant, court order or a supervisor's "
     "approval?", (FindingKind.EXTENDED_SEARCH_WITHOUT_AUTHORITY,
                   FindingKind.HISTORY_IN_PIECES)),
    ("Were searches monitored for misuse (one plate searched repeatedly, wildcard sweeps, "
     "off-hours use)?",
     (FindingKind.REPEATED_PLATE_SEARCHES, FindingKind.BULK_WILDCARD_SEARCHES,
      FindingKind.OFF_HOURS_SPIKE)),
    ("Were only trained, certified, approved and active users able to reach the data?",
     (FindingKind.TRAINING_LAPSED, FindingKind.IDLE_ACCOUNT, FindingKind.ACCOUNT_LOCKED)),
    ("Were accounts created, given roles, disabled and retired only through Platekeeper, with a "
     "second administrator for every administrator and auditor role?",
     (FindingKind.ACCOUNT_CREATED_OUTSIDE_APP, FindingKind.ROLE_CHANGED_OUTSIDE_APP,
      FindingKind.ACCOUNT_STATE_CHANGED_OUTSIDE_APP, FindingKind.ACCOUNT_DELETED_OUTSIDE_APP,
      FindingKind.ACCOUNT_REGISTER_ALTERED, FindingKind.ADMINISTRATOR_NAMED_ALONE)),
    ("Was ALPR data kept no longer than the retention period unless under a reviewed hold?",
     (FindingKind.READ_PAST_RETENTION, FindingKind.HOLD_PAST_REVIEW)),
    ("Was data shared only with California public agencies, on approved written requests?",
     (FindingKind.RELEASE_PROHIBITED, FindingKind.RELEASE_TO_NEW_AGENCY,
      FindingKind.RELEASE_SENDER_UNVERIFIED, FindingKind.DIRECTORY_ENTRY_UNVERIFIED,
      FindingKind.AGENCY_REFUSED_BY_SCREEN)),
    ("Did two people take part in every release and every directory entry, and did no one try "
     "to act alone or lock the administrators out?",
     (FindingKind.RELEASE_SELF_APPROVED, FindingKind.RELEASE_BY_DIRECTORY_PAIR,
      FindingKind.SEPARATION_OF_DUTIES_ATTEMPT)),
    ("Were hotlist entries tied to a case and set to expire?",
     (FindingKind.HOTLIST_WITHOUT_CASE_NUMBER, FindingKind.HOTLIST_WITHOUT_EXPIRY,
      FindingKind.HOTLIST_EXPIRED_NOT_REMOVED)),
    ("Is the record of access complete and unaltered?",
     (FindingKind.AUDIT_CHAIN_BROKEN, FindingKind.AUDIT_CHECKPOINT_FAILED,
      FindingKind.AUDIT_HEAD_WENT_BACKWARDS)),
    ("Is the ALPR policy posted for the public?", (FindingKind.POLICY_NOT_POSTED,)),
    ("Did cameras upload only what their tickets allowed, and were frames exported or released "
     "as the cameras captured them?",
     (FindingKind.CAMERA_UPLOADS_REFUSED, FindingKind.EVIDENCE_NOT_AS_CAPTURED)),
)


def _questions(report: MonthlyReport, by_kind: Counter[str]) -> list[dict[str, Any]]:
    basis = _question_basis(report)
    answers = []
    for (question, kinds), text in zip(QUESTIONS, basis, strict=True):
        count = sum(by_kind.get(kind.value, 0) for kind in kinds)
        answers.append({"question": question, "status": "review" if count else "clear",
                        "findings": count, "finding_kinds": [kind.value for kind in kinds],
                        "basis": text})
    return answers


def _question_basis(report: MonthlyReport) -> list[str]:
    access, purges, chain = report.access, report.purges, report.chain.check
    decided = Counter(release.status for release in report.releases_decided)
    extended = report.extended_searches
    return [
        f"{access.data_accesses} data accesses were allowed; each was checked for a listed "
        "purpose and a case number in today's format that is not a placeholder, and each case "
        "number for use by one user across many unrelated plates.",
        f"{len(extended)} searches covered more than {report.extended_search_days} days; "
        f"{sum(1 for search in extended if search.authority)} of them named a warrant, court "
        "order or supervisor's approval (listed under 'extended_searches').",
        f"{access.searches} searches ({access.search_pages} pages, each search counted once) "
        "were checked against the thresholds listed under 'thresholds'.",
        f"{report.refusals.total} attempts were refused, each with its reason (failed sign-ins "
        f"included); {report.accounts_checked} enabled accounts were checked for training, "
        "CLETS certification and idleness, and every account lock is named.",
        f"Every account's role and enabled state in Cognito, and in the account register the API "
        "reads, was compared with the access record's changes to it; "
        f"{len(report.account_changes)} account changes this month are listed under "
        "'account_changes', each with who and why.",
        f"Retention is {report.retention_days} days; {purges.reads_purged} reads and "
        f"{purges.images_deleted} images were purged in {sum(purges.runs.values())} recorded "
        f"purge runs; {report.reads_checked} reads older than retention were still stored; "
        f"{report.holds_in_force} holds in force were checked for their review date.",
        f"Release requests decided: {decided.get('approved', 0)} approved, "
        f"{decided.get('denied', 0)} denied, {decided.get('prohibited', 0)} prohibited by rule, "
        f"{decided.get('routed', 0)} routed to records release; {report.releases_pending} "
        f"pending at the month's end. {_active(report)} active directory entries were checked "
        "against their proposal and confirmation records.",
        f"{len(report.releases_approved)} approved releases were checked for who filed and who "
        "approved them (listed with the agency's directory history); refused attempts by the "
        "two-person rules are named.",
        f"{report.hotlist_checked} hotlist entries were checked.",
        f"The hash chain was verified over {chain.records_checked} records"
        + (f" up to record {report.chain.head_seq}" if chain.intact else
           f" and breaks at record {chain.first_broken_seq}: {chain.problem}")
        + f"; {_anchoring_basis(report)}",
        (f"The posted policy document is {report.policy_document.name} (SHA-256 "
         f"{report.policy_document.sha256[:16]}...), shown at /transparency."
         if report.policy_document else "The posted policy document cannot be read."),
        "Every upload is held against the ticket issued for its key; cameras with refused uploads "
        f"(or {rules.DUPLICATE_UPLOADS_PER_CAMERA} or more duplicates) are named here. Every "
        "evidence export and release approval compares each frame and crop with the SHA-256 the "
        "ingest took at capture and reads the version the ingest stored; replaced or "
        "overwritten objects are named here.",
    ]


def _access_section(access: rules.AccessSummary) -> dict[str, Any]:
    return {
        "data_accesses": access.data_accesses, "searches": access.searches,
        "search_pages": access.search_pages,
        "by_user": [asdict(row) for row in access.by_user],
        "by_role": dict(access.by_role), "by_purpose": dict(access.by_purpose),
        "by_action": {action: dict(counts) for action, counts in access.by_action.items()},
    }


def _extended_section(report: MonthlyReport) -> dict[str, Any]:
    """Searches over the extended-search limit, per user, with the authority of each."""
    by_user: dict[str, Counter[str]] = {}
    for search in report.extended_searches:
        by_user.setdefault(search.username, Counter())[search.authority or "none"] += 1
    return {
        "limit_days": report.extended_search_days,
        "total": len(report.extended_searches),
        "by_user": [{"username": username, "searches": sum(counts.values()), **dict(counts)}
                    for username, counts in sorted(by_user.items())],
        "searches": [asdict(search) for search in report.extended_searches],
    }


def _release_section(report: MonthlyReport) -> dict[str, Any]:
    decided = report.releases_decided
    return {
        "decided": rules.release_counts(decided),
        "pending_at_end": report.releases_pending,
        "approved": [_approved_row(row) for row in report.releases_approved],
        "filer_approver_pairs": [
            {"filed_by": filer, "approved_by": approver, "releases": count}
            for filer, approver, count in rules.filer_approver_pairs(report.releases_approved)],
    }


def _approved_row(row: rules.ApprovedRelease) -> dict[str, Any]:
    release, entry = row.release, row.entry
    return {"request_id": release.request_id, "agency": release.agency,
            "agency_id": release.agency_id, "jurisdiction": release.jurisdiction,
            "decided_at": release.decided_at, "filed_by": release.filed_by,
            "approved_by": release.decided_by, "reads_released": release.reads_released,
            "warnings_acknowledged": list(release.acknowledged),
            "directory": ({"ori": entry.facts.ori, "status": entry.status.value,
                           "proposed_by": entry.proposed_by, "proposed_at": entry.proposed_at,
                           "confirmed_by": entry.confirmed_by,
                           "confirmed_at": entry.confirmed_at,
                           "days_confirmed_before_release": row.days_after_confirmation}
                          if entry else None)}


def _directory_section(report: MonthlyReport) -> dict[str, Any]:
    start, end = format_time(report.period.start), format_time(report.period.end)
    counts = Counter(entry.status.value for entry in report.directory)
    return {
        "entries_by_status": {status.value: counts.get(status.value, 0)
                              for status in EntryStatus},
        "changes_in_month": [{"at": at, "what": what, "agency": name, "by": by}
                             for at, what, name, by in rules.directory_changes(
                                 report.directory, start, end)],
    }


def _active(report: MonthlyReport) -> int:
    return sum(1 for entry in report.directory if entry.status is EntryStatus.ACTIVE)


def _thresholds() -> dict[str, int | str]:
    return {
        "repeated_plate_searches_per_month": rules.REPEATED_PLATE_SEARCHES,
        "wildcard_searches_per_day": rules.BULK_WILDCARD_SEARCHES_PER_DAY,
        "wildcard_results_per_search": rules.BULK_WILDCARD_RESULTS,
        "off_hours": f"{rules.OFF_HOURS_START_HOUR:02d}:00-{rules.OFF_HOURS_END_HOUR:02d}:00",
        "off_hours_accesses_per_night": rules.OFF_HOURS_SPIKE_ACCESSES,
        "case_number_unrelated_plates": rules.CASE_NUMBER_PLATES,
        "ttl_lag_allowance_days": rules.TTL_LAG_ALLOWANCE.days,
        "new_agency_days": rules.NEW_AGENCY_DAYS,
    }


# ---------------------------------------------------------------------- helpers
def _reads_past_retention(as_of: datetime, deps: MonthlyAuditDependencies) -> list[Read]:
    """Reads still stored in the day partitions from retention + lookback to retention ago."""
    newest = as_of - timedelta(days=deps.retention_days) + timedelta(days=1)
    oldest = newest - timedelta(days=RETENTION_LOOKBACK_DAYS + 1)
    stats = QueryStats()
    return [read for day in days_between(oldest, newest)
            for read in deps.reads.newest_first(Partition("by_day", "day_bucket", day), "0", "9",
                                                stats)]


class _Counted(Iterable[ListedEntry]):
    """Passes entries through once, counting them."""

    def __init__(self, entries: Iterable[ListedEntry]) -> None:
        self._entries = entries
        self.count = 0

    def __iter__(self) -> Iterator[ListedEntry]:
        for entry in self._entries:
            self.count += 1
            yield entry


def _earlier_heads(period: ReportPeriod,
                   deps: MonthlyAuditDependencies) -> list[audit_integrity.EarlierHead]:
    """What every stored version of this month's report recorded about the chain's head."""
    json_key, _ = report_keys(period.month)
    heads = []
    for version in deps.store.versions(json_key):
        try:
            document = json.loads(deps.store.get_version(json_key, version.version_id))
            chain = document["audit_chain"]
            anchoring = document.get("anchoring") or {}
            heads.append(audit_integrity.EarlierHead(
                str(document.get("generated_at", version.last_modified)), version.version_id,
                int(chain["head_seq"]), str(chain["head_hash"]),
                int((anchoring.get("checkpoint") or {}).get("number", 0))))
        except (ValueError, KeyError, TypeError):
            continue  # not a report this code wrote; the bucket's versions keep it for review
    return heads


def _anchoring_section(report: MonthlyReport) -> dict[str, Any]:
    """The checkpoint the report was built against (signed, so anyone can re-check it), what it
    anchors, and what the chain and earlier versions of this report said about each other."""
    anchoring = report.anchoring
    newest = anchoring.newest
    tail = anchoring.unanchored
    anchored_through = newest.checkpoint.seq if newest else 0
    return {
        "checkpoint": newest.checkpoint.fields() if newest else None,
        "checkpoint_document": json.loads(newest.document()) if newest else None,
        "public_key_sha256": report.public_key_sha256,
        "anchored_through_seq": anchored_through,
        "month_last_seq": report.month_last_seq,
        "month_anchored": bool(newest) and anchoring.intact and (
            report.month_last_seq <= anchored_through),
        "unanchored": ({"first_seq": tail.first_seq, "last_seq": tail.last_seq,
                        "count": tail.count, "first_at": tail.first_at} if tail else None),
        "problems": [{"kind": problem.kind.value, "checkpoint": problem.checkpoint,
                      "detail": problem.text} for problem in anchoring.problems],
        "earlier_versions_compared": len(report.earlier_versions),
    }


def _anchoring_basis(report: MonthlyReport) -> str:
    newest, anchoring = report.anchoring.newest, report.anchoring
    if newest is None:
        return "no signed checkpoint exists yet, so nothing anchors the chain outside the database."
    checked = (f"it was checked against {newest.checkpoint.describe()}"
               + (" and reproduces it" if not anchoring.problems else
                  f", with {len(anchoring.problems)} disagreement(s) listed as findings"))
    tail = anchoring.unanchored
    pending = (f"; records {tail.first_seq}-{tail.last_seq} were written after it and are not "
               "yet anchored" if tail else "")
    return (f"{checked}{pending}; {len(report.earlier_versions)} earlier version(s) of this "
            "month's report were compared.")


def _checkpoint_notice(report: MonthlyReport) -> str:
    """A copy of the anchor outside the account: whoever keeps this notice can later show that
    the access record up to that record was not rewritten."""
    newest = report.anchoring.newest
    if newest is None:
        return "No signed checkpoint of the access record exists yet."
    checkpoint = newest.checkpoint
    return (f"Access record anchored by checkpoint #{checkpoint.number}: record "
            f"{checkpoint.seq}, hash {checkpoint.hash}, signed {checkpoint.signed_at} "
            f"(checkpoint key SHA-256 {report.public_key_sha256}). Keep this notice.")


def _policy_document(deps: MonthlyAuditDependencies) -> PolicyDocument | None:
    try:
        return deps.policy_document()
    except PolicyDocumentUnavailable:
        return None


def _notice(report: MonthlyReport, bucket: str, keys: tuple[str, str],
            scheduled: bool) -> tuple[str, str]:
    """Subject and message for the administrator: counts and keys, no plates, no names."""
    kinds = Counter(finding.kind.value for finding in report.findings)
    lines = [
        f"The monthly ALPR audit report for {report.period.month} ({report.agency}) was built "
        f"at {format_time(report.generated_at)} "
        + ("by the monthly schedule." if scheduled else "on request (see the access record)."),
        f"Findings to follow up: {len(report.findings)}",
        *(f"  {kind}: {count}" for kind, count in sorted(kinds.items())),
        f"Data accesses: {report.access.data_accesses}; refused attempts: "
        f"{report.refusals.total}.",
        f"Report: s3://{bucket}/{keys[0]} (HTML) and s3://{bucket}/{keys[1]} (JSON).",
        _checkpoint_notice(report),
        f"Auditors open it through GET /reports/monthly/{report.period.month}.",
    ]
    subject = f"Monthly ALPR audit {report.period.month}: {len(report.findings)} findings"
    return subject, "\n".join(lines)
