"""Assembling, publishing and reading the monthly audit report, with in-memory adapters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.audit_log import AuditUnavailable
from chalicelib.adapters.policy_document import PolicyDocument, PolicyDocumentUnavailable
from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.domain.access import Caller, Role, UserAccount
from chalicelib.domain.account_register import AccountAction, RegisterEntry
from chalicelib.domain.agencies import AgencyEntry
from chalicelib.domain.audit import AuditEntry, link
from chalicelib.domain.checkpoints import parse_document
from chalicelib.domain.holds import Hold, HoldStatus
from chalicelib.domain.monthly_audit import InvalidMonth, ListedEntry, ReleaseRecord
from chalicelib.domain.reads import Read, format_time
from chalicelib.services import monthly_audit
from chalicelib.services.agencies import AgencyDependencies, confirm, propose
from chalicelib.services.checkpoints import CheckpointDependencies, take_checkpoint
from chalicelib.services.monthly_audit import MonthlyAuditDependencies, ReportNotFound
from tests.unit.fakes import (
    FakeAgencyRecords,
    FakeAuditLog,
    FakeCheckpointStore,
    FakeExceptions,
    FakeNotices,
    FakeReportStore,
    LocalSigner,
)

NOW = datetime(2026, 6, 1, 6, tzinfo=UTC)
MAY_END = datetime(2026, 6, 1, tzinfo=UTC)
RETENTION = 365
STALKED_PLATE = "8STK001"


def entry(at: str, username: str, action: str = "search_reads", *, plate: str = "7ABC123",
          mode: str = "exact", case_number: str = "2026-000123", outcome: str = "allowed",
          refusal_code: str = "") -> AuditEntry:
    return AuditEntry(at, f"id-{username}", username, "PD", "sworn_officer", action, outcome,
                      {"plate": plate, "mode": mode, "from": week_before(at)}, "stolen_vehicle",
                      case_number, 1, refusal_code)


def week_before(at: str) -> str:
    """Searches are recorded with their window; a week is an ordinary one."""
    return (datetime.fromisoformat(at.replace("Z", "+00:00")) - timedelta(days=7)).isoformat()


def person(username: str, **changes: object) -> UserAccount:
    account = UserAccount(f"id-{username}", username, "PD", frozenset({Role.SWORN_OFFICER}),
                          True, "admin", date(2026, 5, 1), date(2026, 1, 10), date(2025, 6, 1),
                          False, datetime(2026, 5, 30, tzinfo=UTC),
                          vendor_training_date=date(2026, 1, 12))
    return replace(account, **changes)  # type: ignore[arg-type]


@dataclass
class FakeHolds:
    holds: list[Hold]

    def list_by_status(self, status: HoldStatus, review_before: date | None = None) -> list[Hold]:
        return [hold for hold in self.holds if hold.status == status
                and (review_before is None or hold.review_date < review_before)]


@dataclass
class FakeDayReads:
    reads: list[Read]
    days_queried: list[str] = field(default_factory=list)

    def newest_first(self, partition: Partition, low: str, high: str,
                     stats: QueryStats) -> Iterator[Read]:
        assert partition.index == "by_day"
        self.days_queried.append(partition.key_value)
        return iter([read for read in self.reads if read.day_bucket == partition.key_value])


@dataclass
class FakeReleases:
    releases: list[ReleaseRecord]

    def filed_before(self, end: str) -> list[ReleaseRecord]:
        return [release for release in self.releases if release.filed_at < end]


@dataclass
class FakeHotlist:
    entries: list[ListedEntry]

    def listed_entries(self) -> Iterator[ListedEntry]:
        return iter(self.entries)


POLICY = PolicyDocument("alpr-policy.md", "# Policy\n", "ab" * 32)


@dataclass
class World:
    audit: FakeAuditLog = field(default_factory=FakeAuditLog)
    accounts: list[UserAccount] = field(default_factory=list)
    holds: FakeHolds = field(default_factory=lambda: FakeHolds([]))
    reads: FakeDayReads = field(default_factory=lambda: FakeDayReads([]))
    releases: FakeReleases = field(default_factory=lambda: FakeReleases([]))
    directory: FakeAgencyRecords = field(default_factory=FakeAgencyRecords)
    hotlist: FakeHotlist = field(default_factory=lambda: FakeHotlist([]))
    store: FakeReportStore = field(default_factory=FakeReportStore)
    notices: FakeNotices = field(default_factory=FakeNotices)
    policy_available: bool = True
    uploads: FakeExceptions = field(default_factory=FakeExceptions)
    checkpoints: FakeCheckpointStore = field(default_factory=FakeCheckpointStore)
    checkpoint_key: LocalSigner = field(default_factory=LocalSigner)
    # The checkpoint function runs every five minutes: by the time a report is built, it has
    # signed the head. A test that tampers afterwards switches it off first.
    checkpointing: bool = True

    def checkpoint(self) -> None:
        take_checkpoint(CheckpointDependencies(self.audit, self.checkpoints, self.checkpoint_key,
                                               FakeNotices(), lambda: NOW))

    def deps(self) -> MonthlyAuditDependencies:
        def policy() -> PolicyDocument:
            if not self.policy_available:
                raise PolicyDocumentUnavailable("missing")
            return POLICY

        self.invite_accounts()
        if self.checkpointing:
            self.checkpoint()
        return MonthlyAuditDependencies(
            audit=self.audit, accounts=lambda: list(self.accounts), holds=self.holds,
            reads=self.reads, releases=self.releases, directory=self.directory,
            hotlist=self.hotlist, store=self.store,
            notices=self.notices, policy_document=policy, clock=lambda: NOW,
            retention_days=RETENTION, zone=ZoneInfo("America/Los_Angeles"), agency="Test PD",
            checkpoints=self.checkpoints, checkpoint_key=self.checkpoint_key,
            uploads=self.uploads, register=self.register)

    def invite_accounts(self) -> None:
        """Every account was invited through Platekeeper (in January), so Cognito, the register
        and the access record agree about it."""
        invited = {record.entry.query.get("target") for record in self.audit.records()
                   if record.entry.action == AccountAction.INVITE}
        for account in self.accounts:
            if account.username in invited:
                continue
            self.audit.append(AuditEntry("2026-01-02T00:00:00Z", "id-commander", "commander",
                                         "PD", "administrator", AccountAction.INVITE, "allowed",
                                         {"target": account.username,
                                          "role": _job_role(account).value}))
            if not account.enabled:
                self.audit.append(AuditEntry(
                    "2026-01-03T00:00:00Z", "id-commander", "commander", "PD", "administrator",
                    AccountAction.DISABLE, "allowed", {"target": account.username}))

    def register(self) -> list[RegisterEntry]:
        return [RegisterEntry(account.username, _job_role(account), enabled=account.enabled)
                for account in self.accounts]


def _job_role(account: UserAccount) -> Role:
    return next(role for role in account.roles if role is not Role.SUPERVISOR)


def normal_month(world: World) -> None:
    """Ordinary use in May: daytime searches with valid purposes, a refusal, purge runs."""
    for day in range(1, 29):
        world.audit.append(entry(f"2026-05-{day:02d}T18:00:00Z", "officer.good",
                                 plate=f"5NRM{day:03d}"))
    world.audit.append(entry("2026-05-09T18:00:00Z", "officer.lapsed", outcome="refused",
                             refusal_code="CERTIFICATION_EXPIRED"))
    world.audit.append(AuditEntry("2026-05-10T00:00:00Z", "system", "system", "", "system",
                                  "retention_check", "allowed", {"deleted": "3"}, result_count=3))
    world.audit.append(entry("2026-04-30T18:00:00Z", "officer.good", case_number=""))  # April
    world.accounts += [person("officer.good"), person("auditor.good")]
    world.hotlist.entries.append(ListedEntry("he-good", "custom", "custom", "2026-000123",
                                             "officer.good", "admin",
                                             "2026-05-01T00:00:00+00:00",
                                             int((NOW + timedelta(days=20)).timestamp())))
    world.holds.holds.append(Hold("hold-fine", "2026-000900", "evidence", "officer.good",
                                  "admin", "2026-05-02T00:00:00Z", date(2026, 9, 1)))
    sjpd = add_agency(world, "San Jose Police Department", "CA9TEST01",
                      datetime(2026, 3, 2, 17, tzinfo=UTC))
    world.releases.releases.append(ReleaseRecord(
        "rel-ok", "approved", "2026-05-02T00:00:00Z", "2026-05-03T00:00:00Z",
        "San Jose Police Department", "california_state_or_local", agency_id=sjpd.agency_id,
        filed_by="records.kim", decided_by="commander.lee", reads_released=4))


def add_agency(world: World, name: str, ori: str, at: datetime,
               proposer: str = "admin.one", confirmer: str = "admin.two") -> AgencyEntry:
    """A directory entry proposed and confirmed through the service (records in the chain)."""
    deps = AgencyDependencies(agencies=world.directory, audit=world.audit, clock=lambda: at,
                              candidates=list)
    entry = propose({"name": name, "ori": ori, "agency_type": "law_enforcement",
                     "level": "local", "county": "Santa Clara", "domains": ["example.gov"]},
                    Caller(person(proposer), "", ""), deps)
    return confirm(entry.agency_id, Caller(person(confirmer), "", ""), deps)


def plant_violations(world: World) -> set[tuple[str, str]]:
    audit = world.audit
    audit.append(entry("2026-05-05T18:00:00Z", "officer.nocase", case_number=""))
    for day in range(3, 9):
        audit.append(entry(f"2026-05-{day:02d}T19:00:00Z", "officer.stalker",
                           plate=STALKED_PLATE))
    for minute in range(12):
        audit.append(entry(f"2026-05-12T18:{minute:02d}:00Z", "analyst.sweep",
                           plate=f"7AB{minute % 10}*", mode="partial"))
    for minute in range(11):
        audit.append(entry(f"2026-05-15T09:{minute:02d}:00Z", "officer.night",
                           plate=f"6NGT{minute:03d}"))
    world.accounts += [person("officer.lapsed", clets_cert_date=date(2024, 1, 1)),
                       person("officer.idle", approved_at=date(2025, 12, 1),
                              last_access=datetime(2026, 1, 5, tzinfo=UTC))]
    world.holds.holds.append(Hold("hold-overdue", "2026-000901", "evidence", "officer.good",
                                  "admin", "2026-01-02T00:00:00Z", date(2026, 5, 15)))
    old = MAY_END - timedelta(days=RETENTION + 20)
    world.reads.reads.append(Read("read-lingering", "4OLD444", format_time(old), "cam-1", 0.9,
                                  "cameras/x.jpg", None))
    world.releases.releases.append(ReleaseRecord(
        "rel-federal", "prohibited", "2026-05-06T00:00:00Z", "2026-05-06T00:00:05Z",
        "Federal Agency", "federal"))
    plant_sharing_violations(world)
    world.hotlist.entries += [
        ListedEntry("he-nocase", "custom", "custom", "", "officer.good", "admin",
                    "2026-05-01T00:00:00+00:00", int((NOW + timedelta(days=20)).timestamp())),
        ListedEntry("he-expired", "custom", "custom", "2026-000124", "officer.good", "admin",
                    "2026-03-01T00:00:00+00:00", int((NOW - timedelta(days=20)).timestamp())),
    ]
    return {
        ("search_without_valid_purpose", "officer.nocase"),
        ("repeated_plate_searches", "officer.stalker"),
        ("bulk_wildcard_searches", "analyst.sweep"),
        ("off_hours_spike", "officer.night"),
        ("training_or_certification_lapsed", "officer.lapsed"),
        ("idle_account", "officer.idle"),
        ("hold_past_review", "hold-overdue"),
        ("read_past_retention", "read-lingering"),
        ("release_request_prohibited", "rel-federal"),
        ("hotlist_entry_without_case_number", "he-nocase"),
        ("hotlist_entry_expired_not_removed", "he-expired"),
        ("release_to_new_agency", "rel-new"),
        ("release_self_approved", "rel-self"),
        ("release_by_directory_pair", "rel-pair"),
        ("release_sender_unverified", "rel-gmail"),
        ("directory_entry_unverified", "00000000-0000-4000-9000-000000000099"),
        ("agency_refused_by_screen", "admin.one"),
        ("separation_of_duties_attempt", "commander.lee"),
    }


def plant_sharing_violations(world: World) -> None:
    """A release to an agency confirmed a week before; one approved by its filer; one by the
    two people who added the agency; one with an unverified sender; an entry written straight
    into the table; a refused ICE proposal; a refused self-approval."""
    new = add_agency(world, "Gilroy Police Department", "CA9TEST02",
                     datetime(2026, 5, 1, 17, tzinfo=UTC))
    old = next(iter(world.directory.entries.values()))
    releases = world.releases.releases
    releases += [
        ReleaseRecord("rel-new", "approved", "2026-05-07T00:00:00Z", "2026-05-08T00:00:00Z",
                      new.name, "california_state_or_local", agency_id=new.agency_id,
                      filed_by="records.kim", decided_by="commander.lee"),
        ReleaseRecord("rel-self", "approved", "2026-05-09T00:00:00Z", "2026-05-10T00:00:00Z",
                      old.name, "california_state_or_local", agency_id=old.agency_id,
                      filed_by="commander.lee", decided_by="Commander.Lee"),
        ReleaseRecord("rel-pair", "approved", "2026-05-11T00:00:00Z", "2026-05-12T00:00:00Z",
                      old.name, "california_state_or_local", agency_id=old.agency_id,
                      filed_by="admin.two", decided_by="admin.one"),
        ReleaseRecord("rel-gmail", "approved", "2026-05-13T00:00:00Z", "2026-05-14T00:00:00Z",
                      old.name, "california_state_or_local", agency_id=old.agency_id,
                      filed_by="records.kim", decided_by="commander.lee",
                      warnings=("SENDER_NOT_AGENCY",), acknowledged=("SENDER_NOT_AGENCY",)),
    ]
    forged = replace(old, agency_id="00000000-0000-4000-9000-000000000099",
                     facts=replace(old.facts, name="Bay Area Enforcement Office",
                                   ori="CA9TEST09"))
    world.directory.entries[forged.agency_id] = forged
    world.audit.append(AuditEntry("2026-05-16T18:00:00Z", "sub-admin.one", "admin.one", "PD",
                                  "administrator", "propose_agency", "refused",
                                  {"name": "U.S. Immigration and Customs Enforcement",
                                   "marks": "federal"}, refusal_code="AGENCY_PROHIBITED"))
    world.audit.append(AuditEntry("2026-05-17T18:00:00Z", "sub-commander.lee", "commander.lee",
                                  "PD", "administrator", "approve_release", "refused",
                                  {"request_id": "rel-x"}, refusal_code="SELF_APPROVAL"))


def named(document: dict[str, object]) -> set[tuple[str, str]]:
    findings = document["findings"]
    assert isinstance(findings, list)
    return {(finding["kind"], finding["subject"]) for finding in findings}


def caller(username: str = "auditor.good") -> Caller:
    return Caller(person(username, roles=frozenset({Role.AUDITOR})), "10.0.0.9", "req-1")


def test_a_quiet_month_has_no_findings_and_every_question_is_clear() -> None:
    world = World()
    normal_month(world)
    document = monthly_audit.report_document(
        monthly_audit.build_report(monthly_audit.ReportPeriod("2026-05"), world.deps()))
    assert document["findings"] == []
    assert {question["status"] for question in document["questions"]} == {"clear"}
    assert document["summary"]["data_accesses"] == 28
    assert document["summary"]["refused_attempts"] == 1
    assert document["retention"]["reads_purged"] == 3
    assert document["releases"]["decided"]["approved"] == 1
    approved = document["releases"]["approved"][0]
    assert approved["directory"]["proposed_by"] == "admin.one"
    assert approved["directory"]["confirmed_by"] == "admin.two"
    assert approved["directory"]["days_confirmed_before_release"] == 61
    assert document["releases"]["filer_approver_pairs"] == [
        {"filed_by": "records.kim", "approved_by": "commander.lee", "releases": 1}]
    assert document["directory"]["entries_by_status"]["active"] == 1
    assert document["audit_chain"]["intact"] is True
    assert document["hotlist"]["entries_checked"] == 1
    assert document["holds"]["holds_in_force"] == 1


def test_the_report_names_each_planted_violation_and_nothing_else() -> None:
    world = World()
    normal_month(world)
    planted = plant_violations(world)
    document = monthly_audit.report_document(
        monthly_audit.build_report(monthly_audit.ReportPeriod("2026-05"), world.deps()))
    assert named(document) == planted
    statuses = {question["question"][:40]: question["status"]
                for question in document["questions"]}
    assert list(statuses.values()).count("review") == 7  # all but the chain and the policy
    assert document["releases"]["decided"]["prohibited"] == 1


def test_the_retention_check_reads_only_day_partitions_older_than_retention() -> None:
    world = World()
    monthly_audit.build_report(monthly_audit.ReportPeriod("2026-05"), world.deps())
    newest_allowed = (MAY_END - timedelta(days=RETENTION - 1)).date().isoformat()
    assert max(world.reads.days_queried) <= newest_allowed
    assert len(world.reads.days_queried) <= monthly_audit.RETENTION_LOOKBACK_DAYS + 3


def test_a_broken_chain_and_a_missing_policy_are_findings() -> None:
    world = World()
    normal_month(world)
    world.invite_accounts()
    world.checkpoint()
    world.checkpointing = False
    world.audit.chain[3] = replace(world.audit.chain[3], entry=replace(
        world.audit.chain[3].entry, username="someone.else"))
    world.policy_available = False
    document = monthly_audit.report_document(
        monthly_audit.build_report(monthly_audit.ReportPeriod("2026-05"), world.deps()))
    assert named(document) == {("audit_chain_broken", "record 4"),
                               ("posted_policy_unavailable", "posted policy")}


def test_publishing_stores_json_and_html_records_the_build_and_notifies() -> None:
    world = World()
    normal_month(world)
    planted = plant_violations(world)
    published = monthly_audit.run_scheduled(world.deps())  # on June 1st: May
    assert (published.month, published.findings) == ("2026-05", len(planted))
    body, content_type = world.store.objects["monthly/2026-05/report.json"]
    assert content_type == "application/json"
    assert named(json.loads(body)) == planted
    html, html_type = world.store.objects["monthly/2026-05/report.html"]
    assert html_type.startswith("text/html") and b"<svg" in html
    record = world.audit.chain[-1].entry
    assert (record.action, record.username, record.query["month"]) == (
        "build_monthly_report", "system", "2026-05")
    assert record.query["sha256"] == hashlib.sha256(body).hexdigest() == published.sha256
    [(subject, message, kind)] = world.notices.sent
    assert kind == "monthly_audit" and "2026-05" in subject
    assert "monthly/2026-05/report.html" in message and "monthly/2026-05/report.json" in message
    for private in (STALKED_PLATE, "4OLD444", "officer.stalker", "officer.nocase"):
        assert private not in subject + message


def test_an_auditor_builds_any_past_month_on_demand_and_the_build_is_recorded() -> None:
    world = World()
    normal_month(world)
    published = monthly_audit.build_on_demand({"month": "2026-04"}, caller(), world.deps())
    assert published.month == "2026-04"
    assert named(json.loads(world.store.objects[published.json_key][0])) == {
        ("search_without_valid_purpose", "officer.good")}  # the April record
    assert world.audit.chain[-1].entry.username == "auditor.good"
    for bad in ({"month": "2026-07"}, {"month": "May"}, {}):
        with pytest.raises(InvalidMonth):
            monthly_audit.build_on_demand(bad, caller(), world.deps())


def test_listing_and_reading_reports_are_recorded_before_anything_is_returned() -> None:
    world = World()
    normal_month(world)
    monthly_audit.run_scheduled(world.deps())
    listings = monthly_audit.list_reports(caller(), world.deps())
    assert [(item.month, item.html_key) for item in listings] == [
        ("2026-05", "monthly/2026-05/report.html")]
    document, link = monthly_audit.fetch_report("2026-05", caller(), world.deps())
    assert document["month"] == "2026-05" and "expires=300" in link
    assert world.audit.actions()[-2:] == ["list_monthly_reports", "read_monthly_report"]
    world.audit.unavailable = True
    with pytest.raises(AuditUnavailable):
        monthly_audit.fetch_report("2026-05", caller(), world.deps())
    with pytest.raises(AuditUnavailable):
        monthly_audit.list_reports(caller(), world.deps())


def test_a_month_without_a_report_is_not_found_and_the_attempt_is_recorded() -> None:
    world = World()
    with pytest.raises(ReportNotFound):
        monthly_audit.fetch_report("2026-03", caller(), world.deps())
    last = world.audit.chain[-1].entry
    assert (last.action, last.result_count, last.query["month"]) == ("read_monthly_report", 0,
                                                                      "2026-03")


# ---------------------------------------------------------------------- signed checkpoints
def kinds_of(document: dict[str, Any]) -> set[str]:
    return {finding["kind"] for finding in document["findings"]}


def test_the_report_embeds_the_signed_checkpoint_it_was_built_against() -> None:
    world = World()
    normal_month(world)
    monthly_audit.run_scheduled(world.deps())
    document = json.loads(world.store.objects["monthly/2026-05/report.json"][0])
    anchoring = document["anchoring"]
    assert anchoring["checkpoint"]["seq"] == document["audit_chain"]["head_seq"]
    assert anchoring["month_anchored"] is True and anchoring["unanchored"] is None
    signed = anchoring["checkpoint_document"]
    assert parse_document(json.dumps(signed).encode()).valid_for(world.checkpoint_key.public_key())
    [(_, message, _)] = world.notices.sent
    assert f"checkpoint #1: record {anchoring['checkpoint']['seq']}" in message


def test_a_report_rebuilt_after_the_tail_was_cut_reports_the_head_that_went_backwards() -> None:
    world = World()
    normal_month(world)
    plant_violations(world)
    first = monthly_audit.build_on_demand({"month": "2026-05"}, caller(), world.deps())
    recorded = json.loads(world.store.objects[first.json_key][0])["audit_chain"]["head_seq"]
    world.checkpointing = False  # the insider acts between two checkpoint runs
    del world.audit.chain[-8:]  # the last searches and the report's own build record
    monthly_audit.build_on_demand({"month": "2026-05"}, caller(), world.deps())
    rebuilt = json.loads(world.store.objects[first.json_key][0])
    assert rebuilt["audit_chain"]["intact"] is True  # the chain alone looks fine
    assert {"audit_head_went_backwards", "audit_checkpoint_failed"} <= kinds_of(rebuilt)
    backwards = [finding for finding in rebuilt["findings"]
                 if finding["kind"] == "audit_head_went_backwards"]
    assert f"recorded the chain's head at record {recorded}" in backwards[0]["detail"]
    assert rebuilt["anchoring"]["earlier_versions_compared"] == 1
    question = next(question for question in rebuilt["questions"]
                    if question["question"].startswith("Is the record of access"))
    assert question["status"] == "review"


def test_a_report_rebuilt_after_a_recomputed_edit_names_the_rewritten_head() -> None:
    world = World()
    normal_month(world)
    monthly_audit.build_on_demand({"month": "2026-05"}, caller(), world.deps())
    world.checkpointing = False
    chain = world.audit.chain
    previous = None
    for index, record in enumerate(chain):  # rewrite record 3 and recompute every hash
        changed = replace(record.entry, purpose="x") if index == 2 else record.entry
        chain[index] = link(changed, previous)
        previous = chain[index]
    monthly_audit.build_on_demand({"month": "2026-05"}, caller(), world.deps())
    rebuilt = json.loads(world.store.objects["monthly/2026-05/report.json"][0])
    details = " ".join(finding["detail"] for finding in rebuilt["findings"])
    assert "records up to it were rewritten since" in details
    assert "the chain does not reproduce checkpoint #1" in details


def test_records_no_checkpoint_covers_for_an_hour_mean_the_signer_stopped() -> None:
    world = World(checkpointing=False)
    normal_month(world)
    document = monthly_audit.report_document(
        monthly_audit.build_report(monthly_audit.ReportPeriod("2026-05"), world.deps()))
    assert named(document) == {("audit_checkpoint_failed", "checkpoints_stopped")}
    assert document["anchoring"]["checkpoint"] is None


def test_refused_camera_uploads_and_swapped_evidence_are_findings() -> None:
    from chalicelib.domain.uploads import UploadException, UploadOutcome

    world = World()
    normal_month(world)
    world.uploads.record(UploadException(
        "ev-1", "pole-9", "cameras/pole-2/2026-05-07/x.jpg", "v1", UploadOutcome.REJECTED,
        "no upload ticket was issued for this object key", "2026-05-07T10:00:00Z"), 0)
    world.uploads.record(UploadException(
        "ev-2", "pole-9", "cameras/pole-9/2026-06-01/y.jpg", "v1", UploadOutcome.REJECTED,
        "no upload ticket was issued for this object key", "2026-06-01T01:00:00Z"), 0)  # June
    world.audit.append(AuditEntry(
        "2026-05-08T18:00:00Z", "id-admin", "admin.demo", "PD", "administrator", "export_reads",
        "allowed", {"export_id": "e-9", "replaced_after_ingest": "images/crops/pole-9/x-0.jpg"},
        purpose="criminal_investigation", case_number="2026-000777", result_count=1))
    document = monthly_audit.report_document(
        monthly_audit.build_report(monthly_audit.ReportPeriod("2026-05"), world.deps()))
    assert named(document) == {("camera_uploads_refused", "pole-9"),
                               ("evidence_not_as_captured", "e-9")}
    [camera] = [item for item in document["findings"] if item["subject"] == "pole-9"]
    assert camera["facts"]["rejected"] == 1  # the June upload belongs to June's report
    [question] = [item for item in document["questions"] if "tickets" in item["question"]]
    assert (question["status"], question["findings"]) == ("review", 2)
