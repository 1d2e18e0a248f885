"""Release requests (policy 428.7, Civil Code 1798.90.55(b)): the sharing rule, validation, the
decision rules, the use cases with fakes, and the table adapter on moto's in-process mock."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.adapters.releases_table import ReleasesTable
from chalicelib.domain.agencies import AgencyEntry
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.reads import Read, format_time
from chalicelib.domain.releases import (
    AgencyType,
    Jurisdiction,
    ReleaseRefused,
    ReleaseRequest,
    ReleaseStatus,
)
from chalicelib.evidence.package import verify_package
from chalicelib.policy.sharing import triage
from chalicelib.services.agencies import AgencyDependencies, confirm, propose
from chalicelib.services.exports import ExportDependencies
from chalicelib.services.releases import (
    ReleaseDependencies,
    ReleaseNotFound,
    approve,
    deny,
    file_request,
    issue_delivery,
    link_agency,
    list_requests,
    view_request,
)
from tests.unit.fakes import FakeAgencyRecords, FakeAuditLog, FakeImageRecords, LocalSigner
from tests.unit.test_evidence import FakeEvidence, FakeObjects
from tests.unit.test_holds import (
    FakeLegalHolds,
    FakeReadStore,
    caller,
    hold_deps,
    make_read,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LETTER = b"%PDF-1.4 request for ALPR data, case SO-26-1188"
# Confirmed in the directory 60 days before NOW, so no "new agency" warning by default.
CONFIRMED = NOW - timedelta(days=60)
SHERIFF_ID = "00000000-0000-4000-9000-000000000001"


class FakeAudit(FakeAuditLog):
    """The hash-chained record in memory, with the entries in order for assertions."""

    @property
    def entries(self) -> list[AuditEntry]:
        return [record.entry for record in self.chain]


def body(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "agency_id": SHERIFF_ID, "sent_from": "arivera@sheriff.example.gov",
        "requester_name": "Det. A. Rivera",
        "requester_contact": "arivera@sheriff.example.gov", "purpose": "stolen_vehicle",
        "purpose_detail": "Vehicle stolen in an armed carjacking on Nov 20",
        "case_number": "SO-26-1188", "plate": "7ABC123",
        "from": "2026-11-20T00:00:00Z", "to": "2026-11-27T00:00:00Z",
        "document": {"filename": "request.pdf", "content_type": "application/pdf",
                     "content_base64": base64.b64encode(LETTER).decode()},
    }
    request.update(changes)
    return request


# ------------------------------------------------------------------ the sharing rule


@pytest.mark.parametrize(("agency_type", "jurisdiction", "status"), [
    (AgencyType.LAW_ENFORCEMENT, Jurisdiction.CALIFORNIA, ReleaseStatus.PENDING),
    (AgencyType.PROSECUTORIAL, Jurisdiction.CALIFORNIA, ReleaseStatus.PENDING),
    (AgencyType.OTHER, Jurisdiction.CALIFORNIA, ReleaseStatus.ROUTED),
    (AgencyType.LAW_ENFORCEMENT, Jurisdiction.FEDERAL, ReleaseStatus.PROHIBITED),
    (AgencyType.LAW_ENFORCEMENT, Jurisdiction.OTHER_STATE, ReleaseStatus.PROHIBITED),
    (AgencyType.PROSECUTORIAL, Jurisdiction.OTHER_STATE, ReleaseStatus.PROHIBITED),
    (AgencyType.OTHER, Jurisdiction.PRIVATE, ReleaseStatus.PROHIBITED),
    (AgencyType.OTHER, Jurisdiction.FEDERAL, ReleaseStatus.PROHIBITED),
])
def test_triage_follows_1798_90_55_b_and_policy_428_7(
        agency_type: AgencyType, jurisdiction: Jurisdiction, status: ReleaseStatus) -> None:
    assert triage(agency_type, jurisdiction).status is status


# ------------------------------------------------------------------ fakes


class FakeReleaseRecords:
    def __init__(self) -> None:
        self.items: dict[str, ReleaseRequest] = {}

    def put(self, request: ReleaseRequest) -> None:
        self.items[request.request_id] = request

    def get(self, request_id: str) -> ReleaseRequest | None:
        return self.items.get(request_id)

    def record_decision(self, request: ReleaseRequest) -> bool:
        stored = self.items[request.request_id]
        if stored.decided_at or stored.status not in (ReleaseStatus.PENDING,
                                                      ReleaseStatus.PROHIBITED,
                                                      ReleaseStatus.UNLISTED):
            return False
        if stored.status is ReleaseStatus.PROHIBITED is not request.status:
            return False
        if stored.status is ReleaseStatus.UNLISTED and request.status is not ReleaseStatus.DENIED:
            return False
        self.items[request.request_id] = request
        return True

    def relink(self, request: ReleaseRequest) -> bool:
        stored = self.items[request.request_id]
        if stored.decided_at or stored.status is not ReleaseStatus.UNLISTED:
            return False
        self.items[request.request_id] = request
        return True

    def list_by_status(self, status: ReleaseStatus, limit: int = 200
                       ) -> list[ReleaseRequest]:
        return sorted((item for item in self.items.values() if item.status is status),
                      key=lambda item: item.filed_at)[:limit]


class FakeReadPartitions:
    """Reads by plate, as the reads table's key query returns them (newest first)."""

    def __init__(self, reads: list[Read]) -> None:
        self.reads = reads
        self.partitions: list[Partition] = []

    def newest_first(self, partition: Partition, low: str, high: str,
                     stats: QueryStats) -> Iterator[Read]:
        self.partitions.append(partition)
        key = {"plate": lambda read: read.plate,
               "camera_day": lambda read: f"{read.camera_id}#{read.captured_at[:10]}"}
        found = [read for read in self.reads if key[partition.key_name](read)
                 == partition.key_value and low <= read.read_key <= high]
        return iter(sorted(found, key=lambda read: read.read_key, reverse=True))


