"""Monthly audit rules (policy 428.6(c)): compliance checks and anomaly flags over plain records.

Each function takes what the month's records say and returns findings (named, to follow up) or
counts. The thresholds are named constants, so an agency can read, and tune, what counts as
unusual. The misuse these flags look for is what the State Auditor (report 2019-118) and later
reports describe: searches without a documented reason, one person watching one car, sweeping
wildcard queries, and use at hours when nobody is supervising.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo

from chalicelib.domain.access import UserAccount
from chalicelib.domain.agencies import AgencyEntry, EntryStatus
from chalicelib.domain.audit import ALLOWED, REFUSED, AuditRecord, ChainCheck
from chalicelib.domain.holds import Hold
from chalicelib.domain.hotlist import Source
from chalicelib.domain.monthly_audit import Finding, FindingKind, ListedEntry, ReleaseRecord
from chalicelib.domain.plates import edit_distance_at_most, fold_plate
from chalicelib.domain.reads import Read, format_time, parse_time
from chalicelib.domain.uploads import DailyCount
from chalicelib.policy.access import idle_refusal, purpose_refusal, training_refusal
from chalicelib.policy.case_numbers import DEFAULT_CASE_NUMBER_RULE, CaseNumberRule
from chalicelib.policy.directory import NEW_AGENCY_DAYS, PROPOSE_ACTION, entry_problems
from chalicelib.policy.long_history import WINDOW_GRACE
from chalicelib.policy.retention import expiry_epoch
from chalicelib.policy.separation_of_duties import CODES as SOD_CODES
from chalicelib.policy.separation_of_duties import same_person

# Actions that touch ALPR data and must name a purpose and a case number (428.6(b)).
SEARCH_ACTION = "search_reads"
DATA_ACCESS_ACTIONS = frozenset({SEARCH_ACTION, "view_read", "export_reads", "download_export"})
PURGE_ACTIONS = ("purge_reads", "purge_images", "retention_check")
LOCK_ACTION = "account_locked"

# One user searching one plate this many times in a month is flagged (stalking pattern). The
# pages of one search are one search (services/search_record.py).
REPEATED_PLATE_SEARCHES = 5
# A case number that one user alone used for this many unrelated plates (not look-alikes of each
# other) in a month is a catch-all, not a specific investigation (428.6(b)).
CASE_NUMBER_PLATES = 10
# One user's wildcard (partial plate) searches in one local day that make a sweep.
BULK_WILDCARD_SEARCHES_PER_DAY = 10
# One wildcard search returning this many reads is a sweep by itself.
BULK_WILDCARD_RESULTS = 100
# Off hours in the agency's time zone: from 22:00 to 06:00.
OFF_HOURS_START_HOUR = 22
OFF_HOURS_END_HOUR = 6
# One user's data accesses within one night's off hours that make a spike.
OFF_HOURS_SPIKE_ACCESSES = 10
# DynamoDB TTL deletes within about two days of expiry: only later is a lingering read a finding.
TTL_LAG_ALLOWANCE = timedelta(days=2)
# Hotlist entries are removed by TTL as well.
HOTLIST_EXPIRY_ALLOWANCE = timedelta(days=2)
# Entries typed in by staff (not downloaded from NCIC or DOJ) need their own case and expiry.
HAND_ENTERED_SOURCES = frozenset({Source.CUSTOM, Source.CSV})
# Release request states (428.7); "prohibited" = refused by rule (Civil Code 1798.90.55(b)).
PENDING = "pending"
PROHIBITED = "prohibited"
APPROVED = "approved"
DECIDED_STATUSES = (APPROVED, "denied", PROHIBITED, "routed")
# Warnings about the written request's sender (policy/sharing.release_warnings).
SENDER_WARNINGS = frozenset({"SENDER_MISSING", "SENDER_NOT_AGENCY", "SENDER_DOMAIN_MISMATCH",
                             "AGENCY_HAS_NO_DOMAINS"})
AGENCY_PROHIBITED = "AGENCY_PROHIBITED"


# ---------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class UserActivity:
    username: str
    role: str
    agency: str
    data_accesses: int
    refused_attempts: int


@dataclass(frozen=True)
class AccessSummary:
    """Allowed data accesses by user, role and purpose, and every action recorded."""

    by_user: tuple[UserActivity, ...]
    by_role: Mapping[str, int]
    by_purpose: Mapping[str, int]
    by_action: Mapping[str, Mapping[str, int]]
    data_accesses: int
    searches: int
    search_pages: int = 0


@dataclass(frozen=True)
class SearchEvent:
    """One search and its pages, as one event (the first record stands for it)."""

    first: AuditRecord
    pages: int
    results: int

    @property
    def plate(self) -> str:
        return self.first.entry.query.get("plate", "").strip().upper()


@dataclass(frozen=True)
class RefusalSummary:
    by_code: Mapping[str, int]
    by_user: tuple[tuple[str, str, int], ...]
    total: int


@dataclass(frozen=True)
class PurgeTotals:
    runs: Mapping[str, int]
    reads_purged: int
    images_deleted: int
    kept_under_legal_hold: int


def access_summary(records: Iterable[AuditRecord]) -> AccessSummary:
    """Accesses per user, role and purpose (allowed data accesses), and all actions by outcome."""
    users: dict[str, UserActivity] = {}
    by_role: Counter[str] = Counter()
    by_purpose: Counter[str] = Counter()
    by_action: dict[str, Counter[str]] = defaultdict(Counter)
    searches = pages = 0
    for record in records:
        entry = record.entry
        by_action[entry.action][entry.outcome] += 1
        if entry.action not in DATA_ACCESS_ACTIONS:
            continue
        if entry.action == SEARCH_ACTION and entry.outcome == ALLOWED:
            pages += 1
        if _is_continuation(record):
            continue  # a later page of a search counted once, by its first page
        row = users.get(entry.username) or UserActivity(entry.username, entry.role,
                                                         entry.agency, 0, 0)
        allowed = entry.outcome == ALLOWED
        users[entry.username] = replace(row, data_accesses=row.data_accesses + allowed,
                                        refused_attempts=row.refused_attempts + (not allowed))
        if allowed:
            by_role[entry.role or "none"] += 1
            by_purpose[entry.purpose or "(none)"] += 1
            searches += entry.action == SEARCH_ACTION
    by_user = tuple(sorted(users.values(),
                           key=lambda activity: (-activity.data_accesses, activity.username)))
    return AccessSummary(by_user, dict(by_role.most_common()), dict(by_purpose.most_common()),
                         {action: dict(counts) for action, counts in sorted(by_action.items())},
                         sum(by_role.values()), searches, pages)


def refusal_summary(records: Iterable[AuditRecord]) -> RefusalSummary:
    """Refused attempts of any kind and their reasons, overall and per user."""
    by_code: Counter[str] = Counter()
    by_user: Counter[tuple[str, str]] = Counter()
    for record in records:
        entry = record.entry
        if entry.outcome != REFUSED:
            continue
        by_code[entry.refusal_code or "(none)"] += 1
        by_user[(entry.username, entry.refusal_code or "(none)")] += 1
    rows = tuple(sorted(((user, code, count) for (user, code), count in by_user.items()),
                        key=lambda row: (-row[2], row[0], row[1])))
    return RefusalSummary(dict(by_code.most_common()), rows, sum(by_code.values()))


def purge_totals(records: Iterable[AuditRecord]) -> PurgeTotals:
    """What the purge runs recorded in the month (counts only: they never record plates)."""
    runs: Counter[str] = Counter()
    reads = images = locked = 0
    for record in records:
        entry = record.entry
        if entry.action not in PURGE_ACTIONS:
            continue
        runs[entry.action] += 1
        counts = _numbers(entry.query)
        reads += counts.get("reads_purged", 0) + counts.get("deleted", 0)
        images += counts.get("images_deleted", 0) + counts.get("images_purged", 0)
        locked += counts.get("kept_under_legal_hold", 0)
    return PurgeTotals({action: runs[action] for action in PURGE_ACTIONS}, reads, images, locked)


def decided_in(releases: Iterable[ReleaseRecord], start: str, end: str) -> list[ReleaseRecord]:
    """Requests decided in [start, end) (ISO 8601 UTC texts), in decision order."""
    return sorted((release for release in releases if release.status != PENDING
                   and release.decided_at and start <= release.decided_at < end),
                  key=lambda release: (release.decided_at, release.request_id))


def pending_at(releases: Iterable[ReleaseRecord], end: str) -> int:
    """Requests filed before `end` and not decided by then."""
    return sum(1 for release in releases if release.filed_at < end and (
        release.status == PENDING or not release.decided_at or release.decided_at >= end))


def release_counts(decided: Iterable[ReleaseRecord]) -> dict[str, int]:
    """Decided requests by status; every known status is shown, zero or not."""
    counts = Counter(release.status for release in decided)
    return {status: counts.get(status, 0) for status in
            (*DECIDED_STATUSES, *sorted(set(counts) - set(DECIDED_STATUSES)))}


# ---------------------------------------------------------------------- findings
def invalid_purpose_findings(records: Iterable[AuditRecord],
                             rule: CaseNumberRule = DEFAULT_CASE_NUMBER_RULE) -> list[Finding]:
    """428.6(b): allowed data accesses whose recorded purpose or case number fails today's rules
    (the agency's format and the placeholder values: NONE, 0000, ASDF, ...).

    The API refuses such requests, so any found here came in some other way, or before the rule
    was tightened, and must be explained; there should be none. Later pages of a search carry
    their first page's purpose and case number and are not named again.
    """
    findings = []
    for record in records:
        entry = record.entry
        if entry.outcome != ALLOWED or entry.action not in DATA_ACCESS_ACTIONS \
                or _is_continuation(record):
            continue
        refusal = purpose_refusal(entry.purpose, entry.case_number, rule)
        if refusal is None:
            continue
        findings.append(Finding(
            FindingKind.SEARCH_WITHOUT_VALID_PURPOSE, entry.username,
            f"{entry.action} at {entry.at} was allowed without a valid purpose or case number "
            f"({refusal.code})",
            {"seq": record.seq, "at": entry.at, "action": entry.action, "reason": refusal.code,
             "purpose": entry.purpose or "(none)", "case_number": entry.case_number or "(none)"}))
    return findings


def repeated_plate_findings(records: Iterable[AuditRecord]) -> list[Finding]:
    """One user searching the same plate REPEATED_PLATE_SEARCHES times or more in the month."""
    searches: dict[tuple[str, str], list[AuditRecord]] = defaultdict(list)
    for event in search_events(records):
        if event.plate:
            searches[(event.first.entry.username, event.plate)].append(event.first)
    findings = []
    for (username, plate), found in sorted(searches.items()):
        if len(found) < REPEATED_PLATE_SEARCHES:
            continue
        days = sorted({record.entry.at[:10] for record in found})
        cases = sorted({record.entry.case_number for record in found if record.entry.case_number})
        findings.append(Finding(
            FindingKind.REPEATED_PLATE_SEARCHES, username,
            f"searched the same plate {len(found)} times on {len(days)} day(s) "
            f"(threshold {REPEATED_PLATE_SEARCHES})",
            {"plate": plate, "searches": len(found), "days": len(days),
             "first": found[0].entry.at, "last": found[-1].entry.at,
             "case_numbers": ", ".join(cases) or "(none)"}))
    return findings


def bulk_wildcard_findings(records: Iterable[AuditRecord], zone: tzinfo) -> list[Finding]:
    """Wildcard sweeps: many wildcard searches by one user in one local day, or one wildcard
    search returning BULK_WILDCARD_RESULTS reads or more."""
    per_day: dict[tuple[str, date], list[SearchEvent]] = defaultdict(list)
    findings = []
    for event in search_events(records):
        record = event.first
        if not _is_wildcard(record.entry.query):
            continue
        day = parse_time(record.entry.at).astimezone(zone).date()
        per_day[(record.entry.username, day)].append(event)
        if event.results >= BULK_WILDCARD_RESULTS:
            findings.append(Finding(
                FindingKind.BULK_WILDCARD_SEARCHES, record.entry.username,
                f"one wildcard search returned {event.results} reads in {event.pages} page(s) "
                f"(threshold {BULK_WILDCARD_RESULTS})",
                {"seq": record.seq, "at": record.entry.at,
                 "pattern": record.entry.query.get("plate", ""),
                 "results": event.results, "pages": event.pages}))
    for (username, day), found in sorted(per_day.items()):
        if len(found) >= BULK_WILDCARD_SEARCHES_PER_DAY:
            findings.append(Finding(
                FindingKind.BULK_WILDCARD_SEARCHES, username,
                f"{len(found)} wildcard searches on {day.isoformat()} "
                f"(threshold {BULK_WILDCARD_SEARCHES_PER_DAY} a day)",
                {"day": day.isoformat(), "searches": len(found),
                 "results": sum(event.results for event in found)}))
    return findings


def off_hours_findings(records: Iterable[AuditRecord], zone: tzinfo) -> list[Finding]:
    """A spike of one user's data accesses between OFF_HOURS_START_HOUR and OFF_HOURS_END_HOUR
    (agency time) in one night."""
    nights: dict[tuple[str, date], list[AuditRecord]] = defaultdict(list)
    for record in records:
        entry = record.entry
        if entry.outcome != ALLOWED or entry.action not in DATA_ACCESS_ACTIONS \
                or _is_continuation(record):
            continue
        night = off_hours_night(parse_time(entry.at), zone)
        if night is not None:
            nights[(entry.username, night)].append(record)
    findings = []
    for (username, night), found in sorted(nights.items()):
        if len(found) < OFF_HOURS_SPIKE_ACCESSES:
            continue
        findings.append(Finding(
            FindingKind.OFF_HOURS_SPIKE, username,
            f"{len(found)} data accesses in the night of {night.isoformat()} between "
            f"{OFF_HOURS_START_HOUR}:00 and {OFF_HOURS_END_HOUR:02d}:00 local time "
            f"(threshold {OFF_HOURS_SPIKE_ACCESSES})",
            {"night_of": night.isoformat(), "accesses": len(found), "first": found[0].entry.at,
             "last": found[-1].entry.at}))
    return findings


def off_hours_night(moment: datetime, zone: tzinfo) -> date | None:
    """The evening date of the night `moment` falls in, or None during working hours."""
    local = moment.astimezone(zone)
    if local.hour >= OFF_HOURS_START_HOUR:
        return local.date()
    if local.hour < OFF_HOURS_END_HOUR:
        return local.date() - timedelta(days=1)
    return None


def account_findings(accounts: Iterable[UserAccount], as_of: datetime) -> list[Finding]:
    """Enabled accounts whose training or CLETS certification lapsed, and idle accounts."""
    findings = []
    for account in sorted(accounts, key=lambda item: item.username):
        if not account.enabled:
            continue
        lapsed = training_refusal(account, as_of.date())
        if lapsed is not None:
            findings.append(Finding(
                FindingKind.TRAINING_LAPSED, account.username, lapsed.message,
                {"reason": lapsed.code, "training_date": _day(account.training_date),
                 "clets_cert_date": _day(account.clets_cert_date)}))
        idle = idle_refusal(account, as_of)
        if idle is not None:
            findings.append(Finding(
                FindingKind.IDLE_ACCOUNT, account.username,
                "enabled but unused for more than 90 days; disable it or re-approve it",
                {"last_access": account.last_access.isoformat() if account.last_access
                 else "(never)", "approved_at": _day(account.approved_at)}))
    return findings


def in_force_at(hold: Hold, as_of: datetime) -> bool:
    """Whether the hold existed and was not yet released at `as_of`."""
    moment = format_time(as_of)
    if hold.created_at > moment:
        return False
    return hold.active or not hold.released_at or hold.released_at > moment


def hold_findings(holds: Iterable[Hold], as_of: datetime) -> list[Finding]:
    """Holds that were in force at `as_of` and past their review date (428.5)."""
    findings = []
    for hold in sorted(holds, key=lambda item: (item.review_date, item.hold_id)):
        if not in_force_at(hold, as_of) or hold.review_date >= as_of.date():
            continue
        findings.append(Finding(
            FindingKind.HOLD_PAST_REVIEW, hold.hold_id,
            f"hold for case {hold.case_number} was due for review on "
            f"{hold.review_date.isoformat()} and is still in force",
            {"case_number": hold.case_number, "review_date": hold.review_date.isoformat(),
             "approved_by": hold.approved_by, "reads": len(hold.read_ids)}))
    return findings


def retention_findings(reads: Iterable[Read], as_of: datetime,
                       retention_days: int) -> list[Finding]:
    """Reads still stored past retention with no hold (428.5); plates are not named, read ids
    are. A read without TTL and without a hold is judged by its capture time."""
    cutoff = int((as_of - TTL_LAG_ALLOWANCE).timestamp())
    findings = []
    for read in sorted(reads, key=lambda item: (item.captured_at, item.read_id)):
        if read.holds:
            continue
        expires = read.expires_at
        if expires is None:
            expires = expiry_epoch(parse_time(read.captured_at), retention_days)
        if expires > cutoff:
            continue
        expired_on = datetime.fromtimestamp(expires, as_of.tzinfo).date().isoformat()
        findings.append(Finding(
            FindingKind.READ_PAST_RETENTION, read.read_id,
            f"read captured {read.captured_at} is still stored without a hold; its retention "
            f"ended on {expired_on}",
            {"captured_at": read.captured_at, "camera_id": read.camera_id,
             "retention_ended": expired_on,
             "ttl": "set" if read.expires_at is not None else "missing"}))
    return findings


def release_findings(releases: Iterable[ReleaseRecord]) -> list[Finding]:
    """Release requests refused by rule (not a California public agency, 1798.90.55(b)): each is
    named so the records unit can confirm nothing was shared outside the process."""
    return [
        Finding(FindingKind.RELEASE_PROHIBITED, release.request_id,
                f"request from {release.agency} ({release.jurisdiction}) was prohibited by rule",
                {"agency": release.agency, "jurisdiction": release.jurisdiction,
                 "filed_at": release.filed_at, "decided_at": release.decided_at})
        for release in sorted(releases, key=lambda item: (item.decided_at, item.request_id))
        if release.status == PROHIBITED
    ]


# ---------------------------------------------------------------------- sharing: two people
@dataclass(frozen=True)
class ApprovedRelease:
    """An approved release with the directory history of the agency it went to."""

    release: ReleaseRecord
    entry: AgencyEntry | None

    @property
    def days_after_confirmation(self) -> int | None:
        if self.entry is None or not self.entry.confirmed_at or not self.release.decided_at:
            return None
        return (parse_time(self.release.decided_at) - parse_time(self.entry.confirmed_at)).days


def approved_releases(decided: Iterable[ReleaseRecord],
                      entries: Mapping[str, AgencyEntry]) -> list[ApprovedRelease]:
    return [ApprovedRelease(release, entries.get(release.agency_id)) for release in decided
            if release.status == APPROVED]


def filer_approver_pairs(approved: Iterable[ApprovedRelease]) -> list[tuple[str, str, int]]:
    """Who filed and who approved, with how many releases each pair made (most first)."""
    pairs = Counter((row.release.filed_by, row.release.decided_by) for row in approved)
    return sorted(((filer, approver, count) for (filer, approver), count in pairs.items()),
                  key=lambda row: (-row[2], row[0], row[1]))


def approved_release_findings(approved: Iterable[ApprovedRelease]) -> list[Finding]:
    """Approved releases that must be looked at: to an agency new to the directory, approved by
    its filer (the API refuses that), by the same two people who put the agency in the
    directory, or with the sender's address unverified."""
    findings = []
    for row in approved:
        release, entry = row.release, row.entry
        facts: dict[str, str | int] = {
            "agency": release.agency, "decided_at": release.decided_at,
            "filed_by": release.filed_by or "(none)", "approved_by": release.decided_by,
            "proposed_by": entry.proposed_by if entry else "(no entry)",
            "confirmed_by": entry.confirmed_by if entry else "(no entry)",
            "confirmed_at": entry.confirmed_at if entry else "(no entry)"}
        days = row.days_after_confirmation
        if days is None or days < NEW_AGENCY_DAYS:
            findings.append(Finding(
                FindingKind.RELEASE_TO_NEW_AGENCY, release.request_id,
                f"released to {release.agency} "
                + (f"{days} days after its directory entry was confirmed" if days is not None
                   else "without a confirmed directory entry")
                + f" (threshold {NEW_AGENCY_DAYS} days)", facts))
        if same_person(release.filed_by, release.decided_by):
            findings.append(Finding(FindingKind.RELEASE_SELF_APPROVED, release.request_id,
                                    f"{release.decided_by} filed and approved the same request",
                                    facts))
        if entry is not None and _same_pair((release.filed_by, release.decided_by),
                                            (entry.proposed_by, entry.confirmed_by)):
            findings.append(Finding(
                FindingKind.RELEASE_BY_DIRECTORY_PAIR, release.request_id,
                f"the two people who put {release.agency} in the directory also filed and "
                "approved this release to it", facts))
        unverified = sorted(set(release.acknowledged) & SENDER_WARNINGS)
        if unverified:
            findings.append(Finding(
                FindingKind.RELEASE_SENDER_UNVERIFIED, release.request_id,
                f"approved with the sender's address unverified ({', '.join(unverified)}), "
                "acknowledged by the approver", facts))
    return findings


def directory_findings(entries: Iterable[AgencyEntry],
                       record: Callable[[int], AuditRecord | None]) -> list[Finding]:
    """Active directory entries that do not hold up against the access record (written or
    edited around the API, or screened out since)."""
    findings = []
    for entry in sorted(entries, key=lambda item: item.name.casefold()):
        if entry.status is not EntryStatus.ACTIVE:
            continue
        problems = entry_problems(entry, record(entry.proposal_seq) if entry.proposal_seq
                                  else None,
                                  record(entry.confirmation_seq) if entry.confirmation_seq
                                  else None)
        if problems:
            findings.append(Finding(
                FindingKind.DIRECTORY_ENTRY_UNVERIFIED, entry.agency_id,
                f"{entry.name}: " + "; ".join(problems),
                {"name": entry.name, "ori": entry.facts.ori, "proposed_by": entry.proposed_by,
                 "confirmed_by": entry.confirmed_by}))
    return findings


def refused_agency_findings(records: Iterable[AuditRecord]) -> list[Finding]:
    """Directory proposals the agency screen refused (a federal, out-of-state or private body
    someone tried to add), each named with who tried."""
    return [Finding(FindingKind.AGENCY_REFUSED_BY_SCREEN, record.entry.username,
                    f"tried to add {record.entry.query.get('name', '(no name)')} to the "
                    "directory; refused by the agency screen",
                    {"seq": record.seq, "at": record.entry.at,
                     "name": record.entry.query.get("name", ""),
                     "ori": record.entry.query.get("ori", ""),
                     "marks": record.entry.query.get("marks", "")})
            for record in records
            if record.entry.action == PROPOSE_ACTION and record.entry.outcome == REFUSED
            and record.entry.refusal_code == AGENCY_PROHIBITED]


def separation_findings(records: Iterable[AuditRecord]) -> list[Finding]:
    """Every attempt the two-person rules refused: approving one's own request, confirming
    one's own proposal, locking the administrators out."""
    return [Finding(FindingKind.SEPARATION_OF_DUTIES_ATTEMPT, record.entry.username,
                    f"{record.entry.action} refused: {record.entry.refusal_code}",
                    {"seq": record.seq, "at": record.entry.at, "action": record.entry.action,
                     "reason": record.entry.refusal_code,
                     "target": record.entry.query.get("target")
                     or record.entry.query.get("request_id")
                     or record.entry.query.get("agency_id", "")})
            for record in records
            if record.entry.outcome == REFUSED and record.entry.refusal_code in SOD_CODES]


def directory_changes(entries: Iterable[AgencyEntry], start: str,
                      end: str) -> list[tuple[str, str, str, str]]:
    """(when, what, entry name, by whom) of every directory act in [start, end)."""
    changes = []
    for entry in entries:
        for at, what, by in ((entry.proposed_at, "proposed", entry.proposed_by),
                             (entry.confirmed_at, "confirmed", entry.confirmed_by),
                             (entry.closed_at, entry.status.value, entry.closed_by)):
            if at and start <= at < end:
                changes.append((at, what, entry.name, by))
    return sorted(changes)


def _same_pair(first: tuple[str, str], second: tuple[str, str]) -> bool:
    return {name.casefold() for name in first if name} == {
        name.casefold() for name in second if name} and len(set(first)) == 2


def hotlist_findings(entries: Iterable[ListedEntry], as_of: datetime) -> list[Finding]:
    """Hand-entered entries without a case number or an expiry, and entries of any source still
    stored well past their expiry (TTL should have removed them). Entries are read once, in any
    order (downloaded lists hold hundreds of thousands)."""
    cutoff = int((as_of - HOTLIST_EXPIRY_ALLOWANCE).timestamp())
    findings = []
    for entry in entries:
        facts: dict[str, str | int] = {"list": entry.list_name, "source": entry.source,
                                       "added_by": entry.added_by or "(none)",
                                       "approved_by": entry.approved_by or "(none)"}
        hand_entered = entry.source in HAND_ENTERED_SOURCES
        if hand_entered and not entry.case_number.strip():
            findings.append(Finding(FindingKind.HOTLIST_WITHOUT_CASE_NUMBER, entry.entry_id,
                                    "hand-entered hotlist entry has no case number", facts))
        if hand_entered and entry.expires_at is None:
            findings.append(Finding(FindingKind.HOTLIST_WITHOUT_EXPIRY, entry.entry_id,
                                    "hand-entered hotlist entry never expires", facts))
        if entry.expires_at is not None and entry.expires_at <= cutoff:
            expired = datetime.fromtimestamp(entry.expires_at, as_of.tzinfo).isoformat()
            findings.append(Finding(FindingKind.HOTLIST_EXPIRED_NOT_REMOVED, entry.entry_id,
                                    f"entry expired {expired} and is still stored",
                                    {**facts, "expired": expired}))
    return sorted(findings, key=lambda finding: (finding.subject, finding.kind.value))


def chain_findings(check: ChainCheck) -> list[Finding]:
    """The access record's hash chain must be intact (a break means an edit or a deletion)."""
    if check.intact:
        return []
    return [Finding(FindingKind.AUDIT_CHAIN_BROKEN, f"record {check.first_broken_seq}",
                    check.problem, {"records_intact_before": check.records_checked})]


# Where exports and release approvals record what the ingest-time hashes found.
EVIDENCE_ACTIONS = frozenset({"export_reads", "approve_release"})
EVIDENCE_INTEGRITY_ELEMENTS = ("replaced_after_ingest", "superseded_in_storage")


def evidence_integrity_findings(records: Iterable[AuditRecord]) -> list[Finding]:
    """Exports and release approvals that found a stored frame or crop replaced after ingest, or
    a later version written under its key (a camera or an insider writing where it must not):
    each is named by the export or request and the object names, never by plate."""
    findings = []
    for record in records:
        entry = record.entry
        found = {name: entry.query[name] for name in EVIDENCE_INTEGRITY_ELEMENTS
                 if entry.query.get(name)}
        if entry.action not in EVIDENCE_ACTIONS or not found:
            continue
        subject = entry.query.get("export_id") or entry.query.get("request_id") or \
            f"record {record.seq}"
        findings.append(Finding(
            FindingKind.EVIDENCE_NOT_AS_CAPTURED, subject,
            f"{entry.action} by {entry.username} found stored images not as captured "
            f"({entry.outcome}{', ' + entry.refusal_code if entry.refusal_code else ''})",
            {"at": entry.at, "case_number": entry.case_number, **found}))
    return findings


# A camera's upload the ingest refused (no ticket, another camera's key, a replayed ticket,
# wrong type, size or metadata) is never routine; repeats in bulk point at a misconfigured or
# misused camera client.
REJECTED_UPLOADS_PER_CAMERA = 1
DUPLICATE_UPLOADS_PER_CAMERA = 50


def camera_upload_findings(counts: Iterable[DailyCount]) -> list[Finding]:
    """Cameras whose uploads the ingest refused in the month, or that sent the same frames
    again in bulk, with their monthly totals and the days it happened."""
    totals: dict[str, list[int]] = {}
    days: dict[str, set[str]] = {}
    for count in counts:
        total = totals.setdefault(count.camera_id, [0, 0])
        total[0] += count.rejected
        total[1] += count.duplicate
        days.setdefault(count.camera_id, set()).add(count.day)
    return [
        Finding(FindingKind.CAMERA_UPLOADS_REFUSED, camera,
                f"{rejected} uploads refused and {duplicate} duplicates in the month",
                {"rejected": rejected, "duplicate": duplicate,
                 "days": ",".join(sorted(days[camera]))})
        for camera, (rejected, duplicate) in sorted(totals.items())
        if rejected >= REJECTED_UPLOADS_PER_CAMERA or duplicate >= DUPLICATE_UPLOADS_PER_CAMERA
    ]


# ---------------------------------------------------------------------- helpers
def search_events(records: Iterable[AuditRecord]) -> list[SearchEvent]:
    """Allowed searches, one per search (its pages added up), in time order. Records written
    before searches had ids are one search each."""
    pages: dict[str, list[AuditRecord]] = defaultdict(list)
    for record in records:
        if record.entry.action == SEARCH_ACTION and record.entry.outcome == ALLOWED:
            pages[record.entry.search_id or f"seq-{record.seq}"].append(record)
    events = []
    for found in pages.values():
        found.sort(key=lambda record: record.seq)
        events.append(SearchEvent(found[0], len(found),
                                  sum(record.entry.result_count for record in found)))
    return sorted(events, key=lambda event: (event.first.entry.at, event.first.seq))


def _is_continuation(record: AuditRecord) -> bool:
    return record.entry.action == SEARCH_ACTION and record.entry.search_page > 1


def _is_wildcard(query: Mapping[str, str]) -> bool:
    plate = query.get("plate", "")
    return query.get("mode") == "partial" or "*" in plate or "?" in plate


def _numbers(query: Mapping[str, str]) -> dict[str, int]:
    return {name: int(value) for name, value in query.items() if value.isdigit()}


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else "(none)"


# ---------------------------------------------------------------------- officers' guardrails
def catch_all_case_findings(records: Iterable[AuditRecord]) -> list[Finding]:
    """428.6(b): a case number that one user alone used, in the month, for CASE_NUMBER_PLATES or
    more unrelated plates (plates that are not one-character or look-alike variants of each
    other): a case number stretched over everyone that user looks up."""
    users: dict[str, set[str]] = defaultdict(set)
    plates: dict[str, set[str]] = defaultdict(set)
    for record in records:
        entry = record.entry
        if entry.outcome != ALLOWED or entry.action not in DATA_ACCESS_ACTIONS \
                or not entry.case_number or _is_continuation(record):
            continue
        case = entry.case_number.strip().upper()
        users[case].add(entry.username)
        plate = entry.query.get("plate", "").strip().upper()
        if plate and "*" not in plate and "?" not in plate:
            plates[case].add(plate)
    findings = []
    for case, names in sorted(users.items()):
        unrelated = unrelated_plates(plates[case])
        if len(names) != 1 or unrelated < CASE_NUMBER_PLATES:
            continue
        username = next(iter(names))
        findings.append(Finding(
            FindingKind.CATCH_ALL_CASE_NUMBER, username,
            f"case number {case} was used by this user alone for {unrelated} unrelated plates "
            f"(threshold {CASE_NUMBER_PLATES})",
            {"case_number": case, "unrelated_plates": unrelated,
             "plates": len(plates[case])}))
    return findings


def unrelated_plates(plates: Iterable[str]) -> int:
    """How many groups the plates fall into when look-alike and one-character variants of each
    other (one fuzzy family, one car misread) count as one."""
    groups: list[str] = []
    for plate in sorted(fold_plate(plate) for plate in plates):
        if not any(edit_distance_at_most(plate, other, 1) for other in groups):
            groups.append(plate)
    return len(groups)


@dataclass(frozen=True)
class ExtendedSearch:
    """A search over more than the extended-search limit, and the authority it rested on."""

    username: str
    at: str
    plate: str
    mode: str
    start: str
    end: str
    case_number: str
    authority: str
    authority_ref: str
    pages: int
    results: int


def extended_searches(records: Iterable[AuditRecord], limit_days: int) -> list[ExtendedSearch]:
    """Every search of the month whose window covered more than `limit_days` days of history."""
    found = []
    for event in search_events(records):
        entry = event.first.entry
        covered = _days_covered(entry.query, entry.at)
        if entry.authority or covered is None or covered > timedelta(days=limit_days) \
                + WINDOW_GRACE:
            found.append(ExtendedSearch(
                entry.username, entry.at, event.plate, entry.query.get("mode", "exact"),
                entry.query.get("from", "") or "(none)", entry.query.get("to", "") or entry.at,
                entry.case_number, entry.authority, entry.authority_ref, event.pages,
                event.results))
    return found


def extended_search_findings(searches: Iterable[ExtendedSearch]) -> list[Finding]:
    """Extended searches recorded without a legal authority (the API refuses them, so each came
    in some other way, or before the rule): there should be none."""
    return [Finding(
        FindingKind.EXTENDED_SEARCH_WITHOUT_AUTHORITY, search.username,
        f"a search at {search.at} covered {search.start} to {search.end} without a warrant, "
        "court order or supervisor's approval",
        {"at": search.at, "plate": search.plate, "from": search.start, "to": search.end,
         "case_number": search.case_number or "(none)"})
        for search in searches if not search.authority]


def stitched_history_findings(records: Iterable[AuditRecord],
                              limit_days: int) -> list[Finding]:
    """One user's searches of one plate, each within the limit and on no authority, whose
    windows together reach more than the limit further back than the searches themselves moved
    on: a long history pulled in short pieces. (Searching one plate again and again over weeks,
    each time for the last 30 days, adds only the time that passed; the repeated-plate flag
    names that.)"""
    windows: dict[tuple[str, str], list[tuple[datetime, datetime, datetime]]] = defaultdict(list)
    for event in search_events(records):
        entry = event.first.entry
        if entry.authority or not event.plate or _is_wildcard(entry.query):
            continue
        window = _window_of(entry.query, entry.at)
        if window is not None:
            windows[(entry.username, event.plate)].append((*window, parse_time(entry.at)))
    findings = []
    limit = timedelta(days=limit_days) + WINDOW_GRACE
    for (username, plate), found in sorted(windows.items()):
        covered = _union_length([(start, end) for start, end, _ in found])
        moved_on = max(at for _, _, at in found) - min(at for _, _, at in found)
        if len(found) < 2 or covered - moved_on <= limit:
            continue
        findings.append(Finding(
            FindingKind.HISTORY_IN_PIECES, username,
            f"{len(found)} searches of one plate, each {limit_days} days or less, together "
            f"covered {covered.days} days of its history within {moved_on.days} day(s), "
            "without a warrant, court order or supervisor's approval",
            {"plate": plate, "searches": len(found), "days_covered": covered.days,
             "earliest": format_time(min(start for start, _, _ in found))}))
    return findings


def _window_of(query: Mapping[str, str], at: str) -> tuple[datetime, datetime] | None:
    try:
        start = parse_time(_utc_text(query["from"]))
        end = min(parse_time(_utc_text(query.get("to") or at)), parse_time(at))
    except (KeyError, ValueError):
        return None
    return (start, end) if end > start else None


def _union_length(windows: list[tuple[datetime, datetime]]) -> timedelta:
    total, reach = timedelta(0), None
    for start, end in sorted(windows):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def lock_findings(records: Iterable[AuditRecord]) -> list[Finding]:
    """Accounts locked after repeated failed sign-ins (password guessing, or a user locked out):
    each lock is named with its start and end for the administrator to follow up."""
    return [Finding(
        FindingKind.ACCOUNT_LOCKED, record.entry.query.get("username", record.entry.username),
        f"locked after {record.entry.query.get('failures', '?')} failed sign-ins within "
        f"{record.entry.query.get('window_minutes', '?')} minutes, from "
        f"{record.entry.query.get('locked_from', record.entry.at)} to "
        f"{record.entry.query.get('locked_until', '?')}",
        {"locked_from": record.entry.query.get("locked_from", record.entry.at),
         "locked_until": record.entry.query.get("locked_until", ""),
         "source_ip": record.entry.source_ip or "(unknown)",
         "account": record.entry.username})
        for record in records if record.entry.action == LOCK_ACTION]


def _days_covered(query: Mapping[str, str], at: str) -> timedelta | None:
    """The history a recorded search covered (None: unbounded, no start)."""
    try:
        start = parse_time(_utc_text(query["from"]))
        end = min(parse_time(_utc_text(query.get("to") or at)), parse_time(at))
    except (KeyError, ValueError):
        return None
    return max(end - start, timedelta(0))


def _utc_text(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return format_time(moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC))
