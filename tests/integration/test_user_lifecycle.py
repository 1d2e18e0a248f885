"""Accounts inside Platekeeper (policy 428.3.1(a), State Auditor 2019-118), on a stack of its own
whose user pool starts empty, as it is after `aws cloudformation deploy`.

The story: bootstrap-admin creates the first administrator; they sign in with the e-mailed
temporary password, choose their own and enrol an authenticator; they name the second
administrator (the bootstrap exception, listed in the monthly report); they invite an auditor,
whose role waits for the second administrator's confirmation, and an officer; each signs in for
the first time the same way; the officer is retired and the auditor's retirement is confirmed by
a second administrator. Every step is in the access record.

The hostile paths: bootstrap-admin run again, an administrator granting themselves or a friend
the administrator or auditor role alone, confirming their own proposal, approving their own
account, deleting a user (no route; in Cognito it is a finding), and a role granted directly in
Cognito (refused on the next request, a finding in the monthly report, put back by restore).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import pytest

from chalicelib.accounts.__main__ import main as accounts_cli
from chalicelib.adapters.account_register import AccountRegister
from chalicelib.adapters.audit_log import AuditLog
from chalicelib.domain.access import Role
from chalicelib.domain.account_register import ChangeKind, PendingChange
from chalicelib.domain.audit import AuditRecord
from chalicelib.domain.monthly_audit import ReportPeriod
from chalicelib.domain.reads import format_time
from chalicelib.smoke import Smoke
from local_stack.api_client import ApiClient, FirstSignIn, LoginError
from local_stack.mailbox import temporary_password
from local_stack.seed import code_for
from local_stack.stack import RunningStack

pytestmark = pytest.mark.integration
CASE = "2026-002300"
FIRST_ADMIN = "chief.admin"
SECOND_ADMIN = "deputy.admin"
TRAINED = {"clets_cert_date": "2026-01-05", "vendor_training_date": "2026-01-06",
           "training_date": "2026-01-07", "reason": "certificates on file"}
MFA_STEPS = ("temporary password accepted", "own password set", "authenticator enrolled")


@dataclass
class Agency:
    """The stack, and the people of the story with their signed-in clients."""

    stack: RunningStack
    clients: dict[str, ApiClient] = field(default_factory=dict)
    first_sign_ins: dict[str, FirstSignIn] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    bootstrap_output: str = ""

    @property
    def pool(self) -> str:
        return self.stack.environment["PLATEKEEPER_USER_POOL_ID"]

    def admin(self, username: str = FIRST_ADMIN) -> ApiClient:
        return self.clients[username]

    def sign_in_first_time(self, username: str) -> FirstSignIn:
        """What the invited person does with the invitation e-mail."""
        temporary = temporary_password(self.stack.endpoint_url, self.pool, username)
        password = f"Own-{uuid.uuid4().hex[:12]}!Pk9"
        client = ApiClient(self.stack.api_url)
        done = client.first_sign_in(username, temporary, password)
        self.clients[username], self.passwords[username] = client, password
        self.first_sign_ins[username] = done
        return done

    def invite(self, by: str, username: str, role: str, **extra: Any) -> dict[str, Any]:
        answer = self.admin(by).post("/admin/users", {
            "username": username, "email": f"{username}@example.invalid", "role": role,
            "reason": f"new {role}", **extra})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def ready(self, by: str, username: str) -> None:
        """Training recorded and the account approved by an administrator other than its own."""
        admin = self.admin(by)
        assert admin.put(f"/admin/users/{username}/training", TRAINED).status_code == 200
        assert admin.post(f"/admin/users/{username}/approval",
                          {"reason": "trained"}).status_code == 200

    def records(self) -> list[AuditRecord]:
        return list(AuditLog(boto3.client("dynamodb"),
                             self.stack.environment["PLATEKEEPER_AUDIT_TABLE"]).records())

    def actions_on(self, username: str) -> list[tuple[str, str, str, str]]:
        """(action, outcome, refusal code, by) of every record naming `username` as target."""
        return [(record.entry.action, record.entry.outcome, record.entry.refusal_code,
                 record.entry.username) for record in self.records()
                if record.entry.query.get("target") == username]

    def groups(self, username: str) -> set[str]:
        cognito: Any = boto3.client("cognito-idp")
        return {group["GroupName"] for group in cognito.admin_list_groups_for_user(
            UserPoolId=self.pool, Username=username)["Groups"]}

    def monthly_report(self) -> dict[str, Any]:
        month = ReportPeriod.containing(self.stack.clock()).month
        admin = self.admin(SECOND_ADMIN)
        assert admin.post("/reports/monthly", {"month": month}).status_code == 201
        fetched = admin.get(f"/reports/monthly/{month}")
        assert fetched.status_code == 200, fetched.text
        return dict(fetched.json()["report"])


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with RunningStack(pump_in_background=False) as running:
        yield running


@pytest.fixture(scope="module")
def agency(stack: RunningStack) -> Agency:
    """The onboarding, through bootstrap-admin and the API, from an empty pool."""
    world = Agency(stack)
    cognito: Any = boto3.client("cognito-idp")
    assert cognito.list_users(UserPoolId=world.pool)["Users"] == []
    assert accounts_cli(["bootstrap-admin", "--username", FIRST_ADMIN,
                         "--email", "chief@example.invalid", "--clets-cert-date", "2026-01-05",
                         "--vendor-training-date", "2026-01-06",
                         "--training-date", "2026-01-07"]) == 0
    world.sign_in_first_time(FIRST_ADMIN)
    # The bootstrap exception: the first administrator names the second alone, once.
    world.bootstrap_output = str(world.invite(FIRST_ADMIN, SECOND_ADMIN, "administrator"))
    world.ready(FIRST_ADMIN, SECOND_ADMIN)
    world.sign_in_first_time(SECOND_ADMIN)
    return world


def test_onboarding_from_an_empty_pool_to_retirement_is_all_in_the_access_record(
        agency: Agency) -> None:
    assert agency.first_sign_ins[FIRST_ADMIN].steps == MFA_STEPS
    assert agency.first_sign_ins[SECOND_ADMIN].steps == MFA_STEPS
    assert "'bootstrap_exception': True" in agency.bootstrap_output
    assert agency.groups(SECOND_ADMIN) == {"administrator"}

    # An auditor's role waits for a second administrator; the proposer cannot confirm it.
    invited = agency.invite(FIRST_ADMIN, "auditor.new", "auditor")
    assert invited["status"] == "pending" and invited["role"] is None
    assert agency.groups("auditor.new") == set()
    own = agency.admin(FIRST_ADMIN).post("/admin/users/auditor.new/pending-change/confirmation")
    assert own.status_code == 403 and own.json()["error"] == "SELF_CONFIRMATION"
    confirmed = agency.admin(SECOND_ADMIN).post(
        "/admin/users/auditor.new/pending-change/confirmation", {"reason": "audit unit"})
    assert confirmed.status_code == 200 and confirmed.json()["role"] == "auditor"
    assert agency.groups("auditor.new") == {"auditor"}
    agency.ready(SECOND_ADMIN, "auditor.new")
    agency.sign_in_first_time("auditor.new")
    assert agency.clients["auditor.new"].get("/audit").status_code == 200

    # An officer: invited, trained, approved, signs in, searches; then retired.
    assert agency.invite(FIRST_ADMIN, "officer.new", "sworn_officer")["status"] == "applied"
    agency.ready(SECOND_ADMIN, "officer.new")
    assert agency.sign_in_first_time("officer.new").steps == MFA_STEPS
    officer = agency.clients["officer.new"]
    assert officer.search(plate="7ABC123", case_number=CASE).status_code == 200
    retired = agency.admin(FIRST_ADMIN).post("/admin/users/officer.new/retirement",
                                             {"reason": "left the department"})
    assert retired.status_code == 200 and retired.json()["retired"] is True
    refused = officer.search(plate="7ABC123", case_number=CASE)
    assert refused.status_code == 403 and refused.json()["error"] == "ACCOUNT_DISABLED"
    with pytest.raises(LoginError):
        ApiClient(agency.stack.api_url).login("officer.new", agency.passwords["officer.new"])
    cognito: Any = boto3.client("cognito-idp")
    kept = cognito.admin_get_user(UserPoolId=agency.pool, Username="officer.new")
    assert kept["Enabled"] is False and agency.groups("officer.new") == set()  # never deleted
    enabled_again = agency.admin(FIRST_ADMIN).put("/admin/users/officer.new/enabled",
                                                  {"enabled": True, "reason": "came back"})
    assert enabled_again.status_code == 409 and enabled_again.json()["error"] == "ACCOUNT_RETIRED"

    # The auditor's retirement removes a two-person role: a second administrator confirms it.
    pending = agency.admin(FIRST_ADMIN).post("/admin/users/auditor.new/retirement",
                                             {"reason": "moved to patrol"})
    assert pending.status_code == 202 and pending.json()["status"] == "pending"
    assert agency.groups("auditor.new") == {"auditor"}
    done = agency.admin(SECOND_ADMIN).post("/admin/users/auditor.new/pending-change/confirmation")
    assert done.status_code == 200 and done.json()["retired"] is True
    assert agency.clients["auditor.new"].get("/audit").json()["error"] == "ACCOUNT_DISABLED"

    bootstrap = agency.actions_on(FIRST_ADMIN)
    assert ("bootstrap_admin", "allowed", "", "bootstrap-admin") in bootstrap
    signed_in = {(record.entry.username, record.entry.action) for record in agency.records()
                 if record.entry.outcome == "allowed"}
    for username in (FIRST_ADMIN, SECOND_ADMIN, "auditor.new", "officer.new"):
        assert {(username, "set_password"), (username, "sign_in")} <= signed_in
    for username in (FIRST_ADMIN, SECOND_ADMIN, "officer.new"):
        assert (username, "enrol_authenticator") in signed_in
    assert [action for action, outcome, _, _ in agency.actions_on("auditor.new")
            if outcome == "allowed"] == [
        "invite_user", "confirm_account_change", "record_training", "approve_user",
        "propose_account_change", "confirm_account_change"]
    assert ("confirm_account_change", "refused", "SELF_CONFIRMATION", FIRST_ADMIN) in \
        agency.actions_on("auditor.new")
    assert [action for action, outcome, _, _ in agency.actions_on("officer.new")
            if outcome == "allowed"] == ["invite_user", "record_training", "approve_user",
                                         "retire_user"]
    assert ("enable_user", "refused", "ACCOUNT_RETIRED", FIRST_ADMIN) in \
        agency.actions_on("officer.new")
    assert [record.entry.refusal_code for record in agency.records()
            if record.entry.username == "officer.new" and record.entry.action == "sign_in"
            and record.entry.outcome == "refused"][-1] == "ACCOUNT_DISABLED"
    users = {row["username"]: row for row in agency.admin(FIRST_ADMIN).get(
        "/admin/users").json()["users"]}
    assert users["officer.new"]["retired"] is True and users["officer.new"]["groups"] == []


def test_bootstrap_admin_a_second_time_is_refused_and_recorded(
        agency: Agency, capsys: pytest.CaptureFixture[str]) -> None:
    assert accounts_cli(["bootstrap-admin", "--username", "second.chief",
                         "--email", "x@example.invalid", "--clets-cert-date", "2026-01-05",
                         "--vendor-training-date", "2026-01-06",
                         "--training-date", "2026-01-07"]) == 1
    assert "refused (ADMINISTRATOR_EXISTS)" in capsys.readouterr().err
    assert ("bootstrap_admin", "refused", "ADMINISTRATOR_EXISTS", "bootstrap-admin") in \
        agency.actions_on("second.chief")
    cognito: Any = boto3.client("cognito-idp")
    assert not cognito.list_users(UserPoolId=agency.pool, Filter='username = "second.chief"')[
        "Users"]


def test_an_administrator_cannot_grant_a_friend_or_themselves_a_two_person_role_alone(
        agency: Agency) -> None:
    deputy = agency.admin(SECOND_ADMIN)
    # The bootstrap exception is spent: a third administrator waits, even for the first one.
    friend = agency.invite(SECOND_ADMIN, "friend.admin", "administrator")
    assert friend["status"] == "pending" and friend["bootstrap_exception"] is False
    alone = deputy.post("/admin/users/friend.admin/pending-change/confirmation")
    assert alone.status_code == 403 and alone.json()["error"] == "SELF_CONFIRMATION"
    agency.sign_in_first_time("friend.admin")  # the account exists, without any role
    assert agency.clients["friend.admin"].get("/admin/users").status_code == 403
    assert agency.groups("friend.admin") == set()
    later = agency.invite(FIRST_ADMIN, "third.admin", "administrator")
    assert later["status"] == "pending" and later["bootstrap_exception"] is False

    # An officer made auditor by one administrator: pending, not confirmable by them.
    agency.invite(FIRST_ADMIN, "officer.two", "sworn_officer")
    raised = deputy.put("/admin/users/officer.two/role",
                        {"role": "auditor", "reason": "helps with audits"})
    assert raised.status_code == 202 and agency.groups("officer.two") == {"sworn_officer"}
    assert deputy.post("/admin/users/officer.two/pending-change/confirmation").json()[
        "error"] == "SELF_CONFIRMATION"
    withdrawn = deputy.post("/admin/users/officer.two/pending-change/decline",
                            {"reason": "asked the wrong person"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "declined"

    # Themselves: a change to one's own account is confirmed by someone else.
    own = deputy.put(f"/admin/users/{SECOND_ADMIN}/role", {"role": "auditor", "reason": "x"})
    assert own.status_code == 202
    assert deputy.post(f"/admin/users/{SECOND_ADMIN}/pending-change/confirmation").json()[
        "error"] == "SELF_CONFIRMATION"
    assert deputy.post(f"/admin/users/{SECOND_ADMIN}/pending-change/decline",
                       {"reason": "withdrawn"}).status_code == 200
    for code, target in (("SELF_CONFIRMATION", "friend.admin"),
                         ("SELF_CONFIRMATION", "officer.two"),
                         ("SELF_CONFIRMATION", SECOND_ADMIN)):
        assert ("confirm_account_change", "refused", code, SECOND_ADMIN) in \
            agency.actions_on(target)
    # Nor may they approve their own account or record their own training.
    approval = deputy.post(f"/admin/users/{SECOND_ADMIN}/approval", {"reason": "me"})
    training = deputy.put(f"/admin/users/{SECOND_ADMIN}/training", TRAINED)
    assert approval.status_code == training.status_code == 403
    assert approval.json()["error"] == training.json()["error"] == "SELF_APPROVAL"


def test_deleting_a_user_has_no_route_and_a_deletion_in_cognito_is_a_finding(
        agency: Agency) -> None:
    deputy = agency.admin(SECOND_ADMIN)
    answer = deputy.session.delete(f"{agency.stack.api_url}/admin/users/officer.two",
                                   headers=deputy.headers(True), timeout=30)
    assert answer.status_code in (403, 405)
    agency.invite(FIRST_ADMIN, "gone.user", "dispatcher")
    cognito: Any = boto3.client("cognito-idp")
    cognito.admin_delete_user(UserPoolId=agency.pool, Username="gone.user")
    findings = {(finding["kind"], finding["subject"])
                for finding in agency.monthly_report()["findings"]}
    assert ("account_deleted_outside_app", "gone.user") in findings


def test_a_role_granted_in_cognito_is_refused_a_finding_and_restored(agency: Agency) -> None:
    agency.invite(FIRST_ADMIN, "officer.three", "sworn_officer")
    agency.ready(SECOND_ADMIN, "officer.three")
    agency.sign_in_first_time("officer.three")
    officer = agency.clients["officer.three"]
    assert officer.search(plate="7ABC123", case_number=CASE).status_code == 200
    cognito: Any = boto3.client("cognito-idp")
    cognito.admin_add_user_to_group(UserPoolId=agency.pool, Username="officer.three",
                                    GroupName="administrator")  # in the Cognito console
    refused = officer.get("/admin/users")
    assert refused.status_code == 403 and refused.json()["error"] == \
        "ACCOUNT_CHANGED_OUTSIDE_APP"
    assert officer.search(plate="7ABC123", case_number=CASE).status_code == 403
    refusals = [record.entry for record in agency.records()
                if record.entry.username == "officer.three"
                and record.entry.refusal_code == "ACCOUNT_CHANGED_OUTSIDE_APP"]
    assert len(refusals) == 2

    report = agency.monthly_report()
    finding = next(finding for finding in report["findings"]
                   if finding["kind"] == "role_changed_outside_app")
    assert finding["subject"] == "officer.three"
    assert "administrator" in finding["detail"]
    named_alone = {finding["subject"] for finding in report["findings"]
                   if finding["kind"] == "administrator_named_alone"}
    assert named_alone == {FIRST_ADMIN, SECOND_ADMIN}
    listed = {row["username"]: row for row in agency.admin(FIRST_ADMIN).get(
        "/admin/users").json()["users"]}
    assert "administrator" in listed["officer.three"]["outside_change"]

    restored = agency.admin(FIRST_ADMIN).post("/admin/users/officer.three/restoration",
                                              {"reason": "granted in the console by mistake"})
    assert restored.status_code == 200
    assert agency.groups("officer.three") == {"sworn_officer"}
    assert officer.search(plate="7ABC123", case_number=CASE).status_code == 200
    again = {finding["kind"] for finding in agency.monthly_report()["findings"]
             if finding["subject"] == "officer.three"}
    assert "role_changed_outside_app" not in again


def test_smoke_checks_a_deployment_one_line_each_and_writes_no_plate_data(
        agency: Agency) -> None:
    dynamodb: Any = boto3.client("dynamodb")
    reads = agency.stack.environment["PLATEKEEPER_READS_TABLE"]
    before = dynamodb.scan(TableName=reads, Select="COUNT")["Count"]
    lines: list[str] = []
    smoke = Smoke(agency.stack.api_url, SECOND_ADMIN, agency.passwords[SECOND_ADMIN],
                  lambda: str(code_for(SECOND_ADMIN)))
    assert smoke.run(lines.append), lines
    assert [line.split(":")[1].strip() for line in lines[:-1]] == [
        "health", "openapi", "public-page", "console", "unauthenticated-search-refused",
        "sign-in", "refusal-recorded"]
    assert all(": ok (" in line for line in lines[:-1])
    assert lines[-1] == "smoke: 7 of 7 checks ok"
    assert dynamodb.scan(TableName=reads, Select="COUNT")["Count"] == before
    refused = [record.entry for record in agency.records()
               if record.entry.case_number == smoke.case_number]
    assert [(entry.outcome, entry.refusal_code) for entry in refused] == [
        ("refused", "UNAUTHENTICATED")]
    assert not refused[0].query.get("plate")
    wrong = Smoke(agency.stack.api_url, SECOND_ADMIN, "not-the-password", lambda: "000000")
    failed: list[str] = []
    assert not wrong.run(failed.append)
    assert any(line.startswith("smoke: sign-in: FAILED") for line in failed)


def test_a_pending_change_written_into_the_register_cannot_be_confirmed(agency: Agency) -> None:
    """Someone with the application's database permissions plants a proposal in the register
    (the officer made administrator, "proposed" by the first administrator): a second
    administrator's confirmation checks it against the access record and refuses it."""
    register = AccountRegister(boto3.client("dynamodb"),
                               agency.stack.environment["PLATEKEEPER_ACCOUNT_REGISTER_TABLE"])
    agency.invite(FIRST_ADMIN, "officer.four", "sworn_officer")
    entry = register.get("officer.four")
    assert entry is not None
    register.replace(replace(entry, pending=PendingChange(
        "forged-1", ChangeKind.ROLE, Role.ADMINISTRATOR, False, "promotion", FIRST_ADMIN,
        format_time(agency.stack.clock()), entry.last_seq)))
    refused = agency.admin(SECOND_ADMIN).post(
        "/admin/users/officer.four/pending-change/confirmation")
    assert refused.status_code == 409 and refused.json()["error"] == "CHANGE_UNVERIFIED"
    assert agency.groups("officer.four") == {"sworn_officer"}
    assert ("confirm_account_change", "refused", "CHANGE_UNVERIFIED", SECOND_ADMIN) in \
        agency.actions_on("officer.four")