def directory_of(audit: FakeAudit) -> tuple[FakeAgencyRecords, AgencyDependencies]:
    """The directory with the sheriff's office proposed and confirmed by two administrators."""
    ids = iter(f"00000000-0000-4000-9000-{n:012d}" for n in range(1, 100))
    agencies = FakeAgencyRecords()
    deps = AgencyDependencies(agencies=agencies, audit=audit, clock=lambda: CONFIRMED,
                              candidates=list, new_id=lambda: next(ids))
    entry = propose({"name": "Santa Clara County Sheriff's Office", "ori": "CA9TEST01",
                     "agency_type": "law_enforcement", "level": "local",
                     "county": "Santa Clara", "domains": ["sheriff.example.gov"]},
                    caller("admin.one"), deps)
    confirm(entry.agency_id, caller("admin.two"), deps)
    return agencies, deps


def deps_with(reads: list[Read]) -> ReleaseDependencies:
    audit = FakeAudit()
    agencies, _ = directory_of(audit)
    ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 100))
    exports = ExportDependencies(
        images=FakeObjects({"cameras/c1/f1.jpg": b"\xff\xd8image"}), crops=FakeObjects({}),
        image_records=FakeImageRecords(),
        evidence=FakeEvidence(max_url_seconds=3600),
        holds=hold_deps(FakeReadStore(reads), audit=audit, images=FakeLegalHolds()),
        audit=audit, clock=lambda: NOW, signer=LocalSigner())
    return ReleaseDependencies(releases=FakeReleaseRecords(), reads=FakeReadPartitions(reads),
                               exports=exports, audit=audit, clock=lambda: NOW,
                               agencies=agencies, new_id=lambda: next(ids))


def audit_of(deps: ReleaseDependencies) -> list[tuple[str, str, str]]:
    assert isinstance(deps.audit, FakeAudit)
    return [(entry.action, entry.outcome, entry.refusal_code) for entry in deps.audit.entries
            if entry.action not in {"propose_agency", "confirm_agency"}]  # the directory's


def evidence_of(deps: ReleaseDependencies) -> dict[str, bytes]:
    assert isinstance(deps.exports.evidence, FakeEvidence)
    return deps.exports.evidence.objects


def reads_for_release() -> list[Read]:
    inside = NOW - timedelta(days=5)
    return [make_read("r-in-1", captured=inside),
            make_read("r-in-2", captured=inside + timedelta(hours=3)),
            make_read("r-before", captured=datetime(2026, 11, 19, 23, tzinfo=UTC)),
            make_read("r-after", captured=datetime(2026, 11, 27, 0, tzinfo=UTC)),
            replace(make_read("r-other", captured=inside), plate="8XYZ999")]


# ------------------------------------------------------------------ use cases


