"""The monthly audit (policy 428.6(c)) on a stack of its own: a month of activity through the API
with violations planted among it, the 1st-of-month schedule fired, and the report read back.

The report must name each planted violation and nothing else. The clock is moved into last month
for the activity, so this module runs its own stack (the session stack's tests expect "now").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import requests

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.holds_table import HoldsTable
from chalicelib.adapters.hotlist_table import HotlistTable
from chalicelib.adapters.reads_table import ReadsTable
from chalicelib.audit.__main__ import main as audit_cli
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.holds import Hold
from chalicelib.domain.hotlist import HotlistEntry
from chalicelib.domain.monthly_audit import ReportPeriod
from chalicelib.domain.reads import Read, format_time, read_id_for
from chalicelib.policy.retention import expiry_epoch
from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser, create_user
from local_stack.stack import RunningStack

pytestmark = pytest.mark.integration
LOCAL = ZoneInfo("America/Los_Angeles")
CASE = "2026-004100"
STALKED = "8STK001"
PUBLIC_PLATE = "5PUB555"


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with RunningStack(pump_in_background=False) as running:
        yield running


@pytest.fixture(scope="module")
def period(stack: RunningStack) -> ReportPeriod:
    return ReportPeriod.previous(stack.clock())


class Month:
    """Acts in the report month: moves the stack's clock to a local time of one of its days."""

    def __init__(self, stack: RunningStack, period: ReportPeriod) -> None:
        self.stack = stack
        self.period = period
        self.users: dict[str, ApiClient] = {}

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        start = self.period.start
        local = datetime(start.year, start.month, day, hour, minute, tzinfo=LOCAL)
        return local

    def move_to(self, moment: datetime) -> None:
        self.stack.clock.advance((moment - self.stack.clock()).total_seconds())

    def back_to_now(self) -> None:
        self.stack.clock.advance(-self.stack.clock.offset_seconds)

    def user(self, username: str, group: str = "sworn_officer", *, certified: date | None = None,
             approved: date | None = None) -> DemoUser:
        reference = self.period.start.date()
        trained = (reference - timedelta(days=60)).isoformat()
        account = DemoUser(username, f"Pw-{uuid.uuid4().hex[:10]}!Aa1", group, trained,
                           (certified or reference - timedelta(days=60)).isoformat(),
                           approved_on=(approved or reference - timedelta(days=5)).isoformat())
        env = self.stack.environment
        create_user(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                    account)
        return account

    def client(self, account: DemoUser) -> ApiClient:
        if account.username not in self.users:
            self.users[account.username] = ApiClient(self.stack.api_url).login(
                account.username, account.password)
        return self.users[account.username]

    def search(self, account: DemoUser, moment: datetime, plate: str, **body: Any) -> None:
        self.move_to(moment)
        response = self.client(account).search(plate=plate, case_number=CASE, **body)
        assert response.status_code == 200, response.text


def generate_month(month: Month) -> set[tuple[str, str]]:
    """Ordinary use plus one of each violation; returns what the report must name."""
    normal = month.user("officer.normal")
    analyst = month.user("analyst.normal", "crime_analyst")
    repeat = month.user("officer.repeat")
    sweep = month.user("analyst.sweep", "crime_analyst")
    night = month.user("officer.night")
    lapsed = month.user("officer.lapsed", certified=month.period.end.date() - timedelta(days=800))
    month.user("officer.idle", approved=month.period.end.date() - timedelta(days=120))
    for index, day in enumerate((2, 6, 13, 20, 23)):  # daytime, valid, varied
        month.search(normal, month.at(day, 10 + index % 6), f"5NRM{index:03d}")
        month.search(analyst, month.at(day, 14), f"6ANL{index:03d}", purpose="warrant")
    for day in (3, 5, 7, 9, 11):  # one plate again and again
        month.search(repeat, month.at(day, 11), STALKED)
    for index in range(10):  # ten wildcard searches in one morning
        moment = month.at(12, 9, index * 4)
        month.search(sweep, moment, f"7AB{index}*", mode="partial",
                     purpose="crime_scene_canvass",
                     **{"from": (moment - timedelta(days=2)).isoformat(),
                        "to": moment.isoformat()})
    for index in range(10):  # ten searches at two in the morning
        month.search(night, month.at(14, 2, index), f"6NGT{index:03d}")
    month.move_to(month.at(15, 11))
    refused = month.client(lapsed).search(plate="7LPS777", case_number=CASE)
    assert refused.json()["error"] == "CERTIFICATION_EXPIRED"
    guardrail_activity(month)
    month.back_to_now()
    plant_records(month)
    return {
        ("search_without_valid_purpose", "officer.nocase"),
        ("repeated_plate_searches", "officer.repeat"),
        ("bulk_wildcard_searches", "analyst.sweep"),
        ("off_hours_spike", "officer.night"),
        ("training_or_certification_lapsed", "officer.lapsed"),
        ("idle_account", "officer.idle"),
        ("hold_past_review", "hold-overdue"),
        ("read_past_retention", "read-lingering"),
        ("release_request_prohibited", "rel-federal"),
        # Written straight into the table: approved, but no directory entry stands behind it.
        ("release_to_new_agency", "rel-county"),
        ("hotlist_entry_without_case_number", "he-no-case"),
        ("hotlist_entry_expired_not_removed", "he-expired"),
        ("case_number_one_user_many_plates", "officer.catchall"),
        ("extended_search_without_authority", "officer.longnoauth"),
        ("account_locked_after_failed_sign_ins", "officer.locked"),
    }


