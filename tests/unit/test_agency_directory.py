"""The agency directory: two administrators per entry, the screen before anything is stored,
entries never deleted, and the access record as the proof an entry is real; plus the
separation-of-duties rules (policy/separation_of_duties.py) and the adapter on moto."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.agencies_table import AgenciesTable
from chalicelib.adapters.agency_seed_file import load_seed
from chalicelib.domain.access import Role, UserAccount
from chalicelib.domain.agencies import (
    AgencyEntry,
    AgencyRefused,
    EntryStatus,
    Jurisdiction,
    parse_domains,
)
from chalicelib.policy.directory import entry_problems
from chalicelib.policy.separation_of_duties import (
    AdministratorChange,
    administrator_change_refusal,
    directory_confirmation_refusal,
    release_approval_refusal,
)
from chalicelib.services.agencies import (
    AgencyDependencies,
    AgencyNotFound,
    candidates,
    confirm,
    decline,
    list_entries,
    propose,
    retire,
    view_entry,
)
from tests.unit.fakes import FakeAgencyRecords, FakeAuditLog
from tests.unit.test_holds import caller

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
ORI = "CA9TEST01"


def proposal(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "San Jose Police Department", "ori": ORI,
                            "agency_type": "law_enforcement", "level": "local",
                            "county": "Santa Clara", "city": "San Jose",
                            "domains": ["sanjoseca.gov"]}
    body.update(changes)
    return body


def directory_deps() -> AgencyDependencies:
    ids = iter(f"00000000-0000-4000-9000-{n:012d}" for n in range(1, 100))
    return AgencyDependencies(agencies=FakeAgencyRecords(), audit=FakeAuditLog(),
                              clock=lambda: NOW, candidates=lambda: list(load_seed()),
                              new_id=lambda: next(ids))


def audit_of(deps: AgencyDependencies) -> list[tuple[str, str, str, str]]:
    assert isinstance(deps.audit, FakeAuditLog)
    return [(record.entry.username, record.entry.action, record.entry.outcome,
             record.entry.refusal_code) for record in deps.audit.chain]


def confirmed_entry(deps: AgencyDependencies, **changes: Any) -> AgencyEntry:
    entry = propose(proposal(**changes), caller("admin.one"), deps)
    return confirm(entry.agency_id, caller("admin.two"), deps)


# ------------------------------------------------------------------ two administrators
def test_an_entry_takes_effect_only_when_a_second_administrator_confirms_it() -> None:
    deps = directory_deps()
    entry = propose(proposal(), caller("admin.one"), deps)
    assert entry.status is EntryStatus.PROPOSED and entry.proposal_seq == 1
    assert list_entries("", caller("records.kim"), deps) == []  # not yet in the directory
    assert list_entries("proposed", caller(), deps) == [entry]

    with pytest.raises(AgencyRefused) as refused:
        confirm(entry.agency_id, caller("ADMIN.ONE"), deps)  # case does not make a new person
    assert (refused.value.code, refused.value.status) == ("SELF_CONFIRMATION", 403)

    active = confirm(entry.agency_id, caller("admin.two"), deps)
    assert active.status is EntryStatus.ACTIVE and active.confirmed_by == "admin.two"
    assert audit_of(deps) == [
        ("admin.one", "propose_agency", "allowed", ""),
        ("records.kim", "list_agencies", "allowed", ""),
        ("commander.lee", "list_agencies", "allowed", ""),
        ("ADMIN.ONE", "confirm_agency", "refused", "SELF_CONFIRMATION"),
        ("admin.two", "confirm_agency", "allowed", ""),
    ]
    assert isinstance(deps.audit, FakeAuditLog)
    assert deps.audit.chain[-1].entry.query["digest"] == active.digest
    found, blockers = view_entry(active.agency_id, caller(), deps)
    assert found == active and blockers == []
    with pytest.raises(AgencyRefused, match="only a proposal"):
        confirm(entry.agency_id, caller("admin.three"), deps)


@pytest.mark.parametrize(("name", "domains", "marked"), [
    ("U.S. Immigration and Customs Enforcement (DHS)", [], "federal"),
    ("Enforcement and Removal Operations Office", ["ice.dhs.gov"], "federal"),
    ("Vigilant Repo Recovery LLC", [], "private"),
    ("Nevada Highway Patrol", [], "other state"),
])
def test_a_marked_body_is_refused_before_anything_is_stored(name: str, domains: list[str],
                                                             marked: str) -> None:
    deps = directory_deps()
    with pytest.raises(AgencyRefused) as refused:
        propose(proposal(name=name, domains=domains), caller("admin.one"), deps)
    assert (refused.value.code, refused.value.status) == ("AGENCY_PROHIBITED", 403)
    assert marked in refused.value.message and "1798.90.55(b)" in refused.value.message
    assert isinstance(deps.agencies, FakeAgencyRecords) and deps.agencies.entries == {}
    assert isinstance(deps.audit, FakeAuditLog)
    record = deps.audit.chain[-1].entry
    assert (record.action, record.outcome, record.refusal_code) == (
        "propose_agency", "refused", "AGENCY_PROHIBITED")
    assert record.query["name"] == name and "1798.90.55(b)" in record.query["marks"]


def test_a_foreign_state_ori_is_refused_even_under_a_californian_name() -> None:
    deps = directory_deps()
    with pytest.raises(AgencyRefused, match="ORI prefix FL"):
        propose(proposal(name="Orange County Sheriff's Department", ori="FL9TEST01",
                         county="Orange"), caller(), deps)


@pytest.mark.parametrize(("changes", "code"), [
    ({"name": " "}, "AGENCY_NAME_REQUIRED"),
    ({"ori": ""}, "ORI_REQUIRED"),
    ({"ori": "CA12345"}, "ORI_INVALID"),
    ({"ori": "CA12345678"}, "ORI_INVALID"),
    ({"agency_type": "fusion_center"}, "AGENCY_TYPE_INVALID"),
    ({"level": "federal"}, "LEVEL_INVALID"),
    ({"county": "Washoe"}, "COUNTY_INVALID"),
    ({"county": ""}, "COUNTY_INVALID"),
    ({"level": "state"}, "COUNTY_INVALID"),  # a state agency names no county
    ({"domains": ["not a domain"]}, "DOMAIN_INVALID"),
    ({"domains": "sanjoseca.gov"}, None),  # a string of domains is accepted
    ({"note": "x" * 501}, "NOTE_INVALID"),
])
def test_proposals_are_validated(changes: dict[str, Any], code: str | None) -> None:
    deps = directory_deps()
    if code is None:
        assert propose(proposal(**changes), caller(), deps).facts.domains == ("sanjoseca.gov",)
        return
    with pytest.raises(AgencyRefused) as refused:
        propose(proposal(**changes), caller(), deps)
    assert refused.value.code == code
    assert audit_of(deps)[-1][1:] == ("propose_agency", "refused", code)


def test_an_ori_or_a_name_is_in_the_directory_once() -> None:
    deps = directory_deps()
    confirmed_entry(deps)
    with pytest.raises(AgencyRefused) as taken:
        propose(proposal(name="San Jose PD"), caller(), deps)
    assert taken.value.code == "ORI_TAKEN"
    with pytest.raises(AgencyRefused) as exists:
        propose(proposal(name="san jose police department", ori="CA9TEST02"), caller(), deps)
    assert exists.value.code == "AGENCY_EXISTS"


def test_entries_are_declined_or_retired_never_deleted() -> None:
    deps = directory_deps()
    proposed = propose(proposal(), caller("admin.one"), deps)
    with pytest.raises(AgencyRefused, match="reason"):
        decline(proposed.agency_id, " ", caller("admin.two"), deps)
    declined = decline(proposed.agency_id, "ORI does not match CLETS", caller("admin.two"), deps)
    assert declined.status is EntryStatus.DECLINED and declined.close_reason
    with pytest.raises(AgencyRefused) as refused:
        confirm(proposed.agency_id, caller("admin.three"), deps)
    assert refused.value.code == "AGENCY_NOT_PROPOSED"
    active = confirmed_entry(deps)  # the same facts may be proposed again
    retired = retire(active.agency_id, "merged into the county's task force", caller(), deps)
    assert retired.status is EntryStatus.RETIRED
    assert isinstance(deps.agencies, FakeAgencyRecords)
    assert len(deps.agencies.entries) == 2  # both kept
    with pytest.raises(AgencyNotFound):
        retire("not-an-id", "x", caller(), deps)
    assert audit_of(deps)[-1][1:] == ("retire_agency", "refused", "NOT_FOUND")


# ------------------------------------------------------------------ the record is the proof
def test_an_entry_edited_or_written_around_the_api_does_not_hold_up() -> None:
    deps = directory_deps()
    entry = confirmed_entry(deps)
    proposal_record = deps.audit.record(entry.proposal_seq)
    confirmation = deps.audit.record(entry.confirmation_seq)
    assert entry_problems(entry, proposal_record, confirmation) == []

    widened = replace(entry, facts=replace(entry.facts, domains=("ice.dhs.gov",)))
    problems = entry_problems(widened, proposal_record, confirmation)
    assert any("screen refuses" in problem for problem in problems)
    assert "the entry's facts changed after they were proposed" in problems

    renamed = replace(entry, facts=replace(entry.facts, name="Repo Recovery LLC"))
    assert entry_problems(renamed, proposal_record, confirmation)

    one_person = replace(entry, confirmed_by=entry.proposed_by)
    assert any("made by" in problem
               for problem in entry_problems(one_person, proposal_record, confirmation))

    forged = replace(entry, agency_id="00000000-0000-4000-9000-999999999999",
                     proposal_seq=0, confirmation_seq=0)
    assert entry_problems(forged, None, None) == [
        "its proposal is not in the access record", "its confirmation is not in the access "
                                                    "record"]
    borrowed = replace(forged, proposal_seq=entry.proposal_seq,
                       confirmation_seq=entry.confirmation_seq)
    assert all("is not this entry's" in problem
               for problem in entry_problems(borrowed, proposal_record, confirmation))
    federal = replace(entry, facts=replace(entry.facts, jurisdiction=Jurisdiction.FEDERAL))
    assert any("jurisdiction" in problem
               for problem in entry_problems(federal, proposal_record, confirmation))


def test_a_proposal_edited_in_the_table_cannot_be_confirmed() -> None:
    deps = directory_deps()
    entry = propose(proposal(), caller("admin.one"), deps)
    assert isinstance(deps.agencies, FakeAgencyRecords)
    deps.agencies.entries[entry.agency_id] = replace(
        entry, facts=replace(entry.facts, domains=("sjpd.example.com",)))
    with pytest.raises(AgencyRefused) as refused:
        confirm(entry.agency_id, caller("admin.two"), deps)
    assert refused.value.code == "DIRECTORY_ENTRY_UNVERIFIED"


def test_candidates_are_the_seed_rows_not_yet_proposed() -> None:
    deps = directory_deps()
    before = candidates(caller(), deps)
    assert any(row.name == "California Highway Patrol" for row in before)
    assert all(row.ori == "" for row in before)  # ORIs are typed in when proposed
    propose({**next(row for row in before
                    if row.name == "California Highway Patrol").as_proposal(), "ori": ORI},
             caller(), deps)
    after = candidates(caller(), deps)
    assert len(after) == len(before) - 1
    assert audit_of(deps)[-1][1:] == ("list_agency_candidates", "allowed", "")


def test_domains_are_normalized() -> None:
    assert parse_domains(["@SJPD.example.gov.", "sjpd.example.gov", " "]) == (
        "sjpd.example.gov",)


# ------------------------------------------------------------------ separation of duties
def account(username: str, *, admin: bool = True, enabled: bool = True,
            mfa: bool = True, idle: bool = False) -> UserAccount:
    approved = NOW.date() - timedelta(days=200 if idle else 5)
    return UserAccount(user_id=f"sub-{username}", username=username, agency="PD",
                       roles=frozenset({Role.ADMINISTRATOR if admin else Role.SWORN_OFFICER}),
                       enabled=enabled, approved_by="chief", approved_at=approved,
                       training_date=date(2026, 1, 1), clets_cert_date=date(2026, 1, 1),
                       mfa_enabled=mfa, last_access=None, vendor_training_date=date(2026, 1, 2))


def test_filer_and_approver_proposer_and_confirmer_are_two_people() -> None:
    assert release_approval_refusal("records.kim", "commander.lee") is None
    refused = release_approval_refusal("Commander.Lee", "commander.lee")
    assert refused is not None and refused.code == "SELF_APPROVAL"
    assert directory_confirmation_refusal("admin.one", "admin.two") is None
    assert directory_confirmation_refusal("admin.one", "admin.one") is not None
    assert release_approval_refusal("", "") is None  # nobody filed: nothing to compare


@pytest.mark.parametrize(("others", "target", "code"), [
    ([], "me", "LAST_ADMINISTRATOR"),                          # alone, disabling myself
    (["idle.admin"], "me", "LAST_ADMINISTRATOR"),              # the other one cannot act
    (["no.mfa.admin"], "me", "LAST_ADMINISTRATOR"),
    (["other"], "me", None),                                   # another can act: fine
    (["other"], "other", "SOLE_ADMINISTRATOR"),                # would leave me alone
    (["other", "third"], "other", None),
    (["other"], "officer", None),                              # not an administrator
    (["other"], "disabled.admin", None),                       # not active anyway
])
def test_administration_cannot_lock_itself_out(others: list[str], target: str,
                                               code: str | None) -> None:
    people = {"me": account("me"), "other": account("other"), "third": account("third"),
              "idle.admin": account("idle.admin", idle=True),
              "no.mfa.admin": account("no.mfa.admin", mfa=False),
              "officer": account("officer", admin=False),
              "disabled.admin": account("disabled.admin", enabled=False)}
    pool = [people["me"], *(people[name] for name in others), people[target]]
    for change in AdministratorChange:
        refusal = administrator_change_refusal(people["me"], people[target], change,
                                               {person.username: person for person in pool
                                                }.values(), NOW)
        assert (refusal.code if refusal else None) == code
        if refusal is not None:
            assert refusal.status == 409 and change.value in refusal.message


# ------------------------------------------------------------------ adapter on moto
@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-west-2")
        client.create_table(
            TableName="agencies", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                                  for name in ("agency_id", "status", "name_key", "ori")],
            KeySchema=[{"AttributeName": "agency_id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {"IndexName": "by_status", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                               {"AttributeName": "name_key", "KeyType": "RANGE"}]},
                {"IndexName": "by_ori", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "ori", "KeyType": "HASH"}]}])
        yield client


def test_agencies_table_round_trip_and_conditional_transitions(dynamodb: Any) -> None:
    table = AgenciesTable(dynamodb, "agencies")
    deps = replace(directory_deps(), agencies=table)
    entry = propose(proposal(), caller("admin.one"), deps)
    assert table.get(entry.agency_id) == entry
    assert table.with_ori(ORI) == [entry]
    active = confirm(entry.agency_id, caller("admin.two"), deps)
    assert table.get(entry.agency_id) == active
    assert table.list_by_status(EntryStatus.ACTIVE) == [active]
    assert table.transition(replace(entry, status=EntryStatus.DECLINED),
                            EntryStatus.PROPOSED) is False  # confirmed meanwhile
    assert table.all_entries() == [active]
    state = propose(proposal(name="California Highway Patrol", ori="CA9TEST03", level="state",
                             county="", city="", domains=["chp.ca.gov"]), caller(), deps)
    assert table.get(state.agency_id) == state and state.facts.county == ""


# ------------------------------------------------------------------ the seed file and its tool
def test_the_check_names_what_each_row_would_meet(tmp_path: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib import agency_cli

    seed = tmp_path / "agencies.csv"
    seed.write_text("# provenance\nname,agency_type,level,county,city,ori,domains\n"
                    "Salinas Police Department,law_enforcement,local,Monterey,Salinas,"
                    "CA9TEST41,salinas.example.gov\n"
                    "Clovis Police Department,law_enforcement,local,Fresno,Clovis,,\n"
                    "Reno Police Department,law_enforcement,local,Washoe,Reno,NV9TEST01,\n"
                    "Chico Police Department,law_enforcement,local,Nowhere,Chico,CA9TEST44,\n",
                    encoding="utf-8")
    assert agency_cli.main(["check", str(seed)]) == 1
    printed = capsys.readouterr().out
    assert "line 4: Clovis Police Department: needs_ori" in printed
    assert "line 5: Reno Police Department: prohibited" in printed and "1798.90.55(b)" in printed
    assert "line 6: Chico Police Department: invalid: COUNTY_INVALID" in printed
    assert printed.strip().endswith("4 rows, 1 ready, 1 needs_ori, 1 invalid, 1 prohibited")
    assert agency_cli.main(["check"]) == 0  # the shipped seed: every row needs its ORI only


def test_the_shipped_seed_states_its_provenance_and_lists_what_the_issue_asks() -> None:
    text = (load_seed.__wrapped__.__globals__["SEED_FILE"]).read_text(encoding="utf-8")
    assert "Provenance:" in text and "NOT checked" in text and "ORIs. None is filled in" in text
    rows = load_seed()
    sheriffs = [row for row in rows if "Sheriff" in row.name]
    prosecutors = [row for row in rows if row.agency_type == "prosecutorial"]
    assert len(sheriffs) == 58 and len(prosecutors) == 58
    assert {row.county for row in sheriffs} == {row.county for row in prosecutors}
    assert {"California Highway Patrol", "California Department of Justice"} <= {
        row.name for row in rows}
    assert all(row.ori == "" for row in rows)