def test_approval_releases_exactly_the_requested_reads_with_a_one_hour_link() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(), caller("records.kim"), deps)
    assert filed.status is ReleaseStatus.PENDING
    assert evidence_of(deps)[filed.document.key] == LETTER
    assert list_requests("", caller(), deps) == [filed]

    decided, delivery = approve(filed.request_id, "Signed request on file; stolen vehicle case",
                                caller("commander.lee"), deps)
    assert decided.status is ReleaseStatus.APPROVED and decided.decided_by == "commander.lee"
    assert decided.reads_released == 2
    assert delivery is not None and "expires=3600" in delivery.url
    package = evidence_of(deps)[decided.export_key]
    assert isinstance(deps.exports.signer, LocalSigner)
    report = verify_package(package, deps.exports.signer.public_key())
    assert report.genuine and report.case_number == "SO-26-1188"  # signed like an export
    assert sorted(name for name in _members(package) if name.startswith("reads/")) == [
        "reads/r-in-1.json", "reads/r-in-2.json"]
    assert audit_of(deps) == [("file_release_request", "allowed", ""),
                              ("list_release_requests", "allowed", ""),
                              ("approve_release", "allowed", "")]
    assert deps.audit.entries[-1].result_count == 2  # type: ignore[attr-defined]
    again = issue_delivery(filed.request_id, caller(), deps)
    assert again.url.startswith("https://evidence.example/releases/")


def test_prohibited_request_is_on_file_but_no_one_can_approve_it() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(agency_id="", agency_name="U.S. Immigration and Customs "
                              "Enforcement (DHS)", sent_from="rdoe@ice.dhs.gov"),
                         caller("records.kim"), deps)
    assert filed.status is ReleaseStatus.PROHIBITED and "1798.90.55(b)" in filed.rule
    assert filed.jurisdiction is Jurisdiction.FEDERAL
    with pytest.raises(ReleaseRefused) as refused:
        approve(filed.request_id, "urgent", caller("commander.lee"), deps)
    assert refused.value.code == "RELEASE_PROHIBITED" and refused.value.status == 403
    assert not [key for key in evidence_of(deps) if "package" in key]
    assert audit_of(deps)[-1] == ("approve_release", "refused", "RELEASE_PROHIBITED")
    assert deps.releases.get(filed.request_id) == filed
    answered = deny(filed.request_id, "Prohibited by Civil Code 1798.90.55(b)", caller(), deps)
    assert answered.status is ReleaseStatus.PROHIBITED and answered.decided_by == "commander.lee"
    with pytest.raises(ReleaseRefused):
        approve(filed.request_id, "now?", caller(), deps)


@pytest.mark.parametrize(("changes", "status", "marked"), [
    # ICE's letter filed under a confirmed Californian entry: its sender domain prohibits it.
    ({"sent_from": "rdoe@ice.dhs.gov"}, ReleaseStatus.PROHIBITED, "ice.dhs.gov"),
    ({"sent_from": "trooper@nhp.nv.gov"}, ReleaseStatus.PROHIBITED, "NV state domain"),
    # Unlisted names: marked ones are prohibited at once, the rest wait for the directory.
    ({"agency_id": "", "agency_name": "Vigilant Repo Recovery LLC"}, ReleaseStatus.PROHIBITED,
     "private"),
    ({"agency_id": "", "agency_name": "Nevada Highway Patrol"}, ReleaseStatus.PROHIBITED,
     "other state"),
    ({"agency_id": "", "agency_name": "Enforcement Operations Office"},
     ReleaseStatus.UNLISTED, "not a confirmed entry"),
])
def test_however_it_is_filed_a_marked_body_cannot_reach_approval(
        changes: dict[str, Any], status: ReleaseStatus, marked: str) -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(**changes), caller("records.kim"), deps)
    assert filed.status is status and marked in filed.rule
    with pytest.raises(ReleaseRefused) as refused:
        approve(filed.request_id, "approve anyway", caller("commander.lee"), deps,
                acknowledged=("SENDER_DOMAIN_MISMATCH",))
    assert refused.value.code in {"RELEASE_PROHIBITED", "AGENCY_NOT_IN_DIRECTORY"}
    assert not [key for key in evidence_of(deps) if "package" in key]


def test_the_form_can_no_longer_say_who_the_agency_is() -> None:
    deps = deps_with([])
    for legacy in ({"agency": "ICE"}, {"jurisdiction": "california_state_or_local"},
                   {"agency_type": "law_enforcement"}):
        with pytest.raises(ReleaseRefused) as refused:
            file_request(body(**legacy), caller(), deps)
        assert refused.value.code == "AGENCY_FROM_DIRECTORY"
    assert audit_of(deps) == [("file_release_request", "refused", "AGENCY_FROM_DIRECTORY")] * 3