PAGED_PAGES = 6


def guardrail_activity(month: Month) -> None:
    """Issue 17 through the API: one case number stretched over ten unrelated plates, a search
    paged six times (one search), a year on a warrant (listed, not flagged), and an account
    locked by five wrong passwords."""
    catchall = month.user("officer.catchall")
    for index, plate in enumerate(("1CAT111", "2DOG222", "3EMU333", "4FOX444", "5GNU555",
                                   "6HEN666", "7IBX777", "8JAY888", "9KOI999", "1LYN000")):
        month.move_to(month.at(16, 9, index))
        response = month.client(catchall).search(plate=plate, case_number="2026-004999")
        assert response.status_code == 200, response.text
    pager = month.user("officer.pager")
    for day in range(1, 7):  # six reads of one plate (the month before), one per page
        month.move_to(month.period.start - timedelta(days=day))
        seed_read(month, "2PGE222")
    month.move_to(month.at(17, 10))
    page = month.client(pager).search(plate="2PGE222", case_number=CASE, page_size=1)
    for _ in range(PAGED_PAGES - 1):
        page = month.client(pager).search(plate="2PGE222", case_number=CASE, page_size=1,
                                          cursor=page.json()["next_cursor"])
        assert page.status_code == 200, page.text
    longview = month.user("officer.longview")
    moment = month.at(18, 10)
    month.search(longview, moment, "3LNG333", authority={"kind": "warrant",
                                                         "reference": "SW-2026-0777"},
                 **{"from": (moment - timedelta(days=300)).isoformat()})
    locked = month.user("officer.locked")
    month.move_to(month.at(19, 10))
    for _ in range(5):
        wrong = requests.post(f"{month.stack.api_url}/auth/login", timeout=30, json={
            "username": locked.username, "password": "Not-The-Password-1!"})
        assert wrong.status_code == 401


def seed_read(month: Month, plate: str) -> None:
    captured = month.stack.clock()
    ReadsTable(boto3.client("dynamodb"), month.stack.environment["PLATEKEEPER_READS_TABLE"]
               ).put_new(Read(read_id=read_id_for(f"pager-{uuid.uuid4()}", None, 0),
                              plate=plate, captured_at=format_time(captured),
                              camera_id="cam-pg", confidence=0.9,
                              image_key="cameras/cam-pg/x.jpg",
                              expires_at=expiry_epoch(captured, 365)))


def plant_records(month: Month) -> None:
    """What the API cannot produce (it refuses these), as other paths or time would leave it."""
    env = month.stack.environment
    dynamodb: Any = boto3.client("dynamodb")
    start, end = month.period.start, month.period.end
    audit = AuditLog(dynamodb, env["PLATEKEEPER_AUDIT_TABLE"])
    nocase_at = start + timedelta(days=8, hours=18)
    audit.append(AuditEntry(
        format_time(nocase_at), "id-nocase", "officer.nocase", "PD", "sworn_officer",
        "search_reads", "allowed", {"plate": "4NOC444", "mode": "exact",
                                    "from": format_time(nocase_at - timedelta(days=7))},
        "stolen_vehicle", "", 0))
    long_at = start + timedelta(days=9, hours=18)  # a year of one car, on no authority
    audit.append(AuditEntry(
        format_time(long_at), "id-longnoauth", "officer.longnoauth", "PD", "sworn_officer",
        "search_reads", "allowed", {"plate": "4LNG444", "mode": "exact",
                                    "from": format_time(long_at - timedelta(days=360))},
        "stolen_vehicle", "2026-004100", 40))
    holds = HoldsTable(dynamodb, env["PLATEKEEPER_HOLDS_TABLE"])
    for hold_id, review in (("hold-overdue", start.date() + timedelta(days=10)),
                            ("hold-in-order", end.date() + timedelta(days=200))):
        holds.put(Hold(hold_id, "2026-004200", "evidence", "officer.normal", "admin.x",
                       format_time(start - timedelta(days=40)), review, read_ids=("r-1",)))
    reads = ReadsTable(dynamodb, env["PLATEKEEPER_READS_TABLE"])
    lingering = end - timedelta(days=365 + 20)
    recent = month.stack.clock() - timedelta(days=1)
    for read_id, plate, captured in (("read-lingering", "4OLD444", lingering),
                                     (read_id_for("public", None, 0), PUBLIC_PLATE, recent)):
        reads.put_new(Read(read_id, plate, format_time(captured), "cam-a", 0.9,
                           f"cameras/cam-a/{read_id}.jpg", expiry_epoch(captured, 365)))
    for request_id, status, agency, jurisdiction in (
            ("rel-federal", "prohibited", "Federal Agency", "federal"),
            ("rel-county", "approved", "County District Attorney", "CA"),
            ("rel-denied", "denied", "City PD", "CA")):
        filed = format_time(start + timedelta(days=6))
        dynamodb.put_item(TableName=env["PLATEKEEPER_RELEASES_TABLE"], Item={
            "request_id": {"S": request_id}, "status": {"S": status}, "filed_at": {"S": filed},
            "decided_at": {"S": format_time(start + timedelta(days=7))},
            "agency": {"S": agency}, "jurisdiction": {"S": jurisdiction}})
    in_month = start + timedelta(days=3)
    hotlist = HotlistTable(dynamodb, env["PLATEKEEPER_HOTLIST_TABLE"])
    hotlist.put_many([
        custom_entry("he-in-order", CASE, int((end + timedelta(days=25)).timestamp()), in_month),
        custom_entry("he-no-case", "", int((end + timedelta(days=25)).timestamp()), in_month),
        custom_entry("he-expired", CASE, int((end - timedelta(days=10)).timestamp()), in_month),
    ])


