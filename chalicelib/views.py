"""Response shapes: what the API shows of reads, accounts and audit records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from chalice import Response

from chalicelib import console
from chalicelib.domain.account_register import PendingChange
from chalicelib.domain.alerts import Alert
from chalicelib.domain.audit import AuditRecord
from chalicelib.domain.reads import Read, format_time
from chalicelib.domain.releases import ReleaseRequest
from chalicelib.services.alert_feed import AlertFeedDependencies, image_links
from chalicelib.services.hotlists import alert_view
from chalicelib.services.search import SearchPage
from chalicelib.services.user_lifecycle import ChangeResult, UserRow


def read_summary(read: Read) -> dict[str, Any]:
    return {
        "read_id": read.read_id, "plate": read.plate, "captured_at": read.captured_at,
        "camera_id": read.camera_id, "confidence": round(read.confidence, 3),
        "lat": read.lat, "lon": read.lon, "held": bool(read.holds),
        "state": read.state,
    }


def search_page(page: SearchPage) -> dict[str, Any]:
    return {
        "results": [{**read_summary(hit.read), "matched_because": hit.reason}
                    for hit in page.hits],
        "next_cursor": page.cursor,
        "examined": page.examined,
        # What this request cost: DynamoDB items read from the plate index and the reads
        # table, requests made, and whether the per-request work budget ended it early.
        "work": {"index_items": page.examined_index,
                 "read_items": page.examined - page.examined_index,
                 "requests": page.requests, "stopped_early": page.stopped_early},
        # One search, one record: its pages share the id and add up in the access record.
        "search_id": page.search_id,
        "page": page.page_number,
        "results_so_far": page.cumulative,
    }


def read_detail(read: Read, image_url: str, crop_url: str | None,
                url_seconds: int) -> dict[str, Any]:
    return {
        **read_summary(read),
        "candidates": [{"text": candidate.text, "confidence": round(candidate.confidence, 3)}
                       for candidate in read.candidates],
        "box": list(read.box), "heading": read.heading,
        "state_confidence": round(read.state_confidence, 3),
        "image_url": image_url, "crop_url": crop_url, "urls_expire_in": url_seconds,
        "expires_at": read.expires_at,
    }


def alerts_with_images(alerts: Sequence[Alert],
                       deps: AlertFeedDependencies) -> list[dict[str, Any]]:
    """Alerts as the console shows them: with five-minute frame and crop links and the box."""
    links = image_links(alerts, deps)
    return [{**alert_view(alert), "images": links.get(alert.alert_id)} for alert in alerts]


def user_row(row: UserRow, now: datetime) -> dict[str, Any]:
    """One account on the users page: what Cognito, the register and the rules say."""
    user, entry = row.account, row.entry

    def day(value: date | None) -> str | None:
        return value.isoformat() if value is not None else None

    expiry = row.next_expiry
    return {
        "username": row.username, "user_id": user.user_id if user else None,
        "agency": user.agency if user else "", "registered": entry is not None,
        "role": entry.role.value if entry and entry.role else None,
        "supervisor": bool(entry and entry.supervisor),
        "groups": sorted(role.value for role in user.roles) if user else [],
        "enabled": bool(user and user.enabled), "retired": bool(entry and entry.retired),
        "invited": row.invited, "outside_change": row.outside_change,
        "state": {"code": row.refusal.code, "message": row.refusal.message}
        if row.refusal else None,
        "approved_by": user.approved_by if user else None,
        "approved_at": day(user.approved_at) if user else None,
        "clets_cert_date": day(user.clets_cert_date) if user else None,
        "vendor_training_date": day(user.vendor_training_date) if user else None,
        "training_date": day(user.training_date) if user else None,
        "mfa_enabled": bool(user and user.mfa_enabled),
        "last_access": user.last_access.isoformat() if user and user.last_access else None,
        "next_expiry": {"what": expiry[0], "date": expiry[1].isoformat(),
                        "days": (expiry[1] - now.date()).days} if expiry else None,
        "pending_change": pending_change(entry.pending) if entry and entry.pending else None,
        "created_by": entry.created_by if entry else None,
        "created_at": entry.created_at if entry else None,
        "bootstrap": bool(entry and entry.bootstrap),
    }


def pending_change(change: PendingChange) -> dict[str, Any]:
    return {"change_id": change.change_id, "kind": change.kind.value,
            "role": change.role.value if change.role else None,
            "supervisor": change.supervisor, "reason": change.reason,
            "proposed_by": change.proposed_by, "proposed_at": change.proposed_at}


def change_result(result: ChangeResult) -> dict[str, Any]:
    """What an account change did: applied, or waiting for a second administrator."""
    entry = result.entry
    return {"username": result.username, "status": result.status,
            "role": entry.role.value if entry.role else None, "supervisor": entry.supervisor,
            "enabled": entry.enabled, "retired": entry.retired,
            "pending_change": pending_change(entry.pending) if entry.pending else None,
            "bootstrap_exception": result.bootstrap_exception, "record": result.record_seq}


def change_response(result: ChangeResult) -> Response:
    """200 when applied, 202 when a second administrator must confirm."""
    return Response(body=change_result(result),
                    status_code=202 if result.status == "pending" else 200)


AUDIT_COLUMNS = ("seq", "at", "user_id", "username", "agency", "role", "action", "outcome",
                 "refusal_code", "purpose", "case_number", "query", "result_count", "source_ip",
                 "request_id", "search_id", "page", "cumulative_results", "authority",
                 "authority_ref", "hash")


def audit_row(record: AuditRecord) -> dict[str, Any]:
    entry = record.entry
    return {
        "seq": record.seq, "at": entry.at, "user_id": entry.user_id, "username": entry.username,
        "agency": entry.agency, "role": entry.role, "action": entry.action,
        "outcome": entry.outcome, "refusal_code": entry.refusal_code, "purpose": entry.purpose,
        "case_number": entry.case_number, "query": dict(entry.query),
        "result_count": entry.result_count, "source_ip": entry.source_ip,
        "request_id": entry.request_id, "search_id": entry.search_id,
        "page": entry.page or None, "cumulative_results": entry.cumulative_results,
        "authority": entry.authority, "authority_ref": entry.authority_ref,
        "hash": record.hash,
    }


def release_request(request: ReleaseRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id, "status": request.status.value, "rule": request.rule,
        "agency": request.agency, "agency_type": request.agency_type.value,
        "jurisdiction": request.jurisdiction.value, "requester_name": request.requester_name,
        "requester_contact": request.requester_contact, "purpose": request.purpose.value,
        "purpose_detail": request.purpose_detail, "case_number": request.case_number,
        "plate": request.data.plate, "cameras": list(request.data.cameras),
        "from": format_time(request.data.start), "to": format_time(request.data.end),
        "document": {"filename": request.document.filename,
                     "content_type": request.document.content_type,
                     "sha256": request.document.sha256, "size": request.document.size},
        "filed_at": request.filed_at, "filed_by": request.filed_by,
        "decided_at": request.decided_at, "decided_by": request.decided_by,
        "decision_reason": request.decision_reason, "export_id": request.export_id,
        "export_sha256": request.export_sha256, "reads_released": request.reads_released,
        "agency_id": request.agency_id, "sent_from": request.sent_from,
        "warnings": [{"code": warning.code, "message": warning.message}
                     for warning in request.warnings],
        "acknowledged_warnings": list(request.acknowledged_warnings),
    }


def codes(value: Any) -> tuple[str, ...]:
    """A list of short codes from a request body (anything else: none)."""
    if not isinstance(value, list):
        return ()
    return tuple(str(item)[:64] for item in value if isinstance(item, str))[:20]


def console_asset(name: str, image_origins: Sequence[str] = ()) -> Response:
    return Response(body=console.asset(name), status_code=200, headers={
        "Content-Type": console.ASSETS[name],
        "Content-Security-Policy": console.content_security_policy(image_origins),
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})


def console_redirect() -> Response:
    """/console/ -> /console, relative so it works under any stage prefix."""
    return Response(body="", status_code=308, headers={
        "Location": "../console", "Cache-Control": "no-cache"})


# Public pages may be cached briefly by browsers and proxies; they carry no personal data.
_PUBLIC_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
}


def public_html(page: str) -> Response:
    return Response(body=page, status_code=200,
                    headers={**_PUBLIC_HEADERS, "Content-Type": "text/html; charset=utf-8"})


def public_json(document: dict[str, Any]) -> Response:
    return Response(body=json.dumps(document), status_code=200,
                    headers={**_PUBLIC_HEADERS, "Content-Type": "application/json"})
