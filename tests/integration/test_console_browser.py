"""The web console in a real browser (Debian's headless Chromium driven by Playwright) against the
running local stack: an administrator works the release queue (files a request from a letter,
approves it, denies a prohibited one that cannot be approved), an officer searches, an auditor
sees only the access record. Screenshots of every page go to build/screenshots/."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from local_stack.api_client import ApiClient
from local_stack.seed import LOCAL_MFA_CODE, DemoUser
from local_stack.stack import RunningStack
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
        page.get_by_label("One-time code").fill(LOCAL_MFA_CODE)
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
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        client_for: Callable[[str], ApiClient], reads_for_release: int) -> None:
    admin = client_for("admin.demo")
    banned = admin.post("/releases", letter_request(
        agency="U.S. Immigration and Customs Enforcement", jurisdiction="federal",
        plate=PLATE, now=local_stack.clock()))
    assert banned.status_code == 201, banned.text

    base = local_stack.api_url
    sign_in(page, base, demo_users["admin.demo"])
    shot(page, "01-login-admin-release-queue")
    expect(page.get_by_role("link", name="Release requests")).to_be_visible()

    # File the sheriff's letter through the form, as records staff would.
    form = page.locator("#file-request")
    form.get_by_label("Agency", exact=True).fill("Santa Clara County Sheriff's Office")
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

    # Review and approve it.
    row = page.locator("#release-list tr", has_text="Santa Clara County Sheriff")
    row.get_by_role("button", name="Open").click()
    detail = page.locator("#release-detail")
    expect(detail).to_contain_text("SO-26-7001")
    detail.get_by_label("Reason (kept on file)").fill("Written request verified by phone")
    detail.get_by_role("button", name="Approve and export").click()
    confirm(page)
    expect(page.locator("#message")).to_contain_text(f"Approved: {reads_for_release} reads")
    expect(page.locator("#delivery")).to_contain_text("download package")
    shot(page, "03-request-approved")
    approved = admin.get("/releases", {"status": "approved"}).json()["requests"]
    mine = next(item for item in approved if item["case_number"] == "SO-26-7001")
    assert mine["reads_released"] == reads_for_release and mine["decided_by"] == "admin.demo"

    # The federal request: prohibited, no approve button anywhere; the denial is recorded.
    page.get_by_role("button", name="prohibited").click()
    page.locator("#release-list tr", has_text="Immigration").get_by_role(
        "button", name="Open").click()
    expect(page.locator("#prohibited-banner")).to_contain_text("Sharing prohibited by law")
    expect(detail.get_by_role("button", name="Approve and export")).to_have_count(0)
    detail.get_by_label("Reason (kept on file)").fill("Civil Code 1798.90.55(b)")
    detail.get_by_role("button", name="Deny").click()
    confirm(page)
    expect(page.locator("#message")).to_contain_text("Request denied")
    shot(page, "04-prohibited-request-denied")
    request_id = banned.json()["request_id"]
    forced = admin.post(f"/releases/{request_id}/approval", {"reason": "try anyway"})
    assert forced.status_code == 403 and forced.json()["error"] == "RELEASE_PROHIBITED"

    for name in ("holds", "alerts", "audit", "search"):
        page.get_by_role("link", name={"holds": "Holds", "alerts": "Alerts",
                                       "audit": "Audit log", "search": "Search"}[name]).click()
        expect(page.locator("main h1")).to_be_visible()
        shot(page, f"05-admin-{name}")


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
