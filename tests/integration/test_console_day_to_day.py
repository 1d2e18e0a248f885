"""The console's day-to-day pages in a real browser (Debian's Chromium via Playwright) against the
running local stack (issue 22): a live alert appears without a reload with a tone for high
priority, the disposition has no default and "confirmed" needs the CLETS tick, the vendor's
camera status page shows an offline camera and no plates, and the administrator's pages for
cameras, hotlists and evidence exports (users: issue 23's Accounts page and its tests); the
read view draws the plate's box on the frame,
plots the cameras and asks for a hold on selected reads. Screenshots go to build/screenshots/."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from chalicelib.recognizer import recognize_plates
from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser
from local_stack.stack import RunningStack
from local_stack.synthetic import frame_jpeg
from tests.integration.conftest import upload
from tests.integration.test_console_browser import browser, confirm, shot, sign_in

pytestmark = pytest.mark.integration
__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the other browser tests

# Wraps the browser's Web Audio so the test can see each tone the console plays.
COUNT_TONES = """
window.__tones = 0;
const original = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__tones += 1;
  return original.call(this);
};
"""
CASE = "2026-022100"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    context.set_default_timeout(30_000)
    opened = context.new_page()
    yield opened
    context.close()


def readable(candidates: tuple[str, ...]) -> tuple[str, bytes]:
    """A synthetic frame and the engine's reading of it (the reading is what gets listed)."""
    for plate in candidates:
        frame = frame_jpeg(plate)
        plates = recognize_plates(frame)
        if plates:
            return plates[0].text, frame
    raise AssertionError("the engine read none of the plates")


@pytest.fixture(scope="module")
def ui_camera(client_for: Callable[[str], ApiClient]) -> dict[str, Any]:
    registered = client_for("admin.demo").post("/admin/cameras", {
        "camera_id": f"ui-live-{uuid.uuid4().hex[:6]}", "name": "Console test pole, 1st St",
        "kind": "fixed", "lat": 37.3382, "lon": -121.8863, "heading": 180})
    assert registered.status_code == 201, registered.text
    return dict(registered.json())


@pytest.fixture(scope="module")
def seen_plate(local_stack: RunningStack, ui_camera: dict[str, Any]) -> str:
    """One real frame through the camera path and the ingest: a read with a frame and crop."""
    plate, frame = readable(("4SEE101", "5SEE202", "6SEE303"))
    assert upload(local_stack, ui_camera["credential"], frame).status_code == 201
    local_stack.event_pump.drain()
    return plate


