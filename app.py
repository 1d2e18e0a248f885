"""Platekeeper API and event handlers: each a few lines, the work lives in chalicelib."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response
from chalice.app import CloudWatchEvent, Cron, DynamoDBEvent, Rate, Request, SQSEvent

from chalicelib import bootstrap, console, handlers, views
from chalicelib.domain.access import Caller, Permission
from chalicelib.domain.cameras import Camera
from chalicelib.observability import powertools_middleware
from chalicelib.openapi import (
    BOOLEAN,
    DATE,
    DATE_TIME,
    INTEGER,
    NUMBER,
    STRING,
    openapi_document,
)
from chalicelib.rendering.transparency import render_transparency
from chalicelib.resources import (
    DISPATCH_QUEUE_ARN,
    IMAGES_STREAM_ARN,
    INGEST_QUEUE_ARN,
    READS_STREAM_ARN,
)
from chalicelib.services import (
    agencies,
    alert_feed,
    alert_subscriptions,
    audit_review,
    camera_health,
    cameras,
    export_review,
    exports,
    hold_requests,
    holds,
    hotlists,
    monthly_audit,
    releases,
    search,
    search_approvals,
    sign_in,
    system_status,
    transparency,
    uploads,
    user_lifecycle,
)
from chalicelib.web import (
    IMPORT_BYTES,
    Api,
    BadRequest,
    json_body,
    optional_json_body,
    origin,
    query_params,
)

app = Chalice(app_name="platekeeper", configure_logs=False)
app.register_middleware(powertools_middleware, "all")
api = Api(app, accounts=lambda: bootstrap.container().accounts,
          cameras=lambda: bootstrap.container().cameras)


@api.route("/health", "GET", None, "Service health")
def health(request: Request) -> dict[str, str]:
    return {"status": "ok"}


@api.route("/openapi.json", "GET", None, "This OpenAPI document")
def openapi(request: Request) -> dict[str, Any]:
    return openapi_document(api.routes)


@api.route("/console", "GET", None, "The web console (sign in, then the pages of your role)")
def console_page(request: Request) -> Response:
    if str(request.context.get("path", "")).endswith("/"):
        # API Gateway routes /console/ here too; the page's relative links need /console.
        return views.console_redirect()
    return views.console_asset("index.html", bootstrap.container().console_image_origins)


@api.route("/console/app.js", "GET", None, "The web console's script")
def console_script(request: Request) -> Response:
    return views.console_asset("app.js")


@api.route("/console/app.css", "GET", None, "The web console's style sheet")
def console_style(request: Request) -> Response:
    return views.console_asset("app.css")


@api.route("/console/agencies.js", "GET", None, "The web console's agency directory pages")
def console_agencies_script(request: Request) -> Response:
    return views.console_asset("agencies.js")


@api.route("/console/live.js", "GET", None, "The web console's live alerts page")
def console_live_script(request: Request) -> Response:
    return views.console_asset("live.js")


@api.route("/console/reads.js", "GET", None,
           "The web console's read view (frame, crop and box), camera plot and hold selection")
def console_reads_script(request: Request) -> Response:
    return views.console_asset("reads.js")


@api.route("/console/cameras.js", "GET", None, "The web console's camera pages")
def console_cameras_script(request: Request) -> Response:
    return views.console_asset("cameras.js")


@api.route("/console/hotlists.js", "GET", None, "The web console's hotlists page")
def console_hotlists_script(request: Request) -> Response:
    return views.console_asset("hotlists.js")


@api.route("/console/exports.js", "GET", None, "The web console's evidence exports page")
def console_exports_script(request: Request) -> Response:
    return views.console_asset("exports.js")


@api.route("/console/favicon.svg", "GET", None, "The web console's icon")
def console_favicon(request: Request) -> Response:
    return views.console_asset("favicon.svg")


@api.route("/console/accounts.js", "GET", None,
           "The web console's accounts page (invite, role, retirement, second administrator)")
def console_accounts_script(request: Request) -> Response:
    return views.console_asset("accounts.js")


@api.route("/console/catalog.json", "GET", None,
           "Roles with their permissions, purposes and release statuses (public rules)")
def console_catalog(request: Request) -> dict[str, Any]:
    return console.catalog(bootstrap.container().settings.extended_search_days)


@api.route("/auth/login", "POST", None,
           "Sign in with username and password (then a one-time code, or an enrolment)",
           request_schema={"username": STRING, "password": STRING})
def login(request: Request) -> dict[str, Any]:
    body = json_body(request)
    answer = sign_in.sign_in(str(body.get("username", "")), str(body.get("password", "")),
                             origin(request), bootstrap.container().sign_in)
    return vars(answer)


@api.route("/auth/mfa", "POST", None, "Answer the one-time-code challenge",
           request_schema={"username": STRING, "session": STRING, "code": STRING})
def login_mfa(request: Request) -> dict[str, Any]:
    body = json_body(request)
    answer = sign_in.answer_mfa(str(body.get("username", "")), str(body.get("session", "")),
                                str(body.get("code", "")), origin(request),
                                bootstrap.container().sign_in)
    return vars(answer)


@api.route("/auth/mfa/setup", "POST", None,
           "Confirm a new authenticator app with its first one-time code (MFA_SETUP)",
           request_schema={"username": STRING, "session": STRING, "code": STRING})
def login_mfa_setup(request: Request) -> dict[str, Any]:
    body = json_body(request)
    sign_in.finish_enrolment(str(body.get("username", "")), str(body.get("session", "")),
                             str(body.get("code", "")), origin(request),
                             bootstrap.container().sign_in)
    return {"enrolled": True, "next": "sign in again with a one-time code from the app"}


@api.route("/auth/password", "POST", None,
           "First sign-in: replace the e-mailed temporary password (NEW_PASSWORD_REQUIRED); "
           "then a token, or the authenticator enrolment the role needs (MFA_SETUP)",
           request_schema={"username": STRING, "session": STRING, "new_password": STRING})
def login_new_password(request: Request) -> dict[str, Any]:
    body = json_body(request)
    answer = sign_in.set_new_password(str(body.get("username", "")), str(body.get("session", "")),
                                      str(body.get("new_password", "")), origin(request),
                                      bootstrap.container().sign_in)
    return vars(answer)


@api.route("/reads/search", "POST", Permission.SEARCH_READS,
           "Search reads: exact, partial (* ?) or fuzzy plate, time window, place",
           request_schema=search.SEARCH_SCHEMA)
def search_reads(request: Request, caller: Caller) -> dict[str, Any]:
    page = search.search_reads(json_body(request), caller, bootstrap.container().search)
    return views.search_page(page)


@api.route("/reads/{read_id}", "GET", Permission.VIEW_READ,
           "One read with image links valid for five minutes",
           query_parameters=("purpose", "case_number"))
def view_read(request: Request, caller: Caller, read_id: str) -> dict[str, Any]:
    params = query_params(request)
    read, image_url, crop_url = search.view_read(
        read_id, params.get("purpose", ""), params.get("case_number", ""), caller,
        bootstrap.container().search)
    return views.read_detail(read, image_url, crop_url, search.IMAGE_URL_SECONDS)


@api.route("/search-approvals", "POST", Permission.APPROVE_EXTENDED_SEARCH,
           "Approve another user's search over a long window: one plate, one case, <= 24 h",
           request_schema=search_approvals.APPROVAL_SCHEMA, success_status=201)
def approve_extended_search(request: Request, caller: Caller) -> Response:
    approval = search_approvals.approve(json_body(request), caller,
                                        bootstrap.container().search_approvals)
    return Response(body=search_approvals.approval_view(approval), status_code=201)


@api.route("/search-approvals", "GET", Permission.SEARCH_READS,
           "Supervisors' approvals in force that were given to you")
def my_search_approvals(request: Request, caller: Caller) -> dict[str, Any]:
    found = search_approvals.given_to_me(caller, bootstrap.container().search_approvals)
    return {"approvals": [search_approvals.approval_view(item) for item in found]}


@api.route("/search-approvals/{approval_id}/revocation", "POST",
           Permission.APPROVE_EXTENDED_SEARCH, "Withdraw an approval you gave")
def revoke_search_approval(request: Request, caller: Caller,
                           approval_id: str) -> dict[str, Any]:
    approval = search_approvals.revoke(approval_id, caller,
                                       bootstrap.container().search_approvals)
    return search_approvals.approval_view(approval)


@api.route("/audit", "GET", Permission.READ_AUDIT, "The access record, filtered; CSV export",
           query_parameters=("from", "to", "user_id", "username", "plate", "case_number",
                             "format"))
def audit_records(request: Request, caller: Caller) -> Any:
    params = query_params(request)
    container = bootstrap.container()
    filters = audit_review.parse_filters(params, container.clock())
    records = audit_review.review(filters, caller, container.audit_log, container.clock)
    if params.get("format") == "csv":
        return Response(body=audit_review.as_csv(records), status_code=200,
                        headers={"Content-Type": "text/csv; charset=utf-8",
                                 "Content-Disposition": 'attachment; filename="audit.csv"',
                                 "Cache-Control": "no-store"})
    return {"records": [views.audit_row(record) for record in records]}


@api.route("/reports/monthly", "GET", Permission.READ_AUDIT,
           "Monthly audit reports (428.6(c)), newest first")
def list_monthly_reports(request: Request, caller: Caller) -> dict[str, Any]:
    listings = monthly_audit.list_reports(caller, bootstrap.container().monthly_audit)
    return {"reports": [vars(listing) for listing in listings]}


@api.route("/reports/monthly", "POST", Permission.READ_AUDIT,
           "Build (or rebuild) the monthly audit report of one month now",
           request_schema={"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}})
def build_monthly_report(request: Request, caller: Caller) -> Response:
    published = monthly_audit.build_on_demand(json_body(request), caller,
                                              bootstrap.container().monthly_audit)
    return Response(body=vars(published), status_code=201, headers={"Cache-Control": "no-store"})


@api.route("/reports/monthly/{month}", "GET", Permission.READ_AUDIT,
           "One monthly audit report: its JSON and a five-minute link to its HTML")
def monthly_report(request: Request, caller: Caller, month: str) -> dict[str, Any]:
    document, html_url = monthly_audit.fetch_report(month, caller,
                                                    bootstrap.container().monthly_audit)
    return {"report": document, "html_url": html_url,
            "html_url_expires_in": monthly_audit.LINK_SECONDS}


@api.route("/transparency", "GET", None,
           "Public page: the posted ALPR policy and live program figures (HTML)")
def transparency_page(request: Request) -> Response:
    container = bootstrap.container()
    figures = container.transparency_cache.figures(container.transparency,
                                                   api.permissions_in_use())
    return views.public_html(render_transparency(figures))


@api.route("/transparency.json", "GET", None,
           "Public: the transparency page's figures and policy document as JSON")
def transparency_figures(request: Request) -> Response:
    container = bootstrap.container()
    figures = container.transparency_cache.figures(container.transparency,
                                                   api.permissions_in_use())
    return views.public_json(transparency.figures_document(figures))


# ---------------------------------------------------------------------- users (issue 23)
@api.route("/admin/users", "GET", Permission.MANAGE_USERS,
           "Users: role, training, approval, state, what lapses next, changes awaiting a second "
           "administrator, differences made outside Platekeeper")
def list_users(request: Request, caller: Caller) -> dict[str, Any]:
    rows = user_lifecycle.list_users(caller, bootstrap.container().user_lifecycle)
    return {"users": [views.user_row(row, bootstrap.container().clock()) for row in rows]}


@api.route("/admin/users", "POST", Permission.MANAGE_USERS,
           "Invite a user: Cognito creates the account and e-mails a temporary password; an "
           "administrator or auditor role waits for a second administrator",
           request_schema=user_lifecycle.INVITE_SCHEMA, success_status=201)
def invite_user(request: Request, caller: Caller) -> Response:
    result = user_lifecycle.invite(json_body(request), caller,
                                   bootstrap.container().user_lifecycle)
    return Response(body=views.change_result(result), status_code=201)


@api.route("/admin/users/{username}/role", "PUT", Permission.MANAGE_USERS,
           "Change the role (one per user); to or from administrator or auditor it waits for a "
           "second administrator (202)", request_schema=user_lifecycle.ROLE_SCHEMA)
def change_user_role(request: Request, caller: Caller, username: str) -> Response:
    result = user_lifecycle.change_role(username, json_body(request), caller,
                                        bootstrap.container().user_lifecycle)
    return views.change_response(result)


@api.route("/admin/users/{username}/retirement", "POST", Permission.MANAGE_USERS,
           "Retire: disable for good and take the role away, never delete; an administrator's "
           "or auditor's waits for a second administrator (202)",
           request_schema=user_lifecycle.REASON_SCHEMA)
def retire_user(request: Request, caller: Caller, username: str) -> Response:
    result = user_lifecycle.retire(username, json_body(request), caller,
                                   bootstrap.container().user_lifecycle)
    return views.change_response(result)


@api.route("/admin/users/{username}/pending-change/confirmation", "POST",
           Permission.MANAGE_USERS,
           "Confirm a pending role change or retirement (a second administrator: not its "
           "proposer, not the account's owner)", request_schema=user_lifecycle.REASON_SCHEMA)
def confirm_user_change(request: Request, caller: Caller, username: str) -> dict[str, Any]:
    result = user_lifecycle.confirm_change(username, optional_json_body(request), caller,
                                           bootstrap.container().user_lifecycle)
    return views.change_result(result)


@api.route("/admin/users/{username}/pending-change/decline", "POST", Permission.MANAGE_USERS,
           "Decline (or, as its proposer, withdraw) a pending change, with a reason",
           request_schema=user_lifecycle.REASON_SCHEMA)
def decline_user_change(request: Request, caller: Caller, username: str) -> dict[str, Any]:
    result = user_lifecycle.decline_change(username, json_body(request), caller,
                                           bootstrap.container().user_lifecycle)
    return views.change_result(result)


@api.route("/admin/users/{username}/restoration", "POST", Permission.MANAGE_USERS,
           "Put Cognito back to what Platekeeper decided (after a change made around it)",
           request_schema=user_lifecycle.REASON_SCHEMA)
def restore_user(request: Request, caller: Caller, username: str) -> dict[str, Any]:
    result = user_lifecycle.restore(username, json_body(request), caller,
                                    bootstrap.container().user_lifecycle)
    return views.change_result(result)


@api.route("/admin/users/{username}/invitation", "POST", Permission.MANAGE_USERS,
           "E-mail a new temporary password to someone who has not signed in yet",
           request_schema=user_lifecycle.REASON_SCHEMA)
def resend_user_invitation(request: Request, caller: Caller, username: str) -> dict[str, Any]:
    result = user_lifecycle.resend_invitation(username, optional_json_body(request), caller,
                                              bootstrap.container().user_lifecycle)
    return views.change_result(result)


@api.route("/admin/users/{username}/approval", "POST", Permission.MANAGE_USERS,
           "Approve an account, or re-approve an idle one (never your own)",
           request_schema=user_lifecycle.REASON_SCHEMA)
def approve_user(request: Request, caller: Caller, username: str) -> dict[str, str]:
    user_lifecycle.approve_user(username, optional_json_body(request), caller,
                                bootstrap.container().user_lifecycle)
    return {"username": username, "status": "approved"}


@api.route("/admin/users/{username}/training", "PUT", Permission.MANAGE_USERS,
           "Record training dates (428.3.1(b)): CLETS certification, vendor, Police Training "
           "Unit; any of them (never your own)", request_schema=user_lifecycle.TRAINING_SCHEMA)
def record_training(request: Request, caller: Caller, username: str) -> dict[str, str]:
    user_lifecycle.record_training(username, json_body(request), caller,
                                   bootstrap.container().user_lifecycle)
    return {"username": username, "status": "training recorded"}


@api.route("/admin/users/{username}/enabled", "PUT", Permission.MANAGE_USERS,
           "Enable or disable an account now, with a reason",
           request_schema={"enabled": BOOLEAN, "reason": STRING})
def enable_user(request: Request, caller: Caller, username: str) -> dict[str, Any]:
    result = user_lifecycle.set_enabled(username, json_body(request), caller,
                                        bootstrap.container().user_lifecycle)
    return {"username": result.username, "enabled": result.entry.enabled}


@api.route("/uploads", "POST", None, "A presigned POST for one camera frame (camera credential)",
           request_schema={"content_type": STRING, "content_length": INTEGER,
                           "captured_at": DATE_TIME, "lat": NUMBER, "lon": NUMBER,
                           "heading": NUMBER}, camera=True, success_status=201)
def request_upload(request: Request, camera: Camera) -> Response:
    ticket = cameras.upload_ticket(camera, json_body(request), bootstrap.container().cameras)
    return Response(body=ticket, status_code=201, headers={"Cache-Control": "no-store"})


@api.route("/admin/cameras", "GET", Permission.MANAGE_CAMERAS, "Registered cameras")
def list_cameras(request: Request, caller: Caller) -> dict[str, Any]:
    registered = cameras.list_cameras(caller, bootstrap.container().cameras)
    return {"cameras": [cameras.camera_view(camera) for camera in registered]}


@api.route("/admin/cameras", "POST", Permission.MANAGE_CAMERAS,
           "Register a camera; its credential is shown once",
           request_schema={"camera_id": STRING, "name": STRING, "agency": STRING,
                           "kind": STRING, "lat": NUMBER, "lon": NUMBER, "heading": NUMBER},
           success_status=201)
def register_camera(request: Request, caller: Caller) -> Response:
    camera, credential = cameras.register(json_body(request), caller,
                                          bootstrap.container().cameras)
    return Response(body={**cameras.camera_view(camera), "credential": credential},
                    status_code=201, headers={"Cache-Control": "no-store"})


@api.route("/admin/cameras/{camera_id}/credential", "POST", Permission.MANAGE_CAMERAS,
           "Issue a new credential (the old one stops working)")
def rotate_camera_credential(request: Request, caller: Caller, camera_id: str) -> dict[str, Any]:
    camera, credential = cameras.rotate(camera_id, caller, bootstrap.container().cameras)
    return {**cameras.camera_view(camera), "credential": credential}


@api.route("/admin/cameras/{camera_id}/revocation", "POST", Permission.MANAGE_CAMERAS,
           "Revoke the camera's credential")
def revoke_camera(request: Request, caller: Caller, camera_id: str) -> dict[str, Any]:
    return cameras.camera_view(cameras.revoke_credential(camera_id, caller,
                                                         bootstrap.container().cameras))


@api.route("/admin/cameras/{camera_id}/active", "PUT", Permission.MANAGE_CAMERAS,
           "Switch a camera on or off", request_schema={"active": BOOLEAN})
def switch_camera(request: Request, caller: Caller, camera_id: str) -> dict[str, Any]:
    active = json_body(request).get("active")
    if not isinstance(active, bool):
        raise BadRequest("ACTIVE_INVALID", "active must be true or false")
    return cameras.camera_view(cameras.switch(camera_id, active, caller,
                                              bootstrap.container().cameras))


@api.route("/admin/uploads/exceptions", "GET", Permission.MANAGE_CAMERAS,
           "Rejected and duplicate camera uploads (camera, time, reason) and per-camera daily "
           "counts; window of at most 31 days",
           query_parameters=("from", "to", "camera_id", "outcome", "limit"))
def upload_exceptions(request: Request, caller: Caller) -> dict[str, Any]:
    listing = uploads.list_exceptions(query_params(request), caller,
                                      bootstrap.container().uploads)
    return uploads.listing_view(listing)


@api.route("/hotlist/entries", "POST", Permission.MANAGE_HOTLIST,
           "Add a custom hotlist entry (full or partial plate) with case number and approver",
           request_schema={"plate": STRING, "state": STRING, "category": STRING,
                           "case_number": STRING, "reason": STRING, "requested_by": STRING,
                           "expires": DATE_TIME}, success_status=201)
def add_hotlist_entry(request: Request, caller: Caller) -> Response:
    entry = hotlists.add_entry(json_body(request), caller, bootstrap.container().hotlists)
    return Response(body={"entry_id": entry.entry_id, "plate": entry.plate,
                          "expires_at": entry.expires_at}, status_code=201)


@api.route("/hotlist/imports", "POST", Permission.MANAGE_HOTLIST,
           "Import an NCIC, CLEW or CSV hotlist file's text",
           request_schema={"list_name": STRING, "format": STRING, "content": STRING,
                           "requested_by": STRING})
def import_hotlist(request: Request, caller: Caller) -> dict[str, Any]:
    report = hotlists.import_list(json_body(request, max_bytes=IMPORT_BYTES), caller,
                                  bootstrap.container().hotlists)
    return hotlists.report_view(report)


@api.route("/alerts", "GET", Permission.VIEW_ALERTS, "Open hotlist alerts, newest first",
           query_parameters=("limit", "page"))
def list_alerts(request: Request, caller: Caller) -> dict[str, Any]:
    params = query_params(request)
    limit = min(max(int(params["limit"]) if params.get("limit", "").isdigit() else 50, 1), 200)
    container = bootstrap.container()
    alerts, token = hotlists.open_alerts(caller, container.hotlists, limit,
                                         params.get("page") or None)
    return {"alerts": views.alerts_with_images(alerts, container.alert_feed),
            "next_page": token}


@api.route("/alerts/{alert_id}/disposition", "POST", Permission.DISPOSE_ALERT,
           "Record the outcome of a hit: confirmed, misread, wrong_state or dismissed",
           request_schema={"disposition": STRING, "note": STRING, "clets_verified": BOOLEAN})
def dispose_alert(request: Request, caller: Caller, alert_id: str) -> dict[str, Any]:
    alert = hotlists.record_disposition(alert_id, json_body(request), caller,
                                        bootstrap.container().hotlists)
    return hotlists.alert_view(alert)


@api.route("/holds", "POST", Permission.APPROVE_HOLD,
           "Place a hold on reads for a case: no TTL, legal hold on their images",
           request_schema={"read_ids": {"type": "array", "items": STRING},
                           "case_number": STRING, "reason": STRING, "requested_by": STRING,
                           "review_date": DATE, "note": STRING}, success_status=201)
def place_hold(request: Request, caller: Caller) -> Response:
    container = bootstrap.container()
    reads, hold_request = holds.request_from_body(json_body(request), caller, container.reads)
    outcome = holds.place_hold(reads, hold_request, caller, container.holds)
    return Response(body=holds.outcome_view(outcome), status_code=201)


@api.route("/holds/{hold_id}/release", "POST", Permission.APPROVE_HOLD,
           "Release a hold: expiry restored (or a 7-day grace), legal holds lifted")
def release_hold(request: Request, caller: Caller, hold_id: str) -> dict[str, Any]:
    outcome = holds.release_hold(hold_id, caller, bootstrap.container().holds)
    return holds.outcome_view(outcome)


@api.route("/holds/overdue", "GET", Permission.APPROVE_HOLD, "Holds past their review date")
def overdue_holds(request: Request, caller: Caller) -> dict[str, Any]:
    overdue = holds.list_overdue_holds(caller, bootstrap.container().holds)
    return {"holds": [holds.hold_view(hold) for hold in overdue]}


@api.route("/holds", "GET", Permission.APPROVE_HOLD, "Active holds, earliest review date first")
def active_holds(request: Request, caller: Caller) -> dict[str, Any]:
    active = holds.list_active_holds(caller, bootstrap.container().holds)
    return {"holds": [holds.hold_view(hold) for hold in active]}


@api.route("/exports", "POST", Permission.APPROVE_HOLD,
           "Export reads, images and crops as an evidence package (hashes, custody log)",
           request_schema={"read_ids": {"type": "array", "items": STRING},
                           "case_number": STRING, "purpose": STRING, "approved_by": STRING},
           success_status=201)
def export_evidence(request: Request, caller: Caller) -> Response:
    container = bootstrap.container()
    body = json_body(request)
    reads = holds.reads_by_id(body.get("read_ids"), container.reads)
    result = exports.export_reads(reads, str(body.get("case_number", "")),
                                  str(body.get("purpose", "")), caller,
                                  str(body.get("approved_by", "")), container.exports)
    return Response(body=vars(result), status_code=201, headers={"Cache-Control": "no-store"})


@api.route("/releases", "POST", Permission.FILE_RELEASE,
           "File another agency's written request for ALPR data (sorted by the sharing rules)",
           request_schema=releases.REQUEST_SCHEMA)
def file_release_request(request: Request, caller: Caller) -> Response:
    filed = releases.file_request(json_body(request, max_bytes=releases.FILE_BODY_BYTES), caller,
                                  bootstrap.container().releases)
    return Response(body=views.release_request(filed), status_code=201)


@api.route("/releases", "GET", Permission.FILE_RELEASE,
           "Release requests by status, oldest first (default: the pending review queue)",
           query_parameters=("status",))
def list_release_requests(request: Request, caller: Caller) -> dict[str, Any]:
    found = releases.list_requests(query_params(request).get("status", ""), caller,
                                   bootstrap.container().releases)
    return {"requests": [views.release_request(item) for item in found]}


@api.route("/releases/{request_id}", "GET", Permission.FILE_RELEASE,
           "One release request with a five-minute link to the written request")
def view_release_request(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    found, url = releases.view_request(request_id, caller, bootstrap.container().releases)
    return {**views.release_request(found), "document_url": url,
            "document_url_expires_in": releases.DOCUMENT_URL_SECONDS}


@api.route("/releases/{request_id}/approval", "POST", Permission.REVIEW_RELEASES,
           "Approve a pending request (not one you filed): export exactly the requested reads",
           request_schema={"reason": STRING,
                           "acknowledged_warnings": {"type": "array", "items": STRING}})
def approve_release(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    body = json_body(request)
    decided, delivery = releases.approve(request_id, str(body.get("reason", "")), caller,
                                         bootstrap.container().releases,
                                         views.codes(body.get("acknowledged_warnings")))
    return {**views.release_request(decided),
            "delivery_url": delivery.url if delivery else None,
            "delivery_expires_in": delivery.expires_in if delivery else None}


@api.route("/releases/{request_id}/denial", "POST", Permission.REVIEW_RELEASES,
           "Deny a pending request with a reason", request_schema={"reason": STRING})
def deny_release(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    decided = releases.deny(request_id, str(json_body(request).get("reason", "")), caller,
                            bootstrap.container().releases)
    return views.release_request(decided)


@api.route("/releases/{request_id}/delivery", "POST", Permission.REVIEW_RELEASES,
           "A new delivery link for an approved request's package")
def release_delivery(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    delivery = releases.issue_delivery(request_id, caller, bootstrap.container().releases)
    return {"delivery_url": delivery.url, "delivery_expires_in": delivery.expires_in}


@api.route("/releases/{request_id}/agency", "POST", Permission.FILE_RELEASE,
           "Link an unlisted request to its (confirmed) directory entry; it is sorted again",
           request_schema={"agency_id": STRING})
def link_release_agency(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    linked = releases.link_agency(request_id, str(json_body(request).get("agency_id", "")),
                                  caller, bootstrap.container().releases)
    return views.release_request(linked)


# ---------------------------------------------------------------- the agency directory
@api.route("/agencies", "GET", Permission.FILE_RELEASE,
           "The agency directory by status (default: active), by name",
           query_parameters=("status",))
def list_agencies(request: Request, caller: Caller) -> dict[str, Any]:
    found = agencies.list_entries(query_params(request).get("status", ""), caller,
                                  bootstrap.container().agencies)
    return {"agencies": [agencies.entry_view(entry) for entry in found]}


@api.route("/agencies", "POST", Permission.MANAGE_AGENCIES,
           "Propose a directory entry (screened; a second administrator confirms it)",
           request_schema=agencies.PROPOSAL_SCHEMA, success_status=201)
def propose_agency(request: Request, caller: Caller) -> Response:
    entry = agencies.propose(json_body(request), caller, bootstrap.container().agencies)
    return Response(body=agencies.entry_view(entry), status_code=201)


@api.route("/agencies/candidates", "GET", Permission.MANAGE_AGENCIES,
           "California agencies from the shipped seed file not yet in the directory")
def agency_candidates(request: Request, caller: Caller) -> dict[str, Any]:
    found = agencies.candidates(caller, bootstrap.container().agencies)
    return {"candidates": [agencies.candidate_view(row) for row in found]}


@api.route("/agencies/{agency_id}", "GET", Permission.FILE_RELEASE,
           "One directory entry, its history and what would stop a release to it")
def view_agency(request: Request, caller: Caller, agency_id: str) -> dict[str, Any]:
    entry, problems = agencies.view_entry(agency_id, caller, bootstrap.container().agencies)
    return agencies.entry_view(entry, problems)


@api.route("/agencies/{agency_id}/confirmation", "POST", Permission.MANAGE_AGENCIES,
           "Confirm a proposed entry (a second administrator, not its proposer)")
def confirm_agency(request: Request, caller: Caller, agency_id: str) -> dict[str, Any]:
    return agencies.entry_view(agencies.confirm(agency_id, caller,
                                                bootstrap.container().agencies))


@api.route("/agencies/{agency_id}/rejection", "POST", Permission.MANAGE_AGENCIES,
           "Decline a proposed entry with a reason (it is kept, never takes effect)",
           request_schema={"reason": STRING})
def decline_agency(request: Request, caller: Caller, agency_id: str) -> dict[str, Any]:
    return agencies.entry_view(agencies.decline(
        agency_id, str(json_body(request).get("reason", "")), caller,
        bootstrap.container().agencies))


@api.route("/agencies/{agency_id}/retirement", "POST", Permission.MANAGE_AGENCIES,
           "Retire an active entry with a reason (kept on file; no longer a destination)",
           request_schema={"reason": STRING})
def retire_agency(request: Request, caller: Caller, agency_id: str) -> dict[str, Any]:
    return agencies.entry_view(agencies.retire(
        agency_id, str(json_body(request).get("reason", "")), caller,
        bootstrap.container().agencies))


# ---------------------------------------------------------------- hold requests, system status
@api.route("/holds/requests", "POST", Permission.REQUEST_HOLD,
           "Ask for reads to be held for a case; an administrator approves it",
           request_schema=hold_requests.ASK_SCHEMA, success_status=201)
def request_hold(request: Request, caller: Caller) -> Response:
    ask = hold_requests.ask_for_hold(json_body(request), caller,
                                     bootstrap.container().hold_requests)
    return Response(body=hold_requests.ask_view(ask), status_code=201)


@api.route("/holds/requests", "GET", Permission.APPROVE_HOLD,
           "Hold requests waiting for an administrator")
def list_hold_requests(request: Request, caller: Caller) -> dict[str, Any]:
    found = hold_requests.waiting_requests(caller, bootstrap.container().hold_requests)
    return {"requests": [hold_requests.ask_view(ask) for ask in found]}


@api.route("/holds/requests/{request_id}/approval", "POST", Permission.APPROVE_HOLD,
           "Approve a hold request (not your own): the hold is placed")
def approve_hold_request(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    ask, outcome = hold_requests.approve_request(request_id, caller,
                                                 bootstrap.container().hold_requests)
    return {**hold_requests.ask_view(ask), "hold": holds.outcome_view(outcome)}


@api.route("/holds/requests/{request_id}/denial", "POST", Permission.APPROVE_HOLD,
           "Decline a hold request with a reason", request_schema={"reason": STRING})
def decline_hold_request(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    ask = hold_requests.decline_request(request_id, str(json_body(request).get("reason", "")),
                                        caller, bootstrap.container().hold_requests)
    return hold_requests.ask_view(ask)


@api.route("/system/status", "GET", Permission.SYSTEM_STATUS,
           "Cameras (with each camera's health over the last `hours` hours), ingest backlog, "
           "dead letters, the access record's head (no plate data)",
           query_parameters=("hours",))
def view_system_status(request: Request, caller: Caller) -> dict[str, Any]:
    hours = camera_health.parse_hours(query_params(request).get("hours"))
    return system_status.system_status(caller, bootstrap.container().system_status, hours)


# ---------------------------------------------------------------- running the program day to day
@api.route("/alerts/live", "GET", Permission.VIEW_ALERTS,
           "New open alerts after `after` (a token from the previous answer), waiting up to "
           "`wait` seconds (default 20, at most 25) for one; with frame and crop links",
           query_parameters=("after", "wait"))
def live_alerts(request: Request, caller: Caller) -> dict[str, Any]:
    container = bootstrap.container()
    page = alert_feed.wait_for_alerts(query_params(request), caller, container.alert_feed)
    return {"alerts": views.alerts_with_images(page.alerts, container.alert_feed),
            "after": page.token.text()}


@api.route("/alerts/subscriptions", "GET", Permission.VIEW_ALERTS,
           "Your e-mail and phone subscriptions to high-priority alerts (administrators: all)")
def list_alert_subscriptions(request: Request, caller: Caller) -> dict[str, Any]:
    found = alert_subscriptions.list_subscriptions(caller,
                                                   bootstrap.container().alert_subscriptions)
    return {"subscriptions": [alert_subscriptions.subscription_view(item, caller)
                              for item in found]}


@api.route("/alerts/subscriptions", "POST", Permission.VIEW_ALERTS,
           "Subscribe an e-mail address or phone number to high-priority alerts (no plate is "
           "sent: the notice says to open the console)",
           request_schema={"protocol": STRING, "endpoint": STRING}, success_status=201)
def subscribe_alerts(request: Request, caller: Caller) -> Response:
    made = alert_subscriptions.subscribe(json_body(request), caller,
                                         bootstrap.container().alert_subscriptions)
    return Response(body=alert_subscriptions.subscription_view(made, caller), status_code=201)


@api.route("/alerts/subscriptions/{subscription_id}/removal", "POST", Permission.VIEW_ALERTS,
           "Remove a subscription (your own; administrators: anyone's)")
def unsubscribe_alerts(request: Request, caller: Caller, subscription_id: str) -> dict[str, Any]:
    alert_subscriptions.unsubscribe(subscription_id, caller,
                                    bootstrap.container().alert_subscriptions)
    return {"subscription_id": subscription_id, "removed": True}


@api.route("/hotlist/lists", "GET", Permission.MANAGE_HOTLIST,
           "Hotlists with their priority, loads (counts, age) and staleness; custom entries")
def hotlist_lists(request: Request, caller: Caller) -> dict[str, Any]:
    container = bootstrap.container()
    found = hotlists.overview(caller, container.hotlists)
    now = container.clock()
    return {"lists": [hotlists.list_view(summary) for summary in found.lists],
            "custom_entries": [hotlists.custom_entry_view(entry, now)
                               for entry in found.custom_entries]}


@api.route("/hotlist/lists/{list_name}/priority", "PUT", Permission.MANAGE_HOTLIST,
           "Set a hotlist's alert priority: high (sound, e-mail/phone notice) or normal",
           request_schema={"priority": STRING})
def set_hotlist_priority(request: Request, caller: Caller, list_name: str) -> dict[str, Any]:
    settings = hotlists.set_list_level(list_name, json_body(request), caller,
                                       bootstrap.container().hotlists)
    return {"list_name": settings.list_name, "priority": settings.level,
            "changed_by": settings.changed_by, "changed_at": settings.changed_at}


@api.route("/hotlist/entries/{entry_id}/withdrawal", "POST", Permission.MANAGE_HOTLIST,
           "Stop an entry alerting now (recovered, case closed), with a reason",
           request_schema={"reason": STRING})
def withdraw_hotlist_entry(request: Request, caller: Caller, entry_id: str) -> dict[str, Any]:
    entry = hotlists.withdraw_entry(entry_id, json_body(request), caller,
                                    bootstrap.container().hotlists)
    return {"entry_id": entry.entry_id, "withdrawn": True}


@api.route("/admin/cameras/{camera_id}/expected-interval", "PUT", Permission.MANAGE_CAMERAS,
           "How long the camera may stay silent before it is marked offline (null: not "
           "watched)", request_schema={"expected_interval_minutes": INTEGER})
def set_camera_interval(request: Request, caller: Caller, camera_id: str) -> dict[str, Any]:
    body = json_body(request)
    if "expected_interval_minutes" not in body:
        raise BadRequest("INTERVAL_REQUIRED", "send expected_interval_minutes (or null)")
    return cameras.camera_view(cameras.set_interval(
        camera_id, body["expected_interval_minutes"], caller, bootstrap.container().cameras))


@api.route("/cameras/positions", "GET", Permission.SEARCH_READS,
           "Camera names and positions, to show where reads were taken (no plate data)")
def camera_positions(request: Request, caller: Caller) -> dict[str, Any]:
    container = bootstrap.container()
    return {"cameras": cameras.positions(caller, container.cameras),
            "map_tile_url": container.settings.map_tile_url or None}


@api.route("/exports", "GET", Permission.APPROVE_HOLD,
           "Evidence packages in the evidence bucket, newest first")
def list_exports(request: Request, caller: Caller) -> dict[str, Any]:
    found = export_review.list_exports(caller, bootstrap.container().export_review)
    return {"exports": [export_review.export_view(item) for item in found]}


@api.route("/exports/{export_id}/download", "POST", Permission.APPROVE_HOLD,
           "A five-minute download link for a package (a custody event in the access record)",
           request_schema={"case_number": STRING, "purpose": STRING})
def download_export(request: Request, caller: Caller, export_id: str) -> dict[str, Any]:
    body = json_body(request)
    url = exports.download_export(str(body.get("case_number", "")), export_id,
                                  str(body.get("purpose", "")), caller,
                                  bootstrap.container().exports)
    return {"url": url, "expires_in": exports.EXPORT_URL_SECONDS}


@api.route("/exports/{export_id}/verification", "POST", Permission.APPROVE_HOLD,
           "Verify a stored package (hashes, ingest-time hashes, the evidence key's signature)",
           request_schema={"case_number": STRING})
def verify_export(request: Request, caller: Caller, export_id: str) -> dict[str, Any]:
    return export_review.verify_export(export_id, json_body(request), caller,
                                       bootstrap.container().export_review)


@app.on_sqs_message(queue_arn=INGEST_QUEUE_ARN, batch_size=10, name="ingest")
def on_ingest_message(event: SQSEvent) -> dict[str, Any]:
    return handlers.ingest_batch(event.to_dict(), event.context, bootstrap.container())


@app.on_sqs_message(queue_arn=DISPATCH_QUEUE_ARN, batch_size=10, name="dispatch_alerts")
def on_dispatch_message(event: SQSEvent) -> dict[str, Any]:
    return handlers.dispatch_batch(event.to_dict(), event.context, bootstrap.container())


@app.on_dynamodb_record(stream_arn=IMAGES_STREAM_ARN, batch_size=100, name="purge_images")
def on_image_record_change(event: DynamoDBEvent) -> dict[str, int]:
    return handlers.purge_batch(event.to_dict(), bootstrap.container())


@app.on_dynamodb_record(stream_arn=READS_STREAM_ARN, batch_size=100, name="purge_reads")
def on_read_change(event: DynamoDBEvent) -> dict[str, int]:
    return handlers.purge_reads_batch(event.to_dict(), bootstrap.container())


@app.schedule(Rate(1, unit=Rate.DAYS), name="retention_check")
def daily_retention_check(event: CloudWatchEvent) -> dict[str, int]:
    return handlers.retention_check(bootstrap.container())


# 06:00 UTC on the 1st (late evening of the last day in California): the month just ended.
@app.schedule(Cron(0, 6, 1, "*", "?", "*"), name="monthly_audit")
def monthly_audit_report(event: CloudWatchEvent) -> dict[str, Any]:
    return handlers.monthly_audit(bootstrap.container())


# Every five minutes, when the chain moved: sign its head with the checkpoint key (only this
# function's role may) and keep it under Object Lock, outside the database.
@app.schedule(Rate(5, unit=Rate.MINUTES), name="checkpoint")
def audit_checkpoint(event: CloudWatchEvent) -> dict[str, Any]:
    return handlers.checkpoint(bootstrap.container())


# Every minute: cameras silent past their expected interval are offline; the administrators
# hear of each outage once, and again when the camera comes back.
@app.schedule(Rate(1, unit=Rate.MINUTES), name="camera_health")
def camera_health_check(event: CloudWatchEvent) -> dict[str, Any]:
    return handlers.camera_health_check(bootstrap.container())
