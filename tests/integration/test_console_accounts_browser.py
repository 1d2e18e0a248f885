"""The console's Accounts page in a real browser (Debian's headless Chromium through Playwright):
an administrator invites an auditor, whose role waits for a second administrator (the proposer's
Confirm is disabled and the server would refuse it); the second administrator confirms; the
invited person signs in for the first time (the e-mailed temporary password, their own password
twice, an authenticator) and sees the access record. Screenshots go to build/screenshots/."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from playwright.sync_api import Browser, Page, expect

from local_stack.mailbox import temporary_password
from local_stack.seed import DemoUser, one_time_code
from local_stack.stack import RunningStack
from tests.integration.test_console_browser import (  # noqa: F401 - fixtures used by name
    browser,
    confirm,
    page,
    shot,
    sign_in,
)

pytestmark = pytest.mark.integration
INVITED = "console.auditor"
NEW_PASSWORD = "Console-Auditor-2026!pk"


def test_an_auditor_is_invited_confirmed_by_a_second_administrator_and_signs_in(
        page: Page, browser: Browser, local_stack: RunningStack,  # noqa: F811
        demo_users: dict[str, DemoUser]) -> None:
    base = local_stack.api_url
    sign_in(page, base, demo_users["admin.demo"])
    page.get_by_role("link", name="Accounts").click()
    expect(page.locator("#user-list")).to_contain_text("idle.demo")
    form = page.locator("#invite-form")
    form.get_by_label("Username").fill(INVITED)
    form.get_by_label("Work e-mail").fill(f"{INVITED}@example.invalid")
    form.locator("#invite-role").select_option("auditor")
    form.get_by_label("Reason (kept in the access record)").fill("joins the audit unit")
    form.get_by_role("button", name="Invite").click()
    expect(page.locator("#message")).to_contain_text("waits for a second administrator")
    waiting = page.locator("#awaiting-users")
    waiting.locator("tr", has_text=INVITED).get_by_role("button", name="Review").click()
    expect(page.locator("#own-change")).to_contain_text("second administrator")
    expect(page.locator("#confirm-change")).to_be_disabled()
    shot(page, "11-accounts-invite-awaiting-second-administrator")

    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    second = context.new_page()
    try:
        sign_in(second, base, demo_users["admin2.demo"])
        second.get_by_role("link", name="Accounts").click()
        second.locator("#awaiting-users tr", has_text=INVITED).get_by_role(
            "button", name="Review").click()
        second.locator("#confirm-change").click()
        confirm(second)
        expect(second.locator("#message")).to_contain_text(f"Confirmed: {INVITED} changed")
        second.locator("#user-list tr", has_text=INVITED).get_by_role(
            "button", name="Manage").click()
        panel = second.locator("#training-form")
        panel.get_by_label("CLETS certification").fill("2026-01-05")
        panel.get_by_label("Vendor training").fill("2026-01-06")
        panel.get_by_label("Police Training Unit training").fill("2026-01-07")
        panel.get_by_role("button", name="Record training").click()
        expect(second.locator("#message")).to_contain_text(f"Training recorded for {INVITED}")
        second.locator("#user-list tr", has_text=INVITED).get_by_role(
            "button", name="Manage").click()
        approval = second.locator("#approve-form")
        approval.get_by_label("Reason (kept in the access record)").fill("trained")
        approval.get_by_role("button", name="Approve").click()
        expect(second.locator("#message")).to_contain_text(f"{INVITED} approved")
        shot(second, "12-accounts-confirmed-trained-approved")
    finally:
        context.close()
    cognito: Any = boto3.client("cognito-idp")
    groups = cognito.admin_list_groups_for_user(
        UserPoolId=local_stack.environment["PLATEKEEPER_USER_POOL_ID"], Username=INVITED)
    assert [group["GroupName"] for group in groups["Groups"]] == ["auditor"]

    person = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    first = person.new_page()
    try:
        first.goto(f"{base}/console")
        first.get_by_label("Username").fill(INVITED)
        first.get_by_label("Password", exact=True).fill(temporary_password(
            local_stack.endpoint_url, local_stack.environment["PLATEKEEPER_USER_POOL_ID"],
            INVITED))
        first.get_by_role("button", name="Sign in").click()
        first.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        first.get_by_label("New password again").fill(NEW_PASSWORD)
        shot(first, "13-first-sign-in-new-password")
        first.get_by_role("button", name="Sign in").click()
        secret = first.locator("#secret").inner_text()
        first.get_by_label("One-time code").fill(one_time_code(secret))
        first.get_by_role("button", name="Sign in").click()
        expect(first.locator("#message")).to_contain_text("Authenticator enrolled")
        sign_in(first, base, DemoUser(INVITED, NEW_PASSWORD, "auditor", "", "",
                                      totp_secret=secret))
        expect(first.locator("#nav").get_by_role("link")).to_have_text(
            ["Audit log", "Camera status"])  # system_status: camera health, no plates
    finally:
        person.close()