def test_a_high_priority_alert_appears_live_with_a_tone_and_the_clets_rule(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        client_for: Callable[[str], ApiClient], ui_camera: dict[str, Any]) -> None:
    admin, officer = client_for("admin.demo"), client_for("officer.demo")
    plate, frame = readable(("7LVE414", "8LVE525", "9LVE636"))
    assert admin.post("/hotlist/imports", {
        "list_name": "ui-felony", "format": "csv", "requested_by": "officer.demo",
        "content": f"plate,state,category,case_number,reason\n{plate},CA,felony_vehicle,{CASE},"
                   "robbery suspect vehicle\n"}).status_code == 200
    assert admin.put("/hotlist/lists/ui-felony/priority", {"priority": "high"}).status_code == 200

    page.add_init_script(COUNT_TONES)
    sign_in(page, local_stack.api_url, demo_users["officer.demo"])
    page.get_by_role("link", name="Alerts").click()
    expect(page.locator("#clets-reminder")).to_contain_text("Verify every hit through CLETS")
    expect(page.locator("#live-status")).to_contain_text("Live")
    page.get_by_label("Mute all but high priority").check()  # a high-priority hit still sounds
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

    started = time.monotonic()
    assert upload(local_stack, ui_camera["credential"], frame).status_code == 201
    local_stack.event_pump.drain()
    card = page.locator(".alert-card", has_text=plate)
    expect(card).to_be_visible(timeout=20_000)
    seconds = time.monotonic() - started
    print(f"live alert in the console {seconds:.1f} s after the upload began "
          "(the figure that counts: make bench-alert)")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    expect(card).to_contain_text("high priority")
    expect(page.locator("#live-alerts")).to_have_attribute("data-cues-high", "1")
    assert page.evaluate("window.__tones") == 3  # three rising beeps, even though muted
    expect(card.locator("figure.frame")).to_have_attribute("data-box-drawn", "yes")
    expect(card.locator("img.crop")).to_be_visible()
    shot(page, "22-01-live-high-priority-alert")

    # No default disposition; "confirmed" needs the CLETS tick, in the page and at the API.
    form = card.locator("form.disposition")
    expect(form.get_by_label("Disposition")).to_have_value("")
    form.get_by_role("button", name="Record disposition").click()
    expect(page.locator("#message .error")).to_contain_text("no default")
    form.get_by_label("Disposition").select_option("confirmed")
    clets = form.get_by_label("I verified this hit through CLETS", exact=False)
    expect(clets).to_be_visible()
    form.get_by_role("button", name="Record disposition").click()
    expect(page.locator("#message .error")).to_contain_text("verified the hit through CLETS")
    alert_id = card.get_attribute("data-alert-id")
    forced = officer.post(f"/alerts/{alert_id}/disposition", {"disposition": "confirmed"})
    assert (forced.status_code, forced.json()["error"]) == (400, "CLETS_VERIFICATION_REQUIRED")
    clets.check()
    form.get_by_label("Note").fill("Stopped; CLETS confirmed stolen")
    shot(page, "22-02-disposition-confirmed-with-clets")
    form.get_by_role("button", name="Record disposition").click()
    confirm(page)
    expect(page.locator("#message")).to_contain_text(f"Disposition recorded for {plate}")
    expect(card).to_have_count(0)
    assert admin.put("/hotlist/lists/ui-felony/priority", {"priority": "normal"}).status_code == 200


def test_the_vendor_sees_camera_status_with_an_offline_camera_and_no_plates(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        client_for: Callable[[str], ApiClient], seen_plate: str,
        clock_offset: Callable[[timedelta], None]) -> None:
    silent = client_for("admin.demo").post("/admin/cameras", {
        "camera_id": f"ui-silent-{uuid.uuid4().hex[:6]}", "name": "Silent pole, Elm St",
        "kind": "fixed", "lat": 37.34, "lon": -121.89, "heading": 90}).json()
    clock_offset(timedelta(minutes=20))  # past the default 15-minute interval
    sign_in(page, local_stack.api_url, demo_users["vendor.demo"])
    expect(page.locator("#nav").get_by_role("link")).to_have_text(["Camera status"])
    row = page.locator("#camera-health tr", has_text=silent["camera_id"])
    expect(row).to_contain_text("offline")
    expect(page.locator("#offline-banner")).to_contain_text("Silent pole, Elm St")
    expect(row.locator("svg.spark")).to_be_visible()
    assert seen_plate not in page.locator("main").inner_text()  # health, never plates
    shot(page, "22-03-vendor-camera-status")
    page.goto(f"{local_stack.api_url}/console#/search")
    expect(page.locator("main h1")).to_have_text("Camera status")