def custom_entry(entry_id: str, case_number: str, expires_at: int,
                 loaded: datetime) -> HotlistEntry:
    return HotlistEntry(entry_id=entry_id, plate="3HOT" + entry_id[-3:].upper().replace("-", "X"),
                        is_pattern=False, state="CA", category="stolen_vehicle", source="custom",
                        case_number=case_number, reason="stolen", added_by="officer.normal",
                        approved_by="admin.x", list_name="custom",
                        listed_on=loaded.date().isoformat(), loaded_at=loaded.isoformat(),
                        expires_at=expires_at, priority=3)


def notices_queue(stack: RunningStack) -> str:
    """An SQS queue subscribed to the notices topic, to read what the administrator receives."""
    sqs: Any = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"notices-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=stack.environment["PLATEKEEPER_NOTICES_TOPIC_ARN"],
                                  Protocol="sqs", Endpoint=arn,
                                  Attributes={"RawMessageDelivery": "true"})
    return str(url)


@pytest.fixture(scope="module")
def built(stack: RunningStack, period: ReportPeriod) -> dict[str, Any]:
    month = Month(stack, period)
    planted = generate_month(month)
    queue = notices_queue(stack)
    auditor = month.user("auditor.check", "auditor")
    # In AWS the five-minute checkpoint has signed the head long before 06:00 on the 1st.
    stack.event_pump.fire_schedule("checkpoint")
    [published] = stack.event_pump.fire_schedule("monthly_audit")
    messages = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                                   WaitTimeSeconds=1).get("Messages", [])
    return {"planted": planted, "published": published, "messages": messages,
            "auditor": month.client(auditor), "officer": month.users["officer.normal"]}


def stored_report(stack: RunningStack, key: str) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=stack.environment["PLATEKEEPER_REPORTS_BUCKET"],
                                         Key=key)["Body"].read()
    return dict(json.loads(body))


def test_the_report_names_each_planted_violation_and_nothing_else(
        stack: RunningStack, period: ReportPeriod, built: dict[str, Any]) -> None:
    published = built["published"]
    assert published["month"] == period.month
    report = stored_report(stack, published["json_key"])
    named = {(finding["kind"], finding["subject"]) for finding in report["findings"]}
    assert named == built["planted"]
    repeated = next(finding for finding in report["findings"]
                    if finding["kind"] == "repeated_plate_searches")
    assert repeated["facts"]["plate"] == STALKED and repeated["facts"]["searches"] == 5
    summary = report["summary"]
    # The API's (the six pages of one search counted once) and the two planted ones.
    assert summary["searches"] == 5 + 5 + 5 + 10 + 10 + 10 + 1 + 1 + 2
    assert report["access"]["search_pages"] == summary["searches"] + PAGED_PAGES - 1
    # Five wrong passwords and the lock they caused are refused attempts too.
    assert report["refusals"]["by_code"] == {"CERTIFICATION_EXPIRED": 1, "WRONG_PASSWORD": 5,
                                             "TOO_MANY_FAILED_SIGN_INS": 1}
    assert summary["refused_attempts"] == 7
    extended = report["extended_searches"]
    assert [(row["username"], row["authority"], row["authority_ref"])
            for row in extended["searches"]] == [("officer.longnoauth", "", ""),
                                                  ("officer.longview", "warrant",
                                                   "SW-2026-0777")]
    lock = next(finding for finding in report["findings"]
                if finding["kind"] == "account_locked_after_failed_sign_ins")
    assert lock["facts"]["locked_until"] > lock["facts"]["locked_from"]
    assert report["access"]["by_role"]["crime_analyst"] == 15
    assert report["access"]["by_purpose"]["warrant"] == 5
    assert report["releases"]["decided"] == {"approved": 1, "denied": 1, "prohibited": 1,
                                             "routed": 0}
    assert report["audit_chain"]["intact"] is True
    # Built against the signed checkpoint, which covers every record of the month.
    assert report["anchoring"]["month_anchored"] is True
    assert report["anchoring"]["checkpoint_document"]["signature"]["key_id"] == (
        stack.environment["PLATEKEEPER_CHECKPOINT_KEY_ARN"])
    assert {question["status"] for question in report["questions"]} == {"clear", "review"}


