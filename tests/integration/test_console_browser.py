"""The web console in a real browser (Debian's headless Chromium driven by Playwright) against the
running local stack: an administrator files a request from a letter (the agency picked from the
directory), cannot approve it herself, denies a prohibited one; a second administrator approves
it after ticking its warnings; two administrators add a directory entry; an officer searches; an
auditor sees only the access record. Screenshots of every page go to build/screenshots/."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser, one_time_code
from local_stack.stack import RunningStack
from tests.integration.conftest import directory_entry
from tests.integration.test_release_requests import letter_request

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
# As root and on a closed network Chromium needs these (see the project README).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PLATE = "5REL123"
# Sign-in and searches go through moto's Cognito and DynamoDB; a busy CI machine is slow.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Not a skip: `make test` installs Debian's chromium first, so its absence is a failure.
    assert CHROMIUM.exists(), "Debian's chromium is missing: run `make browser` (make test does)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    context.set_default_timeout(30_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def reads_for_release(local_stack: RunningStack) -> int:
    """Three reads of PLATE at cam-rel in the last days (the data an agency will ask for)."""
    from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
    from local_stack.seed import store_reads

    now = local_stack.clock()
    reads = []
    for index, hours in enumerate((5, 29, 53)):
        captured = now - timedelta(hours=hours)
        reads.append(Read(read_id=read_id_for(f"console-{uuid.uuid4()}", None, index),
                          plate=PLATE, captured_at=format_time(captured), camera_id="cam-rel",
                          confidence=0.93, image_key="cameras/cam-rel/seed.jpg",
                          expires_at=int((captured + timedelta(days=365)).timestamp()),
                          candidates=(Candidate(PLATE, 0.93),)))
    store_reads(local_stack.environment, reads)
    return 3


def sign_in(page: Page, base: str, user: DemoUser) -> None:
    page.goto(f"{base}/console")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    if user.mfa:
        page.get_by_label("One-time code").fill(one_time_code(user.totp_secret))
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_contain_text(user.username)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def confirm(page: Page) -> None:
    dialog = page.locator("dialog#confirm")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").focus()  # reachable by keyboard
    dialog.locator("#confirm-ok").click()


def test_administrator_works_the_release_queue(
        page: Page, browser: Browser, local_stack: RunningStack,
        demo_users: dict[str, DemoUser], client_for: Callable[[str], ApiClient],
        reads_for_release: int) -> None:
    sheriff = directory_entry(client_for, "Santa Clara County Sheriff's Office", "CA9TEST05",
                              ["sheriff.example.gov"])
    admin = client_for("admin.demo")
    banned = admin.post("/releases", letter_request(
        agency_name="U.S. Immigration and Customs Enforcement", plate=PLATE,
        now=local_stack.clock()))
    assert banned.status_code == 201, banned.text

    base = local_stack.api_url
    sign_in(page, base, demo_users["admin.demo"])
    shot(page, "01-login-admin-release-queue")
    expect(page.get_by_role("link", name="Release requests")).to_be_visible()

    # File the sheriff's letter through the form, picking the agency from the directory.
    form = page.locator("#file-request")
    form.get_by_label("Agency (from the directory)").fill("Santa Clara County Sheriff's Office")
    expect(form.locator("#agency-facts")).to_contain_text(sheriff["ori"])
    form.get_by_label("Sent from (e-mail address of the letter)").fill(
        "arivera@sheriff.example.gov")
    form.get_by_label("Requester's name").fill("Det. A. Rivera")
    form.get_by_label("Requester's e-mail or phone").fill("arivera@sheriff.example.gov")
    form.get_by_label("Purpose").select_option("stolen_vehicle")
    form.get_by_label("Intended use (from the letter)").fill("Carjacking; vehicle outstanding")
    form.get_by_label("Their case number").fill("SO-26-7001")
    form.get_by_label("Plate", exact=True).fill(PLATE)
    form.locator("input[name=document]").set_input_files(
        {"name": "request.pdf", "mimeType": "application/pdf",
         "buffer": b"%PDF-1.4 Santa Clara County Sheriff request SO-26-7001"})
    shot(page, "02-file-request-form")
    form.get_by_role("button", name="File request").click()
    expect(page.locator("#message")).to_contain_text("Request filed as pending")

    # The filer sees the directory facts but no Approve button: a second person decides.
    row = page.locator("#release-list tr", has_text="Santa Clara County Sheriff")
    row.first.get_by_role("button", name="Open").click()
    detail = page.locator("#release-detail")
    expect(detail).to_contain_text("SO-26-7001")
    expect(detail).to_contain_text(sheriff["ori"])
    expect(detail.locator("#own-request")).to_contain_text("two-person rule")
    expect(detail.get_by_role("button", name="Approve and export")).to_have_count(0)
    shot(page, "03-own-request-no-approve")

    # The federal request: prohibited, no approve button anywhere; the denial is recorded.
    page.get_by_role("button", name="prohibited").click()
    page.locator("#release-list tr", has_text="Immigration").first.get_by_role(
        "button", name="Open").click()
    expect(page.locator("#prohibited-banner")).to_contain_text("Sharing prohibited by law")
    expect(detail.get_by_role("button", name="Approve and export")).to_have_count(0)
    detail.get_by_label("Reason (kept on file)").fill("Civil Code 1798.90.55(b)")
    detail.get_by_role("button", name="Deny").click()
    confirm(page)
    expect(page.locator("#message")).to_contain_text("Request denied")
    shot(page, "04-prohibited-request-denied")
    request_id = banned.json()["request_id"]
    forced = client_for("admin2.demo").post(f"/releases/{request_id}/approval",
                                            {"reason": "try anyway"})
    assert forced.status_code == 403 and forced.json()["error"] == "RELEASE_PROHIBITED"

    for name in ("holds", "alerts", "audit", "search"):
        page.get_by_role("link", name={"holds": "Holds", "alerts": "Alerts",
                                       "audit": "Audit log", "search": "Search"}[name]).click()
        expect(page.locator("main h1")).to_be_visible()
        shot(page, f"05-admin-{name}")

    # A second administrator approves, ticking the warning shown next to Approve.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    second = context.new_page()
    try:
        sign_in(second, base, demo_users["admin2.demo"])
        row = second.locator("#release-list tr", has_text="Santa Clara County Sheriff")
        row.first.get_by_role("button", name="Open").click()
        panel = second.locator("#release-detail")
        warnings = panel.locator("#warnings")
        expect(warnings).to_contain_text("confirmed in the directory only")
        panel.get_by_label("Reason (kept on file)").fill("Written request verified by phone")
        panel.get_by_role("button", name="Approve and export").click()
        confirm(second)
        expect(second.locator("#message")).to_contain_text("acknowledge each warning")
        for box in warnings.locator("input[type=checkbox]").all():
            box.check()
        shot(second, "06-second-administrator-acknowledges-warnings")
        panel.get_by_role("button", name="Approve and export").click()
        confirm(second)
        expect(second.locator("#message")).to_contain_text(f"Approved: {reads_for_release} reads")
        expect(second.locator("#delivery")).to_contain_text("download package")
        shot(second, "07-request-approved-by-second-administrator")
    finally:
        context.close()
    approved = admin.get("/releases", {"status": "approved"}).json()["requests"]
    mine = next(item for item in approved if item["case_number"] == "SO-26-7001")
    assert mine["reads_released"] == reads_for_release and mine["decided_by"] == "admin2.demo"
    assert mine["filed_by"] == "admin.demo" and mine["acknowledged_warnings"] == ["AGENCY_NEW"]


def test_the_directory_needs_two_administrators_in_the_console(
        page: Page, browser: Browser, local_stack: RunningStack,
        demo_users: dict[str, DemoUser]) -> None:
    base = local_stack.api_url
    sign_in(page, base, demo_users["admin.demo"])
    page.get_by_role("link", name="Agency directory").click()
    form = page.locator("#propose-agency")
    form.get_by_label("Name", exact=True).fill("Chico Police Department")  # from the seed file
    expect(form.get_by_label("County", exact=True)).to_have_value("Butte")
    form.get_by_label("ORI", exact=True).fill("CA9TEST06")
    form.get_by_label("Mail domains", exact=True).fill("chicopd.example.gov")
    shot(page, "08-propose-agency")
    form.get_by_role("button", name="Propose").click()
    expect(page.locator("#message")).to_contain_text("a second administrator must confirm it")
    waiting = page.locator("#awaiting-confirmation")
    expect(waiting).to_contain_text("Chico Police Department")
    waiting.locator("tr", has_text="Chico").get_by_role("button", name="Review").click()
    expect(page.locator("#own-proposal")).to_contain_text("second administrator")
    expect(page.locator("#confirm-agency")).to_be_disabled()
    shot(page, "09-own-proposal-awaiting-second-administrator")

    # A federal body is refused with the law named, before anything is stored.
    form = page.locator("#propose-agency")
    form.get_by_label("Name", exact=True).fill("U.S. Immigration and Customs Enforcement")
    form.get_by_label("ORI", exact=True).fill("CA9TEST07")
    form.get_by_label("County", exact=True).fill("Santa Clara")
    form.get_by_role("button", name="Propose").click()
    expect(page.locator("#message .error")).to_contain_text("1798.90.55(b)")

    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    second = context.new_page()
    try:
        sign_in(second, base, demo_users["admin2.demo"])
        second.get_by_role("link", name="Agency directory").click()
        second.locator("#awaiting-confirmation tr", has_text="Chico").get_by_role(
            "button", name="Review").click()
        second.locator("#confirm-agency").click()
        confirm(second)
        expect(second.locator("#message")).to_contain_text("Chico Police Department confirmed")
        expect(second.locator("#agency-list")).to_contain_text("Chico Police Department")
        shot(second, "10-directory-confirmed-by-second-administrator")
    finally:
        context.close()


def test_officer_searches_and_sees_only_officer_pages(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        reads_for_release: int) -> None:
    sign_in(page, local_stack.api_url, demo_users["officer.demo"])
    nav = page.locator("#nav")
    expect(nav.get_by_role("link")).to_have_text(["Search", "Alerts"])
    page.get_by_label("Plate", exact=True).fill(PLATE)
    page.get_by_label("Purpose").select_option("stolen_vehicle")
    page.get_by_label("Case number").fill("2026-004411")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(reads_for_release)
    rows.first.get_by_role("button", name="View").click()
    expect(page.locator("#read-detail")).to_contain_text("links valid 5 min")
    shot(page, "06-officer-search")

    # A missing case number is explained in plain words by the server's own message.
    page.get_by_label("Case number").fill("")
    page.evaluate("document.getElementById('case_number').removeAttribute('required')")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#message .error")).to_contain_text("case or incident number")


def test_auditor_sees_the_access_record_only_and_tablet_layout_fits(
        browser: Browser, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        client_for: Callable[[str], ApiClient]) -> None:
    assert client_for("officer.demo").search(plate=PLATE).status_code == 200  # a record to show
    context = browser.new_context(viewport={"width": 820, "height": 1180}, timezone_id="UTC")
    page = context.new_page()
    try:
        sign_in(page, local_stack.api_url, demo_users["auditor.demo"])
        expect(page.locator("#nav").get_by_role("link")).to_have_text(["Audit log"])
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#audit-results table")).to_contain_text("officer.demo")
        overflow: Any = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "the page scrolls sideways at tablet width"
        expect(page.locator("#monthly-reports")).to_contain_text("Monthly audit reports")
        shot(page, "07-auditor-audit-log-tablet")
        page.goto(f"{local_stack.api_url}/console#/releases")
        expect(page.locator("main h1")).to_have_text("Audit log")  # no way into other pages
    finally:
        context.close()


def test_a_long_window_asks_for_legal_authority_before_the_search(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        reads_for_release: int) -> None:
    sign_in(page, local_stack.api_url, demo_users["officer.demo"])
    authority = page.locator("#authority")
    expect(authority).to_be_hidden()  # the default week needs none
    page.get_by_label("Plate", exact=True).fill(PLATE)
    page.get_by_label("Purpose").select_option("criminal_investigation")
    page.get_by_label("Case number").fill("2026-004412")
    page.get_by_label("From").fill("2026-01-01T00:00")
    expect(authority).to_be_visible()
    expect(page.locator("#authority-why")).to_contain_text("more than 30 days")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#message .error")).to_contain_text("warrant number")
    page.get_by_label("Number", exact=True).fill("SW-2026-0042")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results tbody tr")).to_have_count(reads_for_release)
    expect(page.locator("#search-summary")).to_contain_text("recorded as one search")
    shot(page, "09-officer-search-with-warrant")


def test_the_console_locks_itself_after_30_idle_minutes(
        browser: Browser, local_stack: RunningStack, demo_users: dict[str, DemoUser]) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    page = context.new_page()
    try:
        page.clock.install()
        sign_in(page, local_stack.api_url, demo_users["officer.demo"])
        page.clock.fast_forward("29:00")
        expect(page.locator("#who")).to_contain_text("officer.demo")  # still open
        page.get_by_label("Plate", exact=True).click()  # activity restarts the clock
        page.clock.fast_forward("29:00")
        expect(page.locator("#who")).to_contain_text("officer.demo")
        page.clock.fast_forward("02:00")
        expect(page.locator("#message")).to_contain_text("locked itself after 30 minutes")
        expect(page.get_by_label("Username")).to_be_visible()
        shot(page, "10-session-locked")
    finally:
        context.close()


def test_a_supervisor_approves_an_extended_search_for_another_officer(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser]) -> None:
    sign_in(page, local_stack.api_url, demo_users["sergeant.demo"])
    page.get_by_role("link", name="Approvals").click()
    form = page.locator("#approval-form")
    form.get_by_label("Officer's username").fill("sergeant.demo")
    form.get_by_label("Plate").fill(PLATE)
    form.get_by_label("Case number").fill("2026-004413")
    form.get_by_label("Reason (kept on file)").fill("Burglary series, suspect vehicle")
    form.get_by_role("button", name="Approve").click()
    expect(page.locator("#message .error")).to_contain_text("cannot approve their own")
    form.get_by_label("Officer's username").fill("officer.demo")
    form.get_by_role("button", name="Approve").click()
    expect(page.locator("#message")).to_contain_text("Approved for officer.demo")
    expect(page.locator("#approval-result")).to_contain_text(PLATE)
    shot(page, "11-supervisor-approval")
def test_administrator_sees_refused_and_duplicate_camera_uploads(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        client_for: Callable[[str], ApiClient]) -> None:
    admin = client_for("admin.demo")
    camera = admin.post("/admin/cameras", {"camera_id": f"ui-{uuid.uuid4().hex[:6]}",
                                           "name": "console pole", "kind": "fixed",
                                           "lat": 37.3, "lon": -121.9, "heading": 0}).json()
    stray = f"cameras/{camera['camera_id']}/{local_stack.clock().date()}/stray.jpg"
    boto3.client("s3").put_object(Bucket=local_stack.environment["PLATEKEEPER_RAW_BUCKET"],
                                  Key=stray, Body=b"\xff\xd8\xffstray")
    local_stack.event_pump.drain()
    sign_in(page, local_stack.api_url, demo_users["admin.demo"])
    page.get_by_role("link", name="Camera uploads").click()
    expect(page.locator("main h1")).to_have_text("Camera uploads")
    page.get_by_label("Camera", exact=True).fill(camera["camera_id"])
    page.get_by_role("button", name="Show", exact=True).click()
    exceptions = page.locator("#upload-exceptions tbody tr")
    expect(exceptions).to_have_count(1)
    expect(exceptions.first).to_contain_text("no upload ticket was issued")
    expect(page.locator("#upload-counts tbody tr").first).to_contain_text(camera["camera_id"])
    shot(page, "08-admin-camera-uploads")
