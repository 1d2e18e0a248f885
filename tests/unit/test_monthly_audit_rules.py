"""The monthly audit's rules (policy 428.6(c)), each with planted cases on both sides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.access import Role, UserAccount
from chalicelib.domain.audit import AuditEntry, AuditRecord, link, verify_chain
from chalicelib.domain.holds import Hold, HoldStatus
from chalicelib.domain.monthly_audit import (
    FindingKind,
    InvalidMonth,
    ListedEntry,
    ReleaseRecord,
    ReportPeriod,
)
from chalicelib.domain.reads import Read, format_time
from chalicelib.policy import monthly_audit as rules

PACIFIC = ZoneInfo("America/Los_Angeles")
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def records(*entries: AuditEntry) -> list[AuditRecord]:
    chain: list[AuditRecord] = []
    for entry in entries:
        chain.append(link(entry, chain[-1] if chain else None))
    return chain


def access(at: str, username: str = "officer.a", action: str = "search_reads", *,
           plate: str = "7ABC123", mode: str = "exact", outcome: str = "allowed",
           purpose: str = "stolen_vehicle", case_number: str = "2026-000123",
           result_count: int = 1, refusal_code: str = "", role: str = "sworn_officer"
           ) -> AuditEntry:
    return AuditEntry(at=at, user_id=f"id-{username}", username=username, agency="PD",
                      role=role, action=action, outcome=outcome,
                      query={"plate": plate, "mode": mode, "from": week_before(at)},
                      purpose=purpose,
                      case_number=case_number, result_count=result_count,
                      refusal_code=refusal_code)


def week_before(at: str) -> str:
    """Searches are recorded with their window; a week is an ordinary one."""
    return (datetime.fromisoformat(at.replace("Z", "+00:00")) - timedelta(days=7)).isoformat()


def kinds_and_subjects(findings: list[rules.Finding]) -> set[tuple[str, str]]:
    return {(finding.kind.value, finding.subject) for finding in findings}


# ---------------------------------------------------------------------- the period
def test_a_month_is_a_utc_calendar_month_and_the_schedule_reports_the_previous_one() -> None:
    december = ReportPeriod.parse("2025-12", AS_OF)
    assert (december.start, december.end) == (datetime(2025, 12, 1, tzinfo=UTC),
                                               datetime(2026, 1, 1, tzinfo=UTC))
    assert ReportPeriod.previous(datetime(2026, 1, 1, 6, tzinfo=UTC)).month == "2025-12"
    assert ReportPeriod.previous(datetime(2026, 6, 1, 6, tzinfo=UTC)).month == "2026-05"
    current = ReportPeriod.parse("2026-06", AS_OF + timedelta(days=3))
    assert current.in_progress(AS_OF + timedelta(days=3))
    assert current.as_of(AS_OF + timedelta(days=3)) == AS_OF + timedelta(days=3)
    assert december.as_of(AS_OF) == december.end


@pytest.mark.parametrize("text", ["2026-13", "2026-5", "26-05", "", None, 202605, "2026-07",
                                  "1999-12"])
def test_bad_or_future_months_are_refused(text: object) -> None:
    with pytest.raises(InvalidMonth):
        ReportPeriod.parse(text, AS_OF)


# ---------------------------------------------------------------------- 428.6(b)
def test_only_allowed_accesses_without_a_valid_purpose_or_case_are_named() -> None:
    found = rules.invalid_purpose_findings(records(
        access("2026-05-02T17:00:00Z"),  # valid
        access("2026-05-03T17:00:00Z", "officer.b", case_number=""),  # planted
        access("2026-05-04T17:00:00Z", "officer.c", purpose="curiosity"),  # planted
        access("2026-05-05T17:00:00Z", "officer.d", "view_read", case_number="x"),  # planted
        access("2026-05-06T17:00:00Z", "officer.e", outcome="refused", case_number="",
               refusal_code="CASE_NUMBER_REQUIRED"),  # refused: a refusal, not a finding
        access("2026-05-07T17:00:00Z", "admin", "list_users", purpose="", case_number=""),
    ))
    assert kinds_and_subjects(found) == {
        ("search_without_valid_purpose", "officer.b"),
        ("search_without_valid_purpose", "officer.c"),
        ("search_without_valid_purpose", "officer.d")}
    reasons = {finding.subject: finding.facts["reason"] for finding in found}
    assert reasons == {"officer.b": "CASE_NUMBER_REQUIRED", "officer.c": "PURPOSE_INVALID",
                       "officer.d": "CASE_NUMBER_INVALID"}
    assert all(finding.clause == "428.6(b)" for finding in found)


# ---------------------------------------------------------------------- anomalies
def test_one_user_searching_one_plate_repeatedly_is_flagged_at_the_threshold() -> None:
    limit = rules.REPEATED_PLATE_SEARCHES
    stalker = [access(f"2026-05-{day:02d}T18:00:00Z", "officer.s", plate="8STK001")
               for day in range(1, limit + 1)]
    below = [access(f"2026-05-{day:02d}T18:00:00Z", "officer.t", plate="8STK002")
             for day in range(1, limit)]
    shared = [access(f"2026-05-{day:02d}T18:00:00Z", f"officer.{day}", plate="8STK003")
              for day in range(1, limit + 3)]  # many users, one search each: not one person
    refused = [access(f"2026-05-{day:02d}T18:00:00Z", "officer.u", plate="8STK004",
                      outcome="refused", refusal_code="TRAINING_MISSING")
               for day in range(1, limit + 3)]
    found = rules.repeated_plate_findings(records(*stalker, *below, *shared, *refused))
    assert kinds_and_subjects(found) == {("repeated_plate_searches", "officer.s")}
    assert found[0].facts["plate"] == "8STK001"
    assert found[0].facts["searches"] == limit and found[0].facts["days"] == limit


def test_wildcard_sweeps_by_count_per_day_or_by_results_are_flagged() -> None:
    limit = rules.BULK_WILDCARD_SEARCHES_PER_DAY
    sweep = [access(f"2026-05-10T{17 + index // 6:02d}:{index * 9 % 60:02d}:00Z", "analyst.w",
                    plate=f"7AB{index % 10}*", mode="partial") for index in range(limit)]
    spread = [access(f"2026-05-{day:02d}T18:00:00Z", "analyst.x", plate="7AB*", mode="partial")
              for day in range(1, limit + 1)]  # many wildcard searches, one a day
    exact_many = [access(f"2026-05-11T18:{minute:02d}:00Z", "officer.y", plate=f"7ABC{minute:03d}")
                  for minute in range(limit + 2)]
    wide = access("2026-05-12T18:00:00Z", "analyst.z", plate="5??*", mode="partial",
                  result_count=rules.BULK_WILDCARD_RESULTS)
    narrow = access("2026-05-12T18:00:00Z", "analyst.v", plate="5AB*", mode="partial",
                    result_count=rules.BULK_WILDCARD_RESULTS - 1)
    found = rules.bulk_wildcard_findings(records(*sweep, *spread, *exact_many, wide, narrow),
                                         PACIFIC)
    assert kinds_and_subjects(found) == {("bulk_wildcard_searches", "analyst.w"),
                                         ("bulk_wildcard_searches", "analyst.z")}


def test_days_are_local_days_for_the_wildcard_rule() -> None:
    limit = rules.BULK_WILDCARD_SEARCHES_PER_DAY
    # Half in the evening of May 10 (Pacific) and half after 00:00 UTC of May 11: still May 10.
    evening = [access(f"2026-05-10T{20 + index % 3}:{index:02d}:00Z", "analyst.w",
                      plate="7AB*", mode="partial") for index in range(limit // 2)]
    late = [access(f"2026-05-11T0{index % 3}:{index:02d}:00Z", "analyst.w", plate="7AB*",
                   mode="partial") for index in range(limit - limit // 2)]
    found = rules.bulk_wildcard_findings(records(*evening, *late), PACIFIC)
    assert [finding.facts["day"] for finding in found] == ["2026-05-10"]


def test_an_off_hours_spike_is_many_accesses_by_one_user_in_one_night() -> None:
    limit = rules.OFF_HOURS_SPIKE_ACCESSES
    # 02:00-02:30 Pacific daylight time on May 15 = 09:00-09:30 UTC: the night of May 14.
    spike = [access(f"2026-05-15T09:{minute * 3:02d}:00Z", "officer.n", plate=f"6NGT{minute:03d}")
             for minute in range(limit)]
    # The same number by day (10:00 Pacific = 17:00 UTC) and one short of it at night.
    daytime = [access(f"2026-05-15T17:{minute * 3:02d}:00Z", "officer.d",
                      plate=f"6DAY{minute:03d}") for minute in range(limit)]
    quiet_night = [access(f"2026-05-16T10:{minute * 3:02d}:00Z", "officer.q",
                          plate=f"6QNT{minute:03d}") for minute in range(limit - 1)]
    found = rules.off_hours_findings(records(*spike, *daytime, *quiet_night), PACIFIC)
    assert kinds_and_subjects(found) == {("off_hours_spike", "officer.n")}
    assert found[0].facts["night_of"] == "2026-05-14"


@pytest.mark.parametrize(("utc", "night"), [
    ("2026-05-15T04:59:00Z", None),          # 21:59 Pacific
    ("2026-05-15T05:00:00Z", "2026-05-14"),  # 22:00
    ("2026-05-15T12:59:00Z", "2026-05-14"),  # 05:59
    ("2026-05-15T13:00:00Z", None),          # 06:00
    ("2026-01-15T06:30:00Z", "2026-01-14"),  # 22:30 Pacific standard time
])
def test_off_hours_follow_the_agency_clock(utc: str, night: str | None) -> None:
    moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    found = rules.off_hours_night(moment, PACIFIC)
    assert (found.isoformat() if found else None) == night


# ---------------------------------------------------------------------- accounts
def account(username: str, *, training: date | None = date(2026, 1, 10),
            clets: date | None = date(2025, 6, 1), approved: date | None = date(2026, 5, 1),
            last_access: datetime | None = None, enabled: bool = True) -> UserAccount:
    return UserAccount(f"id-{username}", username, "PD", frozenset({Role.SWORN_OFFICER}),
                       enabled, "admin" if approved else None, approved, training, clets,
                       False, last_access, vendor_training_date=training)


def test_lapsed_training_or_certification_and_idle_accounts_are_named() -> None:
    found = rules.account_findings([
        account("good", last_access=AS_OF - timedelta(days=3)),
        account("no.training", training=None),
        account("old.cert", clets=AS_OF.date() - timedelta(days=731)),
        account("no.cert", clets=None),
        account("cert.exactly.two.years", clets=AS_OF.date() - timedelta(days=730)),
        account("idle", approved=date(2025, 12, 1), last_access=datetime(2026, 1, 2, tzinfo=UTC)),
        account("approved.long.ago.used.lately", approved=date(2025, 1, 1),
                last_access=AS_OF - timedelta(days=89)),
        account("disabled.and.lapsed", training=None, enabled=False,
                approved=date(2025, 1, 1)),
    ], AS_OF)
    assert kinds_and_subjects(found) == {
        ("training_or_certification_lapsed", "no.training"),
        ("training_or_certification_lapsed", "old.cert"),
        ("training_or_certification_lapsed", "no.cert"),
        ("idle_account", "idle"),
    }


# ---------------------------------------------------------------------- holds and retention
def hold(hold_id: str, review: date, status: HoldStatus = HoldStatus.ACTIVE,
         released_at: str = "", created_at: str = "2026-01-05T10:00:00Z") -> Hold:
    return Hold(hold_id, "2026-000777", "evidence", "officer.a", "admin", created_at, review,
                status, "admin" if released_at else "", released_at, ("r1", "r2"))


def test_holds_active_at_the_months_end_and_past_review_are_named() -> None:
    found = rules.hold_findings([
        hold("overdue", date(2026, 5, 20)),
        hold("due.after", date(2026, 6, 1)),
        hold("released.in.time", date(2026, 5, 20), HoldStatus.RELEASED, "2026-05-25T00:00:00Z"),
        hold("released.later", date(2026, 5, 20), HoldStatus.RELEASED, "2026-06-10T00:00:00Z"),
        hold("placed.later", date(2026, 5, 20), created_at="2026-06-02T00:00:00Z"),
    ], AS_OF)
    assert kinds_and_subjects(found) == {("hold_past_review", "overdue"),
                                         ("hold_past_review", "released.later")}


def read(read_id: str, captured: datetime, expires: int | None,
         holds: tuple[str, ...] = ()) -> Read:
    return Read(read_id, "7ABC123", format_time(captured), "cam-1", 0.9, f"cameras/{read_id}",
                expires, holds=holds)


def test_reads_past_retention_without_a_hold_are_named_by_id_never_by_plate() -> None:
    old = AS_OF - timedelta(days=400)
    lag = rules.TTL_LAG_ALLOWANCE
    found = rules.retention_findings([
        read("lingering", old, int((AS_OF - lag - timedelta(hours=1)).timestamp())),
        read("ttl.lagging", old, int((AS_OF - lag + timedelta(hours=1)).timestamp())),
        read("held", old, None, holds=("hold-1",)),
        read("ttl.lost", old, None),
        read("ttl.lost.recent", AS_OF - timedelta(days=300), None),
        read("in.release.grace", old, int((AS_OF + timedelta(days=3)).timestamp())),
    ], AS_OF, retention_days=365)
    assert kinds_and_subjects(found) == {("read_past_retention", "lingering"),
                                         ("read_past_retention", "ttl.lost")}
    assert all("7ABC123" not in f"{finding.detail}{finding.facts}" for finding in found)


# ---------------------------------------------------------------------- releases and hotlist
def release(request_id: str, status: str, filed: str, decided: str = "") -> ReleaseRecord:
    return ReleaseRecord(request_id, status, filed, decided, "Some Agency", "CA")


def test_release_requests_are_counted_by_decision_month_and_prohibited_ones_named() -> None:
    start, end = "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z"
    releases = [
        release("approved.may", "approved", "2026-04-28T10:00:00Z", "2026-05-02T10:00:00Z"),
        release("denied.may", "denied", "2026-05-03T10:00:00Z", "2026-05-04T10:00:00Z"),
        release("prohibited.may", "prohibited", "2026-05-05T10:00:00Z", "2026-05-05T10:00:01Z"),
        release("prohibited.april", "prohibited", "2026-04-05T10:00:00Z",
                "2026-04-05T10:00:01Z"),
        release("approved.june", "approved", "2026-05-30T10:00:00Z", "2026-06-02T10:00:00Z"),
        release("pending", "pending", "2026-05-20T10:00:00Z"),
    ]
    decided = rules.decided_in(releases, start, end)
    assert rules.release_counts(decided) == {"approved": 1, "denied": 1, "prohibited": 1,
                                             "routed": 0}
    assert rules.pending_at(releases, end) == 2  # still pending, and decided only in June
    assert kinds_and_subjects(rules.release_findings(decided)) == {
        ("release_request_prohibited", "prohibited.may")}


def entry(entry_id: str, source: str = "custom", case_number: str = "2026-000123",
          expires_at: int | None = int(AS_OF.timestamp()) + 86400) -> ListedEntry:
    return ListedEntry(entry_id, "custom", source, case_number, "officer.a", "admin",
                       "2026-05-01T00:00:00+00:00", expires_at)


def test_hotlist_entries_without_case_or_expiry_or_lingering_past_expiry_are_named() -> None:
    allowance = rules.HOTLIST_EXPIRY_ALLOWANCE
    found = rules.hotlist_findings([
        entry("good"),
        entry("no.case", case_number=" "),
        entry("csv.no.case", source="csv", case_number=""),
        entry("ncic.no.case", source="ncic", case_number=""),  # DOJ extract: its own numbering
        entry("no.expiry", expires_at=None),
        entry("ncic.no.expiry", source="ncic", expires_at=None),
        entry("expired.long.ago", expires_at=int((AS_OF - allowance).timestamp()) - 1),
        entry("expired.just.now", expires_at=int((AS_OF - allowance).timestamp()) + 60),
    ], AS_OF)
    assert kinds_and_subjects(found) == {
        ("hotlist_entry_without_case_number", "no.case"),
        ("hotlist_entry_without_case_number", "csv.no.case"),
        ("hotlist_entry_without_expiry", "no.expiry"),
        ("hotlist_entry_expired_not_removed", "expired.long.ago"),
    }


# ---------------------------------------------------------------------- the chain
def test_a_broken_chain_is_a_finding_and_an_intact_one_is_not() -> None:
    chain = records(*(access(f"2026-05-0{day}T17:00:00Z") for day in range(1, 5)))
    assert rules.chain_findings(verify_chain(chain)) == []
    tampered = [*chain[:2], chain[3]]  # record 3 deleted
    [finding] = rules.chain_findings(verify_chain(tampered))
    assert (finding.kind, finding.subject) == (FindingKind.AUDIT_CHAIN_BROKEN, "record 3")


# ---------------------------------------------------------------------- statistics
def test_accesses_are_counted_per_user_role_and_purpose_and_refusals_by_reason() -> None:
    chain = records(
        access("2026-05-02T17:00:00Z", "officer.a"),
        access("2026-05-02T17:01:00Z", "officer.a", "view_read", purpose="warrant"),
        access("2026-05-02T17:02:00Z", "analyst.b", role="crime_analyst"),
        access("2026-05-02T17:03:00Z", "officer.c", outcome="refused",
               refusal_code="CERTIFICATION_EXPIRED"),
        access("2026-05-02T17:04:00Z", "anonymous", outcome="refused",
               refusal_code="UNAUTHENTICATED", role=""),
        access("2026-05-02T17:05:00Z", "auditor", "read_audit", role="auditor",
               purpose="", case_number=""),
    )
    summary = rules.access_summary(chain)
    assert summary.data_accesses == 3 and summary.searches == 2
    assert dict(summary.by_role) == {"sworn_officer": 2, "crime_analyst": 1}
    assert dict(summary.by_purpose) == {"stolen_vehicle": 2, "warrant": 1}
    assert [(row.username, row.data_accesses, row.refused_attempts)
            for row in summary.by_user] == [("officer.a", 2, 0), ("analyst.b", 1, 0),
                                            ("anonymous", 0, 1), ("officer.c", 0, 1)]
    assert summary.by_action["read_audit"] == {"allowed": 1}
    refusals = rules.refusal_summary(chain)
    assert refusals.total == 2
    assert dict(refusals.by_code) == {"CERTIFICATION_EXPIRED": 1, "UNAUTHENTICATED": 1}


def test_purge_totals_add_up_what_the_purge_runs_recorded() -> None:
    def run(action: str, **counts: int) -> AuditEntry:
        return AuditEntry("2026-05-03T00:00:00Z", "system", "system", "", "system", action,
                          "allowed", {name: str(value) for name, value in counts.items()})

    totals = rules.purge_totals(records(
        run("purge_reads", reads_purged=5, images_deleted=3, kept_under_legal_hold=1),
        run("purge_images", images_purged=2),
        run("retention_check", deleted=4, images_deleted=1),
        run("retention_check", deleted=0),
    ))
    assert dict(totals.runs) == {"purge_reads": 1, "purge_images": 1, "retention_check": 2}
    assert (totals.reads_purged, totals.images_deleted, totals.kept_under_legal_hold) == (9, 6, 1)


# ---------------------------------------------------------------------- evidence integrity
def test_exports_and_releases_that_found_images_not_as_captured_are_named() -> None:
    def evidence(action: str, query: dict[str, str], outcome: str = "allowed",
                 refusal_code: str = "") -> AuditEntry:
        return AuditEntry(at="2026-05-03T17:00:00Z", user_id="id-admin", username="admin.a",
                          agency="PD", role="administrator", action=action, outcome=outcome,
                          query=query, purpose="criminal_investigation",
                          case_number="2026-000123", refusal_code=refusal_code)

    chain = records(
        evidence("export_reads", {"export_id": "e-clean", "sha256": "ab"}),
        evidence("export_reads", {"export_id": "e-swap",
                                  "replaced_after_ingest": "images/crops/c1/x-0.jpg"}),
        evidence("export_reads", {"export_id": "e-later",
                                  "superseded_in_storage": "images/crops/c1/y-0.jpg"}),
        evidence("approve_release", {"request_id": "r-1",
                                     "replaced_after_ingest": "images/cameras/c1/z.jpg"},
                 outcome="refused", refusal_code="EVIDENCE_INTEGRITY_FAILED"),
        access("2026-05-03T18:00:00Z"))
    findings = rules.evidence_integrity_findings(chain)
    assert kinds_and_subjects(findings) == {
        ("evidence_not_as_captured", "e-swap"), ("evidence_not_as_captured", "e-later"),
        ("evidence_not_as_captured", "r-1")}
    refused = next(finding for finding in findings if finding.subject == "r-1")
    assert "EVIDENCE_INTEGRITY_FAILED" in refused.detail
    assert refused.facts["replaced_after_ingest"] == "images/cameras/c1/z.jpg"
    assert all("7ABC123" not in repr(finding) for finding in findings)


def test_cameras_with_refused_uploads_or_bulk_duplicates_are_named() -> None:
    from chalicelib.domain.uploads import DailyCount

    counts = [DailyCount("2026-05-02", "pole-1", rejected=1),
              DailyCount("2026-05-03", "pole-1", duplicate=3),
              DailyCount("2026-05-02", "pole-2", duplicate=rules.DUPLICATE_UPLOADS_PER_CAMERA),
              DailyCount("2026-05-04", "pole-3", duplicate=2)]
    findings = rules.camera_upload_findings(counts)
    assert kinds_and_subjects(findings) == {("camera_uploads_refused", "pole-1"),
                                            ("camera_uploads_refused", "pole-2")}
    first = findings[0]
    assert first.facts == {"rejected": 1, "duplicate": 3, "days": "2026-05-02,2026-05-03"}