def test_the_filer_cannot_approve_their_own_request() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(), caller("commander.lee"), deps)
    with pytest.raises(ReleaseRefused) as refused:
        approve(filed.request_id, "I checked it myself", caller("commander.lee"), deps)
    assert (refused.value.code, refused.value.status) == ("SELF_APPROVAL", 403)
    assert audit_of(deps)[-1] == ("approve_release", "refused", "SELF_APPROVAL")
    assert deps.releases.get(filed.request_id) == filed  # still pending, nothing exported
    decided, _ = approve(filed.request_id, "second person", caller("deputy.chief"), deps)
    assert decided.status is ReleaseStatus.APPROVED and decided.filed_by == "commander.lee"


def test_an_unlisted_agency_waits_for_its_directory_entry_then_is_linked() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(agency_id="", agency_name="Gilroy Police Department",
                              sent_from="sgt@gilroy.example.gov"), caller("records.kim"), deps)
    assert filed.status is ReleaseStatus.UNLISTED
    with pytest.raises(ReleaseRefused) as refused:
        approve(filed.request_id, "ok", caller("commander.lee"), deps)
    assert refused.value.code == "AGENCY_NOT_IN_DIRECTORY"
    with pytest.raises(ReleaseRefused) as wrong:
        link_agency(filed.request_id, "00000000-0000-4000-9000-000000000077", caller(), deps)
    assert wrong.value.code == "AGENCY_NOT_FOUND"
    linked = link_agency(filed.request_id, SHERIFF_ID, caller("records.kim"), deps)
    assert linked.status is ReleaseStatus.PENDING and linked.agency_id == SHERIFF_ID
    assert linked.agency == "Santa Clara County Sheriff's Office"
    assert [warning.code for warning in linked.warnings] == ["SENDER_DOMAIN_MISMATCH"]
    with pytest.raises(ReleaseRefused) as again:
        link_agency(filed.request_id, SHERIFF_ID, caller(), deps)
    assert again.value.code == "NOT_UNLISTED"
    denied_elsewhere = file_request(body(agency_id="", agency_name="Gilroy Police Department"),
                                    caller(), deps)
    assert deny(denied_elsewhere.request_id, "not a real request", caller("commander.lee"),
                deps).status is ReleaseStatus.DENIED


def test_warnings_are_acknowledged_and_kept_with_the_decision() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(sent_from="rivera.det@gmail.com"), caller("records.kim"), deps)
    assert [warning.code for warning in filed.warnings] == ["SENDER_NOT_AGENCY",
                                                            "SENDER_DOMAIN_MISMATCH"]
    with pytest.raises(ReleaseRefused) as refused:
        approve(filed.request_id, "ok", caller("commander.lee"), deps,
                acknowledged=("SENDER_NOT_AGENCY",))
    assert refused.value.code == "WARNINGS_NOT_ACKNOWLEDGED" and refused.value.status == 409
    assert "gmail.com" in refused.value.message
    decided, _ = approve(filed.request_id, "called the sheriff's desk to confirm",
                         caller("commander.lee"), deps,
                         acknowledged=("SENDER_DOMAIN_MISMATCH", "SENDER_NOT_AGENCY"))
    assert decided.acknowledged_warnings == ("SENDER_DOMAIN_MISMATCH", "SENDER_NOT_AGENCY")
    assert deps.releases.get(filed.request_id) == decided
    assert deps.audit.entries[-1].query["acknowledged"] == (  # type: ignore[attr-defined]
        "SENDER_DOMAIN_MISMATCH,SENDER_NOT_AGENCY")
    no_sender = file_request(body(sent_from=""), caller("records.kim"), deps)
    assert [warning.code for warning in no_sender.warnings] == ["SENDER_MISSING"]


def test_an_agency_new_to_the_directory_is_a_warning() -> None:
    deps = deps_with(reads_for_release())
    later = replace(deps, clock=lambda: CONFIRMED + timedelta(days=3))
    filed = file_request(body(), caller("records.kim"), later)
    assert [warning.code for warning in filed.warnings] == ["AGENCY_NEW"]
    assert "3 days ago" in filed.warnings[0].message
    with pytest.raises(ReleaseRefused, match="only 3 days ago"):
        approve(filed.request_id, "ok", caller("commander.lee"), later)


