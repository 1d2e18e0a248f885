"""The account rules (policy/user_lifecycle.py) and the replay of the access record that the
monthly audit holds Cognito and the register to (policy/account_changes.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.access import Role, UserAccount
from chalicelib.domain.account_register import (
    AccountAction,
    ChangeKind,
    PendingChange,
    RegisterEntry,
)
from chalicelib.domain.audit import AuditEntry, AuditRecord, link
from chalicelib.domain.monthly_audit import FindingKind
from chalicelib.policy import account_changes
from chalicelib.policy.account_changes import CognitoState, ExpectedAccount
from chalicelib.policy.user_lifecycle import (
    bootstrap_exception,
    confirmation_refusal,
    email_refusal,
    needs_second_administrator,
    next_expiry,
    outside_change_refusal,
    reason_refusal,
    role_refusal,
    username_refusal,
)

NOW = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
A, OFF, S = Role.ADMINISTRATOR, Role.SWORN_OFFICER, Role.SUPERVISOR


# ---------------------------------------------------------------------- input
@pytest.mark.parametrize("name", ["j.rivera", "officer_2", "abc", "a" * 64])
def test_usernames_accepted(name: str) -> None:
    assert username_refusal(name) is None


@pytest.mark.parametrize("name", ["", "ab", "J.Rivera", "-lead", "a b", "a" * 65, None, 7,
                                  "x@example.org"])
def test_usernames_refused(name: object) -> None:
    refusal = username_refusal(name)
    assert refusal is not None and (refusal.code, refusal.status) == ("USERNAME_INVALID", 400)


def test_email_and_reason_rules() -> None:
    assert email_refusal("j.rivera@police.example.gov") is None
    for bad in ("", "no-at-sign", "a@b", "<a@b.gov>", None, "x" * 250 + "@a.gov"):
        assert email_refusal(bad) is not None
    assert reason_refusal("new hire, patrol") is None
    assert reason_refusal("  ").code == "REASON_REQUIRED"  # type: ignore[union-attr]
    assert reason_refusal("x" * 201).code == "REASON_TOO_LONG"  # type: ignore[union-attr]


def test_one_role_from_the_titles_and_supervisor_only_beside_a_searching_role() -> None:
    assert role_refusal("sworn_officer", False) is None
    assert role_refusal("sworn_officer", True) is None
    assert role_refusal("supervisor", False).code == "ROLE_INVALID"  # type: ignore[union-attr]
    assert role_refusal("chief", False).code == "ROLE_INVALID"  # type: ignore[union-attr]
    assert role_refusal(["sworn_officer", "auditor"], False) is not None
    for role in ("administrator", "auditor", "vendor_representative"):
        refusal = role_refusal(role, True)
        assert refusal is not None and refusal.code == "SUPERVISOR_NOT_APPLICABLE"
    assert role_refusal("sworn_officer", "yes").code == "SUPERVISOR_INVALID"  # type: ignore


# ---------------------------------------------------------------------- two administrators
@pytest.mark.parametrize(("current", "new", "two"), [
    (None, OFF, False), (None, A, True), (None, Role.AUDITOR, True),
    (OFF, Role.CRIME_ANALYST, False), (OFF, A, True), (A, OFF, True), (Role.AUDITOR, OFF, True),
    (A, Role.AUDITOR, True), (A, A, False),
])
def test_which_role_changes_need_a_second_administrator(current: Role | None, new: Role,
                                                       two: bool) -> None:
    assert needs_second_administrator(current, new) is two


def _entry(name: str, role: Role | None, *, bootstrap: bool = False, enabled: bool = True,
           retired: bool = False, supervisor: bool = False) -> RegisterEntry:
    return RegisterEntry(username=name, role=role, supervisor=supervisor, enabled=enabled,
                         retired=retired, bootstrap=bootstrap)


def test_the_bootstrap_administrator_alone_may_name_the_second_and_only_that() -> None:
    first = _entry("commander", A, bootstrap=True)
    officer = _entry("j.rivera", OFF)
    assert bootstrap_exception(first, OFF, A, [first, officer])
    assert bootstrap_exception(first, None, A, [first])
    # Not for the auditor, not for taking the auditor role away, not by anyone else.
    assert not bootstrap_exception(first, None, Role.AUDITOR, [first])
    assert not bootstrap_exception(first, Role.AUDITOR, A, [first])
    assert not bootstrap_exception(_entry("other", A), OFF, A, [first])
    # Once a second administrator exists (enabled, not retired), the exception is over.
    second = _entry("deputy", A)
    assert not bootstrap_exception(first, OFF, A, [first, second])
    assert bootstrap_exception(first, OFF, A, [first, _entry("deputy", A, enabled=False)])
    assert bootstrap_exception(first, OFF, A, [first, _entry("deputy", A, retired=True,
                                                           enabled=False)])


def test_confirmation_by_a_second_person_within_seven_days() -> None:
    change = PendingChange("c1", ChangeKind.ROLE, A, False, "deputy commander", "admin.one",
                           "2026-12-09T10:00:00Z", 12)
    assert confirmation_refusal(change, "j.rivera", "admin.two", NOW) is None
    mine = confirmation_refusal(change, "j.rivera", "ADMIN.ONE", NOW)
    assert mine is not None and (mine.code, mine.status) == ("SELF_CONFIRMATION", 403)
    own = confirmation_refusal(change, "admin.two", "admin.two", NOW)
    assert own is not None and own.code == "SELF_CONFIRMATION"
    late = confirmation_refusal(change, "j.rivera", "admin.two", NOW + timedelta(days=7))
    assert late is not None and late.code == "PROPOSAL_LAPSED"


# ---------------------------------------------------------------------- outside changes
def test_cognito_must_say_what_the_register_says() -> None:
    entry = _entry("j.rivera", OFF, supervisor=True)
    assert outside_change_refusal("J.Rivera", frozenset({OFF, S}), True, entry) is None
    granted = outside_change_refusal("j.rivera", frozenset({OFF, S, A}), True, entry)
    assert granted is not None and granted.code == "ACCOUNT_CHANGED_OUTSIDE_APP"
    assert "administrator" in granted.message
    assert outside_change_refusal("j.rivera", frozenset({OFF}), True, None) is not None
    disabled = _entry("j.rivera", OFF, enabled=False)
    assert outside_change_refusal("j.rivera", frozenset({OFF}), True, disabled) is not None
    # Disabled in Cognito while Platekeeper has it enabled: Cognito refuses the sign-in anyway.
    assert outside_change_refusal("j.rivera", frozenset({OFF}), False, _entry("j.rivera", OFF)) \
        is None
    retired = _entry("j.rivera", OFF, enabled=False, retired=True)
    assert outside_change_refusal("j.rivera", frozenset(), False, retired) is None


def test_what_lapses_next() -> None:
    account = UserAccount("id", "j.rivera", "PD", frozenset({OFF}), True, "admin",
                          date(2026, 12, 1), date(2026, 1, 1), date(2025, 1, 20), True,
                          datetime(2026, 12, 5, tzinfo=UTC))
    assert next_expiry(account, NOW) == ("CLETS certification", date(2027, 1, 20))
    idle_first = UserAccount("id", "j.rivera", "PD", frozenset({OFF}), True, "admin",
                             date(2026, 9, 1), date(2026, 1, 1), date(2026, 6, 1), True, None)
    assert next_expiry(idle_first, NOW) == ("idle suspension", date(2026, 11, 30))


# ---------------------------------------------------------------------- the replay
def _records(*steps: tuple[str, str, dict[str, str]]) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for index, (action, by, query) in enumerate(steps):
        entry = AuditEntry(at=f"2026-12-01T10:{index:02d}:00Z", user_id=f"id-{by}",
                           username=by, agency="PD", role="administrator", action=action,
                           outcome="refused" if action == AccountAction.VOID else "allowed",
                           query=query)
        records.append(link(entry, records[-1] if records else None))
    return records


HISTORY = _records(
    (AccountAction.BOOTSTRAP, "bootstrap-admin", {"target": "commander", "role": "administrator"}),
    (AccountAction.INVITE, "commander", {"target": "deputy", "role": "administrator",
                                         "bootstrap_exception": "true"}),
    (AccountAction.INVITE, "commander", {"target": "j.rivera", "role": "sworn_officer",
                                         "supervisor": "false"}),
    (AccountAction.INVITE, "commander", {"target": "a.chen", "role": "",
                                         "pending_role": "auditor", "change_id": "c1"}),
    (AccountAction.CONFIRM, "deputy", {"target": "a.chen", "kind": "role_change",
                                       "role": "auditor", "change_id": "c1"}),
    (AccountAction.CHANGE_ROLE, "commander", {"target": "j.rivera", "role": "sworn_officer",
                                              "supervisor": "true"}),
    (AccountAction.DISABLE, "commander", {"target": "j.rivera"}),
    (AccountAction.ENABLE, "commander", {"target": "j.rivera"}),
    (AccountAction.INVITE, "commander", {"target": "m.old", "role": "dispatcher"}),
    (AccountAction.RETIRE, "commander", {"target": "m.old"}),
    (AccountAction.CHANGE_ROLE, "commander", {"target": "j.rivera", "role": "crime_analyst"}),
    (AccountAction.VOID, "commander", {"target": "j.rivera", "voids": "11"}),
)


def test_the_access_record_replays_to_every_accounts_state() -> None:
    expected = account_changes.replay(HISTORY)
    assert expected["commander"].groups == {A}
    assert expected["deputy"].groups == {A}
    assert expected["a.chen"].groups == {Role.AUDITOR}
    # The voided change to crime analyst never took effect.
    assert expected["j.rivera"].groups == {OFF, S} and expected["j.rivera"].enabled
    assert expected["m.old"].retired and not expected["m.old"].groups
    assert expected["j.rivera"].last_seq == 8


def test_a_role_granted_in_cognito_and_other_outside_changes_are_findings() -> None:
    expected = account_changes.replay(HISTORY)
    cognito = [CognitoState("commander", frozenset({A}), True),
               CognitoState("deputy", frozenset({A}), True),
               CognitoState("a.chen", frozenset({Role.AUDITOR}), True),
               CognitoState("j.rivera", frozenset({OFF, S, A}), True),   # console grant
               CognitoState("m.old", frozenset(), True),               # re-enabled there
               CognitoState("ghost", frozenset({OFF}), True)]            # created there
    findings = account_changes.outside_change_findings(cognito, expected)
    kinds = {(finding.kind, finding.subject) for finding in findings}
    assert kinds == {(FindingKind.ROLE_CHANGED_OUTSIDE_APP, "j.rivera"),
                     (FindingKind.ACCOUNT_STATE_CHANGED_OUTSIDE_APP, "m.old"),
                     (FindingKind.ACCOUNT_CREATED_OUTSIDE_APP, "ghost")}
    granted = next(item for item in findings if item.subject == "j.rivera")
    assert "administrator" in granted.detail and granted.clause == "428.3.1(a), 428.4(e)"
    gone = account_changes.outside_change_findings(cognito[:2], expected)
    assert {finding.subject for finding in gone
            if finding.kind is FindingKind.ACCOUNT_DELETED_OUTSIDE_APP} == {
        "a.chen", "j.rivera", "m.old"}


def test_a_register_edited_around_the_api_is_a_finding() -> None:
    expected = account_changes.replay(HISTORY)
    register = [_entry("commander", A, bootstrap=True), _entry("deputy", A),
                _entry("a.chen", Role.AUDITOR), _entry("j.rivera", OFF, supervisor=True),
                _entry("m.old", Role.DISPATCHER, enabled=False, retired=True)]
    assert account_changes.register_findings(register, expected) == []
    edited = [*register[:3], _entry("j.rivera", A), register[4]]
    findings = account_changes.register_findings(edited, expected)
    assert [(item.kind, item.subject) for item in findings] == [
        (FindingKind.ACCOUNT_REGISTER_ALTERED, "j.rivera")]
    missing = account_changes.register_findings(register[:4], expected)
    assert [item.subject for item in missing] == ["m.old"]


def test_administrators_named_alone_are_listed() -> None:
    findings = account_changes.single_administrator_findings(HISTORY)
    assert [(item.kind, item.subject) for item in findings] == [
        (FindingKind.ADMINISTRATOR_NAMED_ALONE, "commander"),
        (FindingKind.ADMINISTRATOR_NAMED_ALONE, "deputy")]
    changes = account_changes.account_changes(HISTORY)
    assert len(changes) == len(HISTORY)
    assert changes[-1].outcome == "refused" and "voids 11" in changes[-1].detail


def test_expected_account_describes_itself() -> None:
    account = ExpectedAccount("j.rivera", OFF, True, True, False, 8, "2026-12-01T10:07:00Z",
                              "commander")
    assert account.describe() == ("sworn_officer, supervisor, enabled (record 8, commander, "
                                  "2026-12-01T10:07:00Z)")