def test_the_administrator_registers_rotates_and_revokes_a_camera(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser]) -> None:
    camera_id = f"ui-reg-{uuid.uuid4().hex[:6]}"
    sign_in(page, local_stack.api_url, demo_users["admin.demo"])
    page.get_by_role("link", name="Cameras", exact=True).click()
    form = page.locator("#register-camera")
    form.get_by_label("Camera id").fill(camera_id)
    form.get_by_label("Name").fill("Console pole, Park Ave")
    form.get_by_label("Latitude").fill("37.331")
    form.get_by_label("Longitude").fill("-121.881")
    form.get_by_label("Heading").fill("270")
    form.get_by_role("button", name="Register").click()
    once = page.locator("#credential-once")
    expect(once).to_contain_text("shown this once")
    first = page.locator("#credential-value").inner_text()
    assert first.startswith(f"pkc_{camera_id}.")
    ticket = requests.post(f"{local_stack.api_url}/uploads", timeout=30,
                           headers={"X-Camera-Credential": first},
                           json={"content_type": "image/jpeg", "content_length": 100,
                                 "captured_at": local_stack.clock().isoformat()})
    assert ticket.status_code == 201, ticket.text
    row = page.locator("#camera-list tr", has_text=camera_id)
    row.get_by_role("button", name=f"Rotate credential of {camera_id}").click()
    confirm(page)
    expect(page.locator("#credential-once")).to_contain_text("New credential")
    second = page.locator("#credential-value").inner_text()
    assert second != first
    page.locator("#camera-list tr", has_text=camera_id).get_by_role(
        "button", name=f"Revoke credential of {camera_id}").click()
    confirm(page)
    expect(page.locator("#camera-list tr", has_text=camera_id)).to_contain_text("revoked")
    refused = requests.post(f"{local_stack.api_url}/uploads", timeout=30,
                            headers={"X-Camera-Credential": second},
                            json={"content_type": "image/jpeg", "content_length": 100,
                                  "captured_at": local_stack.clock().isoformat()})
    assert refused.status_code == 401
    page.locator("#camera-list tr", has_text=camera_id).get_by_role(
        "button", name=f"Deactivate {camera_id}").click()
    confirm(page)
    expect(page.locator("#camera-list tr", has_text=camera_id).get_by_role(
        "button", name=f"Activate {camera_id}")).to_be_visible()
    shot(page, "22-06-cameras")


def test_the_administrator_reviews_hotlists_and_adds_an_entry(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        client_for: Callable[[str], ApiClient]) -> None:
    assert client_for("admin.demo").post("/hotlist/imports", {
        "list_name": "ui-review", "format": "csv", "requested_by": "records.demo",
        "content": "plate,state,category,case_number,reason\n3REV111,CA,stolen_vehicle,"
                   f"{CASE},stolen\n3REV112,CA,stolen_plate,{CASE},stolen\n"}).status_code == 200
    sign_in(page, local_stack.api_url, demo_users["admin.demo"])
    page.get_by_role("link", name="Hotlists").click()
    row = page.locator("#hotlist-lists tr", has_text="ui-review")
    expect(row).to_contain_text("2 of 3 lines")  # the header is a line too
    form = page.locator("#add-entry")
    form.get_by_label("Plate", exact=True).fill("6ENT909")
    form.get_by_label("Case number", exact=True).fill("2026-022199")
    form.get_by_label("Reason", exact=True).fill("Vehicle used in a burglary")
    form.get_by_label("Requested by", exact=True).fill("officer.demo")
    form.get_by_role("button", name="Add entry").click()
    expect(page.locator("#message")).to_contain_text("6ENT909 added")
    entry = page.locator("#custom-entries tr", has_text="6ENT909")
    expect(entry).to_contain_text("admin.demo")
    expect(entry).to_contain_text("2026-022199")
    shot(page, "22-07-hotlists")
    page.once("dialog", lambda dialog: dialog.accept("Vehicle recovered"))
    entry.get_by_role("button", name="Withdraw 6ENT909").click()
    expect(page.locator("#message")).to_contain_text("6ENT909 no longer alerts")


