"""The officers' guardrails as pure rules (issue 17): case numbers, long histories, the lockout,
deep bodies, and the monthly audit's view of searches, pages, case numbers and locks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.audit import AuditEntry, AuditRecord, content_hash, link, verify_chain
from chalicelib.domain.reads import SearchMode, SearchQuery
from chalicelib.policy import monthly_audit as rules
from chalicelib.policy.access import case_number_refusal
from chalicelib.policy.case_numbers import CaseNumberRule, placeholder_reason
from chalicelib.policy.long_history import (
    AuthorityRefused,
    SearchApproval,
    approval_refusal,
    default_window,
    is_extended,
    parse_authority,
)
from chalicelib.policy.sign_in import (
    AttemptState,
    after_failure,
    after_success,
    attempt_key,
)
from chalicelib.settings import SettingsError, load_settings
from tests.unit.test_settings import full_environment

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


# ---------------------------------------------------------------------- case numbers
@pytest.mark.parametrize("value", [
    "NONE", "none", "N/A", "n.a.", "NULL", "UNKNOWN", "unk", "TEST", "test-1", "TEST-26-1234",
    "TBD", "PENDING", "DEMO", "XXX", "0", "00", "0000", "000000", "1111", "AAAA", "zzzzzz",
    "1234", "12345", "123456789", "4321", "0123", "ABCD", "abcdef", "ASDF", "qwerty", "ZXCV",
    "1234-5678", "CASE", "case-1", "Incident", "MISC", "2026-0000", "SC26-000", "26-00000",
])
def test_placeholders_are_refused_whatever_the_format(value: str) -> None:
    assert placeholder_reason(value) is not None
    permissive = CaseNumberRule(r"^.{1,32}$", "2026-001234")
    refusal = case_number_refusal(value, permissive)
    assert refusal is not None and refusal.code == "CASE_NUMBER_PLACEHOLDER", value
    assert "428.6(b)" in refusal.message  # a named reason, with the clause


@pytest.mark.parametrize("value", ["2026-001234", "2026-000123", "26-12345", "SC26-4411",
                                   "SJ-26-55012", "2026-1234", "2026-000777", "PD-2026-0042"])
def test_real_case_numbers_pass(value: str) -> None:
    assert case_number_refusal(value) is None


@pytest.mark.parametrize("value", ["x", "KX9", "2026-1", "2026/001234", "A" * 40, "20 26-1234"])
def test_values_outside_the_default_format_are_invalid(value: str) -> None:
    refusal = case_number_refusal(value)
    assert refusal is not None and refusal.code in {"CASE_NUMBER_INVALID",
                                                    "CASE_NUMBER_PLACEHOLDER"}


def test_the_agency_sets_its_own_format() -> None:
    rule = CaseNumberRule(r"^R[0-9]{2}-[0-9]{6}$", "R26-004411")
    assert case_number_refusal("R26-004411", rule) is None
    refused = case_number_refusal("2026-001234", rule)
    assert refused is not None and refused.code == "CASE_NUMBER_INVALID"
    assert "R26-004411" in refused.message


@pytest.mark.parametrize(("pattern", "example"), [("^[", "2026-001234"),
                                                  (r"^[0-9]{4}$", "2026-001234"),
                                                  (r"^.*$", "0000")])
def test_an_unusable_case_number_setting_stops_the_deployment(pattern: str, example: str) -> None:
    with pytest.raises(SettingsError):
        load_settings(full_environment(PLATEKEEPER_CASE_NUMBER_PATTERN=pattern,
                                       PLATEKEEPER_CASE_NUMBER_EXAMPLE=example))


# ---------------------------------------------------------------------- long histories
def query(days: float | None, mode: SearchMode = SearchMode.EXACT, text: str = "7ABC123",
          case_number: str = "2026-001234") -> SearchQuery:
    start = None if days is None else NOW - timedelta(days=days)
    return SearchQuery(mode, text, start, NOW + timedelta(days=1), case_number=case_number)


@pytest.mark.parametrize(("days", "extended"), [(7, False), (30, False), (30.003, False),
                                                (30.01, True), (31, True), (360, True),
                                                (None, True)])
def test_a_window_over_the_limit_is_extended(days: float | None, extended: bool) -> None:
    assert is_extended(query(days), NOW, 30) is extended


def test_an_exact_search_without_a_start_covers_the_limit_before_its_end() -> None:
    assert default_window({"plate": "7ABC123"}, NOW, 30)["from"] == \
        (NOW - timedelta(days=30)).isoformat()
    ended = default_window({"plate": "7ABC123", "to": "2026-06-01T00:00:00Z"}, NOW, 30)
    assert ended["from"] == "2026-05-02T00:00:00+00:00"
    assert "from" not in default_window({"mode": "partial", "plate": "7AB*"}, NOW, 30)
    assert default_window({"plate": "7ABC123", "from": ""}, NOW, 30)["from"] == \
        (NOW - timedelta(days=30)).isoformat()


@pytest.mark.parametrize("stated", [{"kind": "warrant", "reference": "NONE"},
                                    {"kind": "warrant", "reference": "1234"},
                                    {"kind": "court_order", "reference": "x"},
                                    {"kind": "warrant"}, {"kind": "decree", "reference": "A-1"},
                                    "warrant", ["warrant"], {"kind": "warrant", "reference": 5}])
def test_invented_authority_is_refused(stated: Any) -> None:
    with pytest.raises(AuthorityRefused):
        parse_authority(stated)


def approval(**changes: Any) -> SearchApproval:
    base = SearchApproval("ap-1", "officer.a", "sgt.b", "7ABC123", "2026-001234", "reason",
                          "2026-11-29T10:00:00Z", "2026-11-29T20:00:00Z")
    return replace(base, **changes)


@pytest.mark.parametrize(("changes", "searcher", "search", "code"), [
    ({}, "officer.a", query(90), None),
    ({}, "OFFICER.A", query(90, SearchMode.FUZZY), None),
    ({"expires_at": "2026-11-29T11:00:00Z"}, "officer.a", query(90), "APPROVAL_NOT_FOUND"),
    ({"revoked_at": "2026-11-29T11:00:00Z"}, "officer.a", query(90), "APPROVAL_NOT_FOUND"),
    ({}, "officer.c", query(90), "APPROVAL_FOR_ANOTHER_USER"),
    ({"approver": "officer.a"}, "officer.a", query(90), "APPROVER_IS_SEARCHER"),
    ({}, "officer.a", query(90, text="8XYZ999"), "APPROVAL_FOR_ANOTHER_PLATE"),
    ({}, "officer.a", query(90, SearchMode.PARTIAL, "7ABC12*"), "APPROVAL_FOR_ANOTHER_PLATE"),
    ({}, "officer.a", query(90, case_number="2026-009999"), "APPROVAL_FOR_ANOTHER_CASE"),
])
def test_an_approval_covers_one_user_one_plate_one_case_while_in_force(
        changes: dict[str, Any], searcher: str, search: SearchQuery, code: str | None) -> None:
    refusal = approval_refusal(approval(**changes), searcher, search, "2026-11-29T12:00:00Z")
    assert (refusal.code if refusal else None) == code


# ---------------------------------------------------------------------- the lockout
def test_five_failures_within_fifteen_minutes_lock_for_fifteen() -> None:
    state = AttemptState(attempt_key(" Officer.A "))
    assert state.username == "officer.a"
    for minute in range(4):
        outcome = after_failure(state, NOW + timedelta(minutes=minute * 3))
        assert not outcome.newly_locked
        state = outcome.state
    fifth = after_failure(state, NOW + timedelta(minutes=12))
    assert fifth.newly_locked
    assert fifth.state.locked_until == int((NOW + timedelta(minutes=27)).timestamp())
    assert fifth.state.locked_at(NOW + timedelta(minutes=26))
    assert not fifth.state.locked_at(NOW + timedelta(minutes=27))


def test_old_failures_slide_out_of_the_window_and_success_clears_them() -> None:
    state = AttemptState("officer.a")
    for minute in (0, 1, 2, 3):
        state = after_failure(state, NOW + timedelta(minutes=minute)).state
    late = after_failure(state, NOW + timedelta(minutes=16))  # minutes 0 and 1 have slid out
    assert not late.newly_locked and len(late.state.failures) == 3
    assert after_success(late.state).failures == ()


# ---------------------------------------------------------------------- the record
def test_records_written_before_the_search_fields_still_verify() -> None:
    old = AuditEntry("2026-01-01T00:00:00Z", "u", "u", "PD", "sworn_officer", "search_reads",
                     "allowed")
    record = link(old, None)
    # The same record as stored before the fields existed hashes the same way.
    assert content_hash(1, old, record.prev_hash) == record.hash
    paged = link(replace(old, search_id="s1", page=2, cumulative_results=20), record)
    assert verify_chain([record, paged]).intact
    forged = AuditRecord(2, replace(paged.entry, cumulative_results=5), paged.prev_hash,
                         paged.hash)
    assert not verify_chain([record, forged]).intact


def search(at: str, user: str, search_id: str, page: int, results: int, plate: str = "7ABC123",
           mode: str = "exact", **changes: Any) -> AuditEntry:
    return AuditEntry(at, f"id-{user}", user, "PD", "sworn_officer", "search_reads", "allowed",
                      {"plate": plate, "mode": mode, "from": "2026-05-01T00:00:00Z",
                       "to": at}, "stolen_vehicle", "2026-001234", results,
                      search_id=search_id, page=page, cumulative_results=results * page,
                      **changes)


def chain(entries: list[AuditEntry]) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for entry in entries:
        records.append(link(entry, records[-1] if records else None))
    return records


def test_nine_pages_of_one_search_are_one_search_not_a_repeat_pattern() -> None:
    pages = [search(f"2026-05-10T1{page}:00:00Z", "officer.a", "s1", page, 200)
             for page in range(1, 10)]
    records = chain(pages)
    assert rules.repeated_plate_findings(records) == []
    summary = rules.access_summary(records)
    assert (summary.searches, summary.search_pages, summary.data_accesses) == (1, 9, 1)
    events = rules.search_events(records)
    assert [(event.pages, event.results) for event in events] == [(9, 1800)]


def test_five_separate_searches_of_one_plate_are_still_flagged() -> None:
    records = chain([search(f"2026-05-1{day}T12:00:00Z", "officer.a", f"s{day}", 1, 3)
                     for day in range(5)])
    assert [finding.kind.value for finding in rules.repeated_plate_findings(records)] == [
        "repeated_plate_searches"]


def test_a_wildcard_extraction_split_into_pages_is_counted_whole() -> None:
    records = chain([search(f"2026-05-10T1{page}:00:00Z", "officer.a", "w1", page, 40,
                            plate="7AB*", mode="partial") for page in range(1, 4)])
    findings = rules.bulk_wildcard_findings(records, UTC)
    assert [finding.facts["results"] for finding in findings] == [120]


def test_a_case_number_one_user_spreads_over_many_unrelated_plates_is_flagged() -> None:
    plates = [f"{digit}ABC{digit}{digit}{digit}" for digit in range(1, 10)] + ["8XYZ000"]
    records = chain([search("2026-05-10T12:00:00Z", "officer.a", f"c{index}", 1, 1,
                            plate=plate) for index, plate in enumerate(plates)])
    findings = rules.catch_all_case_findings(records)
    assert [(finding.kind.value, finding.subject) for finding in findings] == [
        ("case_number_one_user_many_plates", "officer.a")]
    shared = chain([*[record.entry for record in records],
                    search("2026-05-11T12:00:00Z", "officer.b", "c99", 1, 1)])
    assert rules.catch_all_case_findings(shared) == []  # a real case is worked by several
    look_alikes = ["7ABC123", "7A8C123", "7ABC128", "7A8CI23", "7ABC1Z3", "7ABC124", "7ABD123",
                   "7A8C12B", "7ABC12B", "7A8C128"]
    family = chain([search("2026-05-10T12:00:00Z", "officer.a", f"f{index}", 1, 1,
                           plate=plate) for index, plate in enumerate(look_alikes)])
    assert rules.catch_all_case_findings(family) == []  # one misread car, many spellings


def test_extended_searches_are_listed_with_their_authority() -> None:
    entries = [
        replace(search("2026-05-20T12:00:00Z", "officer.a", "e1", 1, 50),
                query={"plate": "7ABC123", "mode": "exact", "from": "2025-06-01T00:00:00Z"},
                authority="warrant", authority_ref="SW-1"),
        replace(search("2026-05-21T12:00:00Z", "officer.b", "e2", 1, 50),
                query={"plate": "7ABC123", "mode": "exact"}),  # no window: all of retention
        search("2026-05-22T12:00:00Z", "officer.c", "e3", 1, 5),  # 21 days: not extended
    ]
    found = rules.extended_searches(chain(entries), 30)
    assert [(item.username, item.authority) for item in found] == [("officer.a", "warrant"),
                                                                    ("officer.b", "")]
    findings = rules.extended_search_findings(found)
    assert [finding.subject for finding in findings] == ["officer.b"]


def test_each_account_lock_is_named_with_its_start_and_end() -> None:
    lock = AuditEntry("2026-05-10T12:00:00Z", "id-a", "officer.a", "PD", "sworn_officer",
                      "account_locked", "refused",
                      {"username": "officer.a", "locked_from": "2026-05-10T12:00:00Z",
                       "locked_until": "2026-05-10T12:15:00Z", "failures": "5",
                       "window_minutes": "15"}, refusal_code="TOO_MANY_FAILED_SIGN_INS",
                      source_ip="203.0.113.9")
    findings = rules.lock_findings(chain([lock]))
    assert [(finding.subject, finding.facts["locked_until"]) for finding in findings] == [
        ("officer.a", "2026-05-10T12:15:00Z")]


# ---------------------------------------------------------------------- deep bodies
def test_nesting_depth_is_measured_without_recursion() -> None:
    from chalicelib.web import MAX_BODY_DEPTH, nesting_depth

    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth({"a": deep}) > MAX_BODY_DEPTH
    assert nesting_depth({"near": {"lat": 1, "lon": 2}, "cameras": ["a"]}) == 2


def test_a_year_pulled_in_thirty_day_pieces_is_named() -> None:
    pieces = []
    for index in range(12):
        at = datetime(2026, 5, 2 + index, 12, tzinfo=UTC)
        start = at - timedelta(days=30 * (index + 1))
        pieces.append(replace(
            search(at.strftime("%Y-%m-%dT%H:%M:%SZ"), "officer.a", f"p{index}", 1, 5),
            query={"plate": "7ABC123", "mode": "exact", "from": start.isoformat(),
                   "to": (start + timedelta(days=30)).isoformat()}))
    findings = rules.stitched_history_findings(chain(pieces), 30)
    assert [(finding.kind.value, finding.subject) for finding in findings] == [
        ("long_history_in_short_windows", "officer.a")]
    assert int(findings[0].facts["days_covered"]) > 300  # a year, less the overlaps
    overlapping = [replace(piece, query={**piece.query, "from": "2026-04-20T00:00:00Z",
                                         "to": "2026-05-15T00:00:00Z"}) for piece in pieces]
    assert rules.stitched_history_findings(chain(overlapping), 30) == []  # the same 25 days


def test_searching_one_plate_for_the_last_30_days_week_after_week_is_not_a_stitched_year() -> None:
    rolling = []
    for week in range(4):
        at = datetime(2026, 5, 1 + 7 * week, 12, tzinfo=UTC)
        rolling.append(replace(
            search(at.strftime("%Y-%m-%dT%H:%M:%SZ"), "officer.a", f"r{week}", 1, 5),
            query={"plate": "7ABC123", "mode": "exact",
                   "from": (at - timedelta(days=30)).isoformat()}))
    assert rules.stitched_history_findings(chain(rolling), 30) == []