def test_a_directory_entry_edited_around_the_api_stops_the_release() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(), caller("records.kim"), deps)
    agencies = deps.agencies
    assert isinstance(agencies, FakeAgencyRecords)
    entry: AgencyEntry = agencies.entries[SHERIFF_ID]
    agencies.entries[SHERIFF_ID] = replace(entry, facts=replace(entry.facts,
                                                                 name="Santa Clara Sheriff"))
    with pytest.raises(ReleaseRefused) as edited:
        approve(filed.request_id, "ok", caller("commander.lee"), deps)
    assert edited.value.code == "DIRECTORY_ENTRY_UNVERIFIED"
    assert "facts changed" in edited.value.message
    agencies.entries[SHERIFF_ID] = replace(entry, facts=replace(entry.facts,
                                                                 domains=("ice.dhs.gov",)))
    with pytest.raises(ReleaseRefused) as federal:
        approve(filed.request_id, "ok", caller("commander.lee"), deps,
                acknowledged=("SENDER_DOMAIN_MISMATCH",))
    assert federal.value.code == "RELEASE_PROHIBITED"
    assert not [key for key in evidence_of(deps) if "package" in key]


def test_non_law_enforcement_request_is_routed_to_records_release() -> None:
    deps = deps_with([])
    assert isinstance(deps.audit, FakeAudit) and isinstance(deps.agencies, FakeAgencyRecords)
    directory = AgencyDependencies(agencies=deps.agencies, audit=deps.audit,
                                   clock=lambda: CONFIRMED, candidates=list)
    entry = propose({"name": "San Jose Department of Transportation", "ori": "CA9TEST02",
                     "agency_type": "other", "level": "local", "county": "Santa Clara",
                     "domains": ["sanjoseca.gov"]}, caller("admin.one"), directory)
    confirm(entry.agency_id, caller("admin.two"), directory)
    filed = file_request(body(agency_id=entry.agency_id, sent_from="dot@sanjoseca.gov"),
                         caller(), deps)
    assert filed.status is ReleaseStatus.ROUTED
    with pytest.raises(ReleaseRefused, match="Records Maintenance"):
        approve(filed.request_id, "ok", caller("deputy.chief"), deps)


@pytest.mark.parametrize(("changes", "code"), [
    ({"agency_id": ""}, "AGENCY_REQUIRED"),
    ({"agency_name": "Gilroy Police Department"}, "AGENCY_INVALID"),
    ({"agency_id": "00000000-0000-4000-9000-000000000099"}, "AGENCY_NOT_FOUND"),
    ({"agency_id": "not-a-uuid"}, "AGENCY_NOT_FOUND"),
    ({"sent_from": "the sheriff"}, "SENT_FROM_INVALID"),
    ({"requester_name": ""}, "REQUESTER_NAME_REQUIRED"),
    ({"purpose_detail": ""}, "PURPOSE_DETAIL_REQUIRED"),
    ({"purpose": "curiosity"}, "PURPOSE_INVALID"),
    ({"requester_contact": "call me"}, "REQUESTER_CONTACT_INVALID"),
    ({"case_number": "?"}, "CASE_NUMBER_INVALID"),
    ({"plate": "", "cameras": []}, "DATA_REQUIRED"),
    ({"to": "2026-12-30T00:00:00Z"}, "WINDOW_TOO_LONG"),
    ({"from": None}, "WINDOW_REQUIRED"),
    ({"from": "2026-11-20T00:00:00"}, "TIME_INVALID"),
    ({"document": None}, "DOCUMENT_REQUIRED"),
    ({"document": {"content_type": "application/pdf",
                   "content_base64": base64.b64encode(b"MZ\x90\x00").decode()}},
     "DOCUMENT_INVALID"),
    ({"document": {"content_type": "application/x-msdownload",
                   "content_base64": "TVo="}}, "DOCUMENT_TYPE_INVALID"),
])
def test_incomplete_or_invalid_request_is_refused_audited_and_stores_nothing(
        changes: dict[str, Any], code: str) -> None:
    deps = deps_with([])
    with pytest.raises(ReleaseRefused) as refused:
        file_request(body(**changes), caller("records.kim"), deps)
    assert refused.value.code == code
    assert not evidence_of(deps) and not deps.releases.list_by_status(ReleaseStatus.PENDING)
    assert audit_of(deps) == [("file_release_request", "refused", code)]


def test_denial_needs_a_reason_and_a_decision_is_final() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(), caller(), deps)
    with pytest.raises(ReleaseRefused, match="reason"):
        deny(filed.request_id, "  ", caller(), deps)
    denied = deny(filed.request_id, "No case number match in CLETS", caller(), deps)
    assert denied.status is ReleaseStatus.DENIED
    with pytest.raises(ReleaseRefused) as refused:
        approve(filed.request_id, "changed my mind", caller(), deps)
    assert refused.value.code == "ALREADY_DECIDED"
    with pytest.raises(ReleaseRefused):
        issue_delivery(filed.request_id, caller(), deps)