def test_the_report_is_stored_encrypted_and_the_administrator_notified_without_plates(
        stack: RunningStack, period: ReportPeriod, built: dict[str, Any]) -> None:
    s3: Any = boto3.client("s3")
    bucket = stack.environment["PLATEKEEPER_REPORTS_BUCKET"]
    for key in (f"monthly/{period.month}/report.json", f"monthly/{period.month}/report.html"):
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
    [message] = built["messages"]
    text = message["Body"]
    assert period.month in text and f"monthly/{period.month}/report.html" in text
    for private in (STALKED, "4OLD444", "officer.repeat", "officer.nocase"):
        assert private not in text


def test_auditors_list_read_and_rebuild_reports_through_the_api(
        stack: RunningStack, period: ReportPeriod, built: dict[str, Any]) -> None:
    auditor: ApiClient = built["auditor"]
    listed = auditor.get("/reports/monthly")
    assert listed.status_code == 200
    assert [row["month"] for row in listed.json()["reports"]] == [period.month]
    fetched = auditor.get(f"/reports/monthly/{period.month}")
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["html_url_expires_in"] == 300
    page = requests.get(body["html_url"], timeout=30)
    assert page.status_code == 200 and "<svg" in page.text and "<script" not in page.text
    assert "officer.repeat" in page.text
    rebuilt = auditor.post("/reports/monthly", {"month": period.month})
    assert rebuilt.status_code == 201 and rebuilt.json()["findings"] == len(built["planted"])
    assert auditor.post("/reports/monthly", {"month": "2999-01"}).json()["error"] == \
        "MONTH_INVALID"
    assert auditor.get("/reports/monthly/1999-01").status_code == 400
    missing = auditor.get(f"/reports/monthly/{ReportPeriod.previous(period.start).month}")
    assert missing.status_code == 404
    actions = [record.entry.action for record in AuditLog(
        boto3.client("dynamodb"), stack.environment["PLATEKEEPER_AUDIT_TABLE"]).records()]
    assert {"list_monthly_reports", "read_monthly_report", "build_monthly_report"} <= set(
        actions)


def test_officers_and_strangers_cannot_read_reports(built: dict[str, Any],
                                                    stack: RunningStack) -> None:
    officer: ApiClient = built["officer"]
    refused = officer.get("/reports/monthly")
    assert (refused.status_code, refused.json()["error"]) == (403, "ROLE_NOT_PERMITTED")
    assert requests.get(f"{stack.api_url}/reports/monthly", timeout=30).status_code == 401


def test_the_public_page_shows_live_figures_and_the_policy_without_plates_or_names(
        stack: RunningStack, period: ReportPeriod, built: dict[str, Any]) -> None:
    page = requests.get(f"{stack.api_url}/transparency", timeout=30)
    figures = requests.get(f"{stack.api_url}/transparency.json", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    body = figures.json()
    assert body["last_monthly_audit"]["month"] == period.month
    assert body["reads_last_30_days"] == 1 and body["retention_days"] == 365
    assert "sworn_officer" in {role["role"] for role in body["authorized_roles"]}
    assert "Sharing" in page.text and "posted policy" in page.text
    for private in (PUBLIC_PLATE, STALKED, "officer.repeat", "analyst.sweep"):
        assert private not in page.text and private not in figures.text


def test_make_audit_now_builds_a_month_from_the_command_line(
        period: ReportPeriod, built: dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # What `make audit-now MONTH=...` runs, in this process (it reads the same environment).
    assert audit_cli(["report", "--month", period.month, "--save", str(tmp_path)]) == 0
    printed = capsys.readouterr()
    assert f"audit report {period.month}: {len(built['planted'])} findings" in printed.out
    assert "link (valid 5 minutes): http" in printed.out
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert audit_cli(["report", "--month", "2026-13"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