def test_the_read_view_draws_the_box_plots_cameras_and_asks_for_a_hold(
        page: Page, browser: Browser, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        seen_plate: str, ui_camera: dict[str, Any]) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in(page, local_stack.api_url, demo_users["officer.demo"])
    page.get_by_label("Plate", exact=True).fill(seen_plate)
    page.get_by_label("Purpose").select_option("stolen_vehicle")
    page.get_by_label("Case number").fill(CASE)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_contain_text("Console test pole, 1st St")
    rows.first.get_by_role("button", name="View").click()
    detail = page.locator("#read-detail")
    expect(detail.locator("figure.frame")).to_have_attribute("data-box-drawn", "yes")
    assert detail.locator("img.crop").evaluate("image => image.naturalWidth") > 0
    expect(page.locator("#camera-plot g.cam.hit")).to_have_count(1)
    rows.first.locator("input[name=select-read]").check()
    form = page.locator("#hold-request")
    expect(form).to_contain_text("1 reads selected")
    form.get_by_label("Review date").fill(
        (local_stack.clock().date() + timedelta(days=90)).isoformat())
    form.get_by_role("button", name="Request hold").click()
    expect(page.locator("#message")).to_contain_text("Hold requested for 1 reads")
    shot(page, "22-08-read-view-box-plot-hold-request")
    assert not violations, violations

    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id="UTC")
    admin = context.new_page()
    try:
        sign_in(admin, local_stack.api_url, demo_users["admin.demo"])
        admin.get_by_role("link", name="Holds").click()
        waiting = admin.locator("#hold-requests tr", has_text=CASE)
        expect(waiting.first).to_contain_text("officer.demo")
        waiting.first.get_by_role("button", name=f"Approve hold for case {CASE}").click()
        confirm(admin)
        expect(admin.locator("#message")).to_contain_text(f"Hold placed for case {CASE}")
        # The audit page shows what each search asked for.
        admin.get_by_role("link", name="Audit log").click()
        admin.get_by_label("Username").fill("officer.demo")
        admin.get_by_role("button", name="Show").click()
        expect(admin.locator("#audit-results table")).to_contain_text(f"plate: {seen_plate}")
        shot(admin, "22-09-audit-query-column")
    finally:
        context.close()


def test_the_administrator_verifies_and_downloads_an_evidence_export(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser],
        client_for: Callable[[str], ApiClient], seen_plate: str) -> None:
    officer, admin = client_for("officer.demo"), client_for("admin.demo")
    found = officer.search(plate=seen_plate, case_number=CASE).json()["results"]
    made = admin.post("/exports", {"read_ids": [found[0]["read_id"]], "case_number": CASE,
                                   "purpose": "stolen_vehicle", "approved_by": "admin2.demo"})
    assert made.status_code == 201, made.text
    sign_in(page, local_stack.api_url, demo_users["admin.demo"])
    page.get_by_role("link", name="Evidence exports").click()
    row = page.locator("#export-list tr", has_text=made.json()["export_id"])
    row.get_by_role("button", name="Verify").click()
    expect(page.locator("#verdict")).to_contain_text("Intact")
    row.get_by_role("button", name="Download link").click()
    expect(page.locator("#message .error")).to_contain_text("purpose")
    page.locator("#export-purpose").select_option("stolen_vehicle")
    row.get_by_role("button", name="Download link").click()
    expect(page.locator("#export-link")).to_contain_text("custody event")
    shot(page, "22-10-evidence-exports")


def test_the_console_answers_with_a_trailing_slash_has_an_icon_and_a_readable_tab(
        page: Page, local_stack: RunningStack, demo_users: dict[str, DemoUser]) -> None:
    page.goto(f"{local_stack.api_url}/console/")
    expect(page.get_by_label("Username")).to_be_visible()
    assert page.url.split("#")[0].endswith("/console")
    icon = requests.get(f"{local_stack.api_url}/console/favicon.svg", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"
    assert page.locator("link[rel=icon]").get_attribute("href") == "console/favicon.svg"
    policy = requests.get(f"{local_stack.api_url}/console", timeout=10).headers[
        "Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert local_stack.endpoint_url in policy  # the image buckets' presigned links, images only
    sign_in(page, local_stack.api_url, demo_users["admin.demo"])
    selected = page.locator(".tabs button[aria-pressed=true]")
    colours = selected.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert colours == ["rgb(255, 255, 255)", "rgb(20, 50, 79)"], colours