def test_place_only_request_reads_the_camera_day_partitions() -> None:
    deps = deps_with(reads_for_release())
    filed = file_request(body(plate="", cameras=["c1"], **{"from": "2026-11-24T00:00:00Z",
                                                          "to": "2026-11-25T00:00:00Z"}),
                         caller("records.kim"), deps)
    decided, _ = approve(filed.request_id, "canvass for a homicide", caller(), deps)
    assert decided.reads_released == 3  # two of 7ABC123 and one of 8XYZ999 at camera c1
    assert isinstance(deps.reads, FakeReadPartitions)
    assert [p.key_value for p in deps.reads.partitions] == ["c1#2026-11-24"]


def test_unknown_request_is_not_found_and_audited() -> None:
    deps = deps_with([])
    with pytest.raises(ReleaseNotFound):
        view_request("not-a-uuid", caller(), deps)
    assert audit_of(deps) == [("view_release_request", "refused", "NOT_FOUND")]


def _members(package: bytes) -> list[str]:
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return archive.namelist()


# ------------------------------------------------------------------ adapter on moto


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-west-2")
        client.create_table(
            TableName="releases", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                                  for name in ("request_id", "status", "filed_at")],
            KeySchema=[{"AttributeName": "request_id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by_status", "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                              {"AttributeName": "filed_at", "KeyType": "RANGE"}]}])
        yield client


def test_releases_table_round_trip_queue_order_and_single_decision(dynamodb: Any) -> None:
    table = ReleasesTable(dynamodb, "releases")
    deps = replace(deps_with([]), releases=table)
    first = file_request(body(), caller(), deps)
    later = replace(deps, clock=lambda: NOW + timedelta(hours=1))
    second = file_request(body(plate="", cameras=["c1", "c2"]), caller(), later)
    assert table.get(first.request_id) == first
    assert [item.request_id for item in table.list_by_status(ReleaseStatus.PENDING)] == [
        first.request_id, second.request_id]
    denied = deny(first.request_id, "not specific", caller(), deps)
    assert table.get(first.request_id) == denied
    assert table.record_decision(replace(first, status=ReleaseStatus.APPROVED)) is False
    banned = file_request(body(agency_id="", agency_name="Federal Bureau of Investigation"),
                          caller(), deps)
    assert table.record_decision(replace(banned, status=ReleaseStatus.APPROVED,
                                         decided_at="2026-11-29T12:00:00Z")) is False
    assert deny(banned.request_id, "prohibited", caller(), deps).status is ReleaseStatus.PROHIBITED
    assert format_time(table.get(second.request_id).data.start) == "2026-11-20T00:00:00Z"  # type: ignore[union-attr]


def test_a_release_whose_frame_was_replaced_after_ingest_is_refused_and_stays_pending() -> None:
    """The images table holds the frame's hash from capture; the stored bytes no longer match:
    nothing is packaged for the other agency, the refusal names the file."""
    from chalicelib.domain.images import ImageRecord, ImageStatus

    reads = reads_for_release()
    deps = deps_with(reads)
    records = deps.exports.image_records
    assert isinstance(records, FakeImageRecords)
    records.finish(ImageRecord(
        image_key="cameras/c1/f1.jpg", camera_id="c1", version_id=None,
        status=ImageStatus.PROCESSED, captured_at=NOW.isoformat(),
        received_at=NOW.isoformat(), expires_at=None, size=10, content_type="image/jpeg",
        sha256="0" * 64))
    filed = file_request(body(), caller("records.kim"), deps)
    with pytest.raises(ReleaseRefused) as refused:
        approve(filed.request_id, "Signed request on file", caller("commander.lee"), deps)
    assert (refused.value.code, refused.value.status) == ("EVIDENCE_INTEGRITY_FAILED", 409)
    assert deps.releases.get(filed.request_id).status is ReleaseStatus.PENDING  # type: ignore[union-attr]
    assert not [key for key in evidence_of(deps) if "package" in key]
    last = deps.audit.entries[-1]  # type: ignore[attr-defined]
    assert (last.action, last.refusal_code) == ("approve_release", "EVIDENCE_INTEGRITY_FAILED")
    assert last.query["replaced_after_ingest"] == "images/cameras/c1/f1.jpg"
