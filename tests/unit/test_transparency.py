"""The public transparency page: live figures, the posted policy, no plates and no names."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import api
from chalicelib.adapters.policy_document import (
    AGENCY_NAME_PLACEHOLDER,
    PolicyDocument,
    PolicyDocumentUnavailable,
    load_policy_document,
)
from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, Role
from chalicelib.domain.agencies import AgencyEntry, EntryStatus
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.cameras import Camera
from chalicelib.policy.transparency import ABILITIES, authorized_roles, sharing_rules
from chalicelib.rendering.transparency import render_transparency
from chalicelib.services.transparency import (
    CACHE_SECONDS,
    WINDOW_DAYS,
    TransparencyCache,
    TransparencyDependencies,
    compute_figures,
    figures_document,
)
from chalicelib.settings import DEFAULT_POLICY_DOCUMENT, SettingsError, load_settings
from tests.unit.fakes import FakeAuditLog, FakeReportStore
from tests.unit.test_settings import full_environment

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)


def camera(camera_id: str, active: bool) -> Camera:
    return Camera(camera_id, "Main St", "PD", "fixed", 37.0, -121.0, 90.0, active, "hash",
                  "cred-1", "2026-01-01T00:00:00Z")


@dataclass
class FakeCameraList:
    cameras: list[Camera]
    calls: int = 0

    def list_all(self) -> list[Camera]:
        self.calls += 1
        return self.cameras


@dataclass
class FakeReadCounter:
    per_day: dict[str, int]
    queried: list[tuple[str, str, str]] = field(default_factory=list)

    def count_captured(self, day: str, low: str, high: str) -> int:
        self.queried.append((day, low, high))
        return self.per_day.get(day, 0)


@dataclass
class FakeAlertCounter:
    hits: int

    def count_created_between(self, start: str, end: str) -> int:
        assert start < end
        return self.hits


@dataclass
class FakeReleaseCounter:
    approved: list[tuple[str, int]] = field(default_factory=list)

    def approved_between(self, start: str, end: str) -> list[tuple[str, int]]:
        assert start < end
        return self.approved


@dataclass
class FakeDirectory:
    active: int = 0

    def list_by_status(self, status: EntryStatus) -> list[AgencyEntry]:
        return [object()] * self.active if status is EntryStatus.ACTIVE else []  # type: ignore


@dataclass
class Page:
    now: datetime = NOW
    cameras: FakeCameraList = field(default_factory=lambda: FakeCameraList(
        [camera("pole-1", True), camera("pole-2", True), camera("old-3", False)]))
    reads: FakeReadCounter = field(default_factory=lambda: FakeReadCounter(
        {"2026-06-10": 40, "2026-05-15": 7, "2026-04-01": 1000}))
    audit: FakeAuditLog = field(default_factory=FakeAuditLog)
    store: FakeReportStore = field(default_factory=FakeReportStore)
    policy: PolicyDocument | None = field(default_factory=lambda: load_policy_document(
        DEFAULT_POLICY_DOCUMENT))
    releases: FakeReleaseCounter = field(default_factory=FakeReleaseCounter)
    directory: FakeDirectory = field(default_factory=lambda: FakeDirectory(3))

    def deps(self) -> TransparencyDependencies:
        def policy() -> PolicyDocument:
            if self.policy is None:
                raise PolicyDocumentUnavailable("the posted policy file x.md cannot be read")
            return self.policy

        return TransparencyDependencies(
            cameras=self.cameras, reads=self.reads, alerts=FakeAlertCounter(3), audit=self.audit,
            reports=self.store, policy_document=policy, clock=lambda: self.now,
            agency="Test Police Department", retention_days=365, releases=self.releases,
            directory=self.directory)


def search(at: datetime, username: str, outcome: str = "allowed") -> AuditEntry:
    return AuditEntry(at.strftime("%Y-%m-%dT%H:%M:%SZ"), f"id-{username}", username, "PD",
                      "sworn_officer", "search_reads", outcome, {"plate": "7SEEN77"},
                      "stolen_vehicle", "2026-000123", 1)


def test_figures_come_from_live_data_over_the_last_thirty_days() -> None:
    page = Page()
    page.audit.append(search(NOW - timedelta(days=1), "officer.alpha"))
    page.audit.append(search(NOW - timedelta(days=29), "officer.alpha"))
    page.audit.append(search(NOW - timedelta(days=31), "officer.alpha"))  # outside the window
    page.audit.append(search(NOW - timedelta(days=2), "officer.beta", outcome="refused"))
    page.store.put("monthly/2026-04/report.json", b"{}", "application/json")
    page.store.put("monthly/2026-05/report.json", b"{}", "application/json")
    figures = compute_figures(page.deps())
    assert (figures.cameras, figures.reads, figures.hotlist_hits, figures.searches) == (
        2, 47, 3, 2)
    assert figures.last_monthly_audit == "2026-05"
    assert figures.retention_days == 365
    days = [day for day, _, _ in page.reads.queried]
    assert len(days) == WINDOW_DAYS + 1 and min(days) == "2026-05-11"  # bounded, no scan
    roles = {role.role: role.may for role in figures.authorized_roles}
    assert "search plate reads" in roles["sworn_officer"]
    assert not {"search plate reads", "view a read and its image"} & set(roles["auditor"])
    assert roles["vendor_representative"] == ("see the system's status",)


def test_the_page_shows_no_plates_and_no_names_and_loads_nothing_from_elsewhere() -> None:
    page = Page()
    page.audit.append(search(NOW - timedelta(days=1), "officer.alpha"))
    figures = compute_figures(page.deps())
    html = render_transparency(figures)
    text = json.dumps(figures_document(figures))
    for private in ("officer.alpha", "7SEEN77", "pole-1"):
        assert private not in html and private not in text
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "Who may use the system" in html and "Sharing" in html
    assert "Test Police Department" in html
    assert figures.policy.text.splitlines()[0].lstrip("# ") in html  # the posted document
    document = json.loads(text)
    assert document["searches_last_30_days"] == 1
    assert document["policy_document"]["sha256"] == figures.policy.sha256


def test_figures_are_cached_for_a_few_minutes_per_instance() -> None:
    page = Page()
    cache = TransparencyCache()
    first = cache.figures(page.deps())
    page.now = NOW + timedelta(seconds=CACHE_SECONDS - 1)
    assert cache.figures(page.deps()) is first and page.cameras.calls == 1
    page.now = NOW + timedelta(seconds=CACHE_SECONDS)
    assert cache.figures(page.deps()) is not first and page.cameras.calls == 2


def test_every_claim_about_who_may_do_what_comes_from_the_live_permission_table() -> None:
    """The roles table and the sharing rules claim an ability only for a permission some route
    of the API requires, and only for the roles holding it."""
    in_use = api.permissions_in_use()
    assert {Permission.REQUEST_HOLD, Permission.SYSTEM_STATUS} <= in_use  # both promises built
    claimed = {role.role: set(role.may) for role in authorized_roles(in_use)}
    for role in Role:
        expected = {ABILITIES[permission] for permission in ROLE_PERMISSIONS[role] & in_use}
        assert claimed[role.value] == expected
    assert "ask for data to be held as evidence" in claimed["sworn_officer"]
    assert claimed["vendor_representative"] == {"see the system's status"}
    # A permission no route requires is not promised to anyone.
    without = authorized_roles(in_use - {Permission.REQUEST_HOLD})
    assert not any("ask for data to be held as evidence" in role.may for role in without)
    rules = " ".join(sharing_rules(in_use, 7))
    assert "directory (7 agencies at present)" in rules
    assert "recorded by a records specialist or an ALPR administrator" in rules
    assert "never the person who recorded it" in rules
    assert "proposed by an ALPR administrator" in rules and "second, different one" in rules
    assert "directory" not in " ".join(sharing_rules(in_use - {Permission.MANAGE_AGENCIES}))


def test_agencies_that_received_data_are_listed_with_counts() -> None:
    page = Page(releases=FakeReleaseCounter([("San Jose Police Department", 4),
                                             ("Fresno County Sheriff's Office", 2),
                                             ("San Jose Police Department", 1)]))
    figures = compute_figures(page.deps())
    assert [(row.agency, row.releases, row.reads) for row in figures.released_to] == [
        ("San Jose Police Department", 2, 5), ("Fresno County Sheriff's Office", 1, 2)]
    document = figures_document(figures)
    assert document["data_released_last_30_days"][0] == {
        "agency": "San Jose Police Department", "releases": 2, "reads": 5}
    assert document["agencies_in_directory"] == 3
    html = render_transparency(figures)
    assert "Agencies that received data in the last 30 days" in html
    assert "Fresno County Sheriff&#x27;s Office" in html
    empty = render_transparency(compute_figures(Page().deps()))
    assert "No data was released to another agency in the last 30 days." in empty


def test_a_missing_policy_document_is_a_clear_error_not_an_empty_page() -> None:
    page = Page(policy=None)
    with pytest.raises(PolicyDocumentUnavailable, match="cannot be read"):
        compute_figures(page.deps())


def test_the_policy_document_loader_names_the_file_it_cannot_use(tmp_path: Path) -> None:
    with pytest.raises(PolicyDocumentUnavailable, match=r"nowhere\.md"):
        load_policy_document(str(tmp_path / "nowhere.md"))
    binary = tmp_path / "policy.md"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PolicyDocumentUnavailable, match="not UTF-8"):
        load_policy_document(str(binary))
    shipped = load_policy_document(DEFAULT_POLICY_DOCUMENT)
    assert len(shipped.sha256) == 64


def test_the_shipped_policy_reads_as_the_agency_own_with_its_name_filled_in() -> None:
    raw = Path(DEFAULT_POLICY_DOCUMENT).read_text(encoding="utf-8")
    assert raw.count(AGENCY_NAME_PLACEHOLDER) >= 2
    posted = load_policy_document(DEFAULT_POLICY_DOCUMENT, "Mountain View Police Department")
    assert posted.text.startswith("# Mountain View Police Department: automated license plate")
    assert "{{" not in posted.text and "We share plate data only with California" in posted.text
    # It speaks as the agency, not about a software sample.
    for phrase in ("starting point", "shipped with the software", "replaces it", "a department"):
        assert phrase not in posted.text
    assert posted.sha256 == load_policy_document(DEFAULT_POLICY_DOCUMENT).sha256


def test_time_zone_and_policy_document_settings() -> None:
    settings = load_settings(full_environment())
    assert settings.time_zone == "America/Los_Angeles"
    assert settings.policy_document == DEFAULT_POLICY_DOCUMENT
    custom = load_settings(full_environment(PLATEKEEPER_TIME_ZONE="America/Denver",
                                            PLATEKEEPER_POLICY_DOCUMENT="/opt/policy.md"))
    assert (custom.zone.key, custom.policy_document) == ("America/Denver", "/opt/policy.md")
    with pytest.raises(SettingsError, match="time zone"):
        load_settings(full_environment(PLATEKEEPER_TIME_ZONE="Mars/Olympus_Mons"))


def test_searches_are_counted_once_however_many_pages_and_extended_ones_apart() -> None:
    from dataclasses import replace

    page = Page()
    first = search(NOW - timedelta(days=1), "officer.alpha")
    page.audit.append(replace(first, search_id="s1", page=1, cumulative_results=50))
    page.audit.append(replace(first, search_id="s1", page=2, cumulative_results=100))
    page.audit.append(replace(first, search_id="s2", page=1, authority="warrant",
                              authority_ref="SW-2026-0042"))
    figures = compute_figures(page.deps())
    assert (figures.searches, figures.extended_searches) == (2, 1)
    document = figures_document(figures)
    assert document["extended_searches_last_30_days"] == 1
    assert any("more than 30 days" in rule for rule in document["search_rules"])
    assert any("one-time code" in rule for rule in document["search_rules"])
    html = render_transparency(figures)
    assert "of them covering more than 30 days of history" in html
