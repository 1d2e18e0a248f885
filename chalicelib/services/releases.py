"""Release requests (policy 428.7): filing, the review queue, approval with an export of exactly
the requested data, denial. Every step, allowed or refused, is in the audit log.

The sharing rules are applied when a request is filed (policy/sharing.py), so a request from a
federal, out-of-state or private body is PROHIBITED from its first moment and no path approves
it: `decide` refuses, and the table only records a decision on a PENDING request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.reads_table import Partition, QueryStats
from chalicelib.domain.access import Caller
from chalicelib.domain.reads import Read, days_between, format_time, in_window
from chalicelib.domain.releases import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    ReleaseFields,
    ReleaseRefused,
    ReleaseRequest,
    ReleaseStatus,
    WrittenRequest,
    decide,
    validate,
)
from chalicelib.domain.times import TimeInvalid, parse_zoned_time
from chalicelib.evidence.package import CustodyEvent, PackageMetadata
from chalicelib.policy.sharing import triage
from chalicelib.services.auditing import AuditWriter, entry_for
from chalicelib.services.exports import (
    MAX_EXPORT_READS,
    ExportDependencies,
    build_evidence,
    integrity_elements,
    is_uuid,
    store_built,
)

FILE_ACTION = "file_release_request"
LIST_ACTION = "list_release_requests"
VIEW_ACTION = "view_release_request"
APPROVE_ACTION = "approve_release"
DENY_ACTION = "deny_release"
DELIVERY_ACTION = "issue_release_link"
# The delivery link is handed to the requesting agency, so it outlives the 5-minute links
# officers get; a new one can be issued (and is audited) if it lapses before download.
DELIVERY_URL_SECONDS = 3600
DOCUMENT_URL_SECONDS = 300
FILE_BODY_BYTES = MAX_DOCUMENT_BYTES * 4 // 3 + 64 * 1024  # base64 plus the fields

REQUEST_SCHEMA: dict[str, Any] = {
    "agency": {"type": "string", "maxLength": 200},
    "agency_type": {"type": "string", "enum": ["law_enforcement", "prosecutorial", "other"]},
    "jurisdiction": {"type": "string", "enum": ["california_state_or_local", "other_state",
                                                "federal", "private"]},
    "requester_name": {"type": "string", "maxLength": 200},
    "requester_contact": {"type": "string", "maxLength": 200},
    "purpose": {"type": "string"},
    "purpose_detail": {"type": "string", "maxLength": 1000},
    "case_number": {"type": "string"},
    "plate": {"type": "string", "maxLength": 12},
    "cameras": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    "from": {"type": "string", "format": "date-time"},
    "to": {"type": "string", "format": "date-time"},
    "document": {"type": "object", "properties": {
        "filename": {"type": "string"}, "content_type": {"type": "string"},
        "content_base64": {"type": "string"}}},
}

_MAGIC = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",),
          "image/jpeg": (b"\xff\xd8\xff",)}


class ReleaseRecords(Protocol):
    """The releases table (adapters/releases_table.ReleasesTable)."""

    def put(self, request: ReleaseRequest) -> None: ...

    def get(self, request_id: str) -> ReleaseRequest | None: ...

    def record_decision(self, request: ReleaseRequest) -> bool: ...

    def list_by_status(self, status: ReleaseStatus, limit: int = 200
                       ) -> list[ReleaseRequest]: ...


class ReadPartitions(Protocol):
    def newest_first(self, partition: Partition, low: str, high: str,
                     stats: QueryStats) -> Iterator[Read]: ...


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class ReleaseDependencies:
    releases: ReleaseRecords
    reads: ReadPartitions
    exports: ExportDependencies  # its evidence store keeps the letters and the packages
    audit: AuditWriter
    clock: Callable[[], datetime]
    new_id: Callable[[], str] = _new_id


@dataclass(frozen=True)
class Delivery:
    url: str
    expires_in: int


class ReleaseNotFound(LookupError):
    pass


def file_request(body: Mapping[str, Any], caller: Caller,
                 deps: ReleaseDependencies) -> ReleaseRequest:
    """Record an agency's written request; it is triaged by the sharing rules at once."""
    now = deps.clock()
    try:
        fields = parse_fields(body)
        agency_type, jurisdiction, purpose, data = validate(fields)
        content, content_type, filename = parse_document(body.get("document"))
    except ReleaseRefused as refused:
        deps.audit.append(entry_for(
            caller, FILE_ACTION, now, allowed=False, refusal_code=refused.code,
            purpose=str(body.get("purpose", ""))[:64],
            case_number=str(body.get("case_number", ""))[:32],
            query={"agency": str(body.get("agency", ""))[:200],
                   "jurisdiction": str(body.get("jurisdiction", ""))[:40]}))
        raise
    request_id = deps.new_id()
    document_key = (f"releases/{request_id}/written-request."
                    f"{DOCUMENT_TYPES[content_type]}")
    document_version = deps.exports.evidence.store_evidence(document_key, content, content_type)
    sorted_by = triage(agency_type, jurisdiction)
    request = ReleaseRequest(
        request_id=request_id, agency=fields.agency.strip(), agency_type=agency_type,
        jurisdiction=jurisdiction, requester_name=fields.requester_name.strip(),
        requester_contact=fields.requester_contact.strip(), purpose=purpose,
        purpose_detail=fields.purpose_detail.strip(),
        case_number=fields.case_number.strip().upper(), data=data,
        document=WrittenRequest(document_key, content_type,
                                hashlib.sha256(content).hexdigest(), len(content), filename,
                                document_version or ""),
        filed_at=format_time(now), filed_by=caller.account.username,
        status=sorted_by.status, rule=sorted_by.rule)
    deps.releases.put(request)
    deps.audit.append(entry_for(caller, FILE_ACTION, now, allowed=True, purpose=purpose.value,
                                case_number=request.case_number,
                                query=_query_elements(request)))
    return request


def list_requests(status: str, caller: Caller, deps: ReleaseDependencies
                  ) -> list[ReleaseRequest]:
    """One status's requests, oldest first (default: the pending review queue)."""
    now = deps.clock()
    try:
        wanted = ReleaseStatus(status or ReleaseStatus.PENDING.value)
    except ValueError:
        deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=False,
                                    refusal_code="STATUS_INVALID",
                                    query={"status": status[:20]}))
        raise ReleaseRefused("STATUS_INVALID", "status must be one of: " + ", ".join(
            member.value for member in ReleaseStatus)) from None
    found = deps.releases.list_by_status(wanted)
    deps.audit.append(entry_for(caller, LIST_ACTION, now, allowed=True,
                                result_count=len(found), query={"status": wanted.value}))
    return found


def view_request(request_id: str, caller: Caller, deps: ReleaseDependencies
                 ) -> tuple[ReleaseRequest, str]:
    """One request and a short-lived link to its written request."""
    request = _load(request_id, caller, VIEW_ACTION, deps)
    deps.audit.append(entry_for(caller, VIEW_ACTION, deps.clock(), allowed=True,
                                purpose=request.purpose.value, case_number=request.case_number,
                                result_count=1, query=_query_elements(request)))
    url = deps.exports.evidence.presigned_get(request.document.key,
                                              request.document.version_id or None,
                                              DOCUMENT_URL_SECONDS)
    return request, url


def approve(request_id: str, reason: str, caller: Caller, deps: ReleaseDependencies
            ) -> tuple[ReleaseRequest, Delivery | None]:
    """Approve a pending request: package exactly the requested reads, link valid one hour."""
    now = deps.clock()
    request = _load(request_id, caller, APPROVE_ACTION, deps)
    try:
        decided = decide(request, True, caller.account.username, reason, now)
        reads = matching_reads(request, deps.reads)
    except ReleaseRefused as refused:
        _refuse(caller, APPROVE_ACTION, request, refused, deps)
        raise
    if reads:
        export_id = deps.new_id()
        key = f"releases/{request.request_id}/package-{export_id}.zip"
        stamp = format_time(now)
        reviewer = caller.account.username
        metadata = PackageMetadata(
            export_id=export_id, case_number=request.case_number,
            purpose=request.purpose.value, exported_by=reviewer, approved_by=reviewer,
            created_at=stamp,
            events=(CustodyEvent("requested", request.requester_name, request.filed_at,
                                 f"{request.agency}; filed by {request.filed_by}"),
                    CustodyEvent("approved", reviewer, stamp, decided.decision_reason),
                    CustodyEvent("exported", reviewer, stamp,
                                 f"{len(reads)} reads released to {request.agency}")))
        built = build_evidence(reads, metadata, deps.exports)
        if built.replaced:
            # A stored frame or crop no longer matches its capture: nothing leaves the agency.
            tampered = ReleaseRefused(
                "EVIDENCE_INTEGRITY_FAILED",
                f"{len(built.replaced)} stored image(s) differ from the hash taken at ingest; "
                "nothing was released. Investigate before deciding.", 409)
            _refuse(caller, APPROVE_ACTION, request, tampered, deps,
                    integrity_elements(built))
            raise tampered
        stored = store_built(built, key, deps.exports)
        decided = replace(decided, export_id=export_id, export_key=key,
                          export_sha256=stored.sha256, reads_released=len(reads),
                          export_version=stored.version_id or "")
    if not deps.releases.record_decision(decided):
        raced = ReleaseRefused("ALREADY_DECIDED", "this request was decided meanwhile", 409)
        _refuse(caller, APPROVE_ACTION, request, raced, deps)
        raise raced
    deps.audit.append(entry_for(caller, APPROVE_ACTION, now, allowed=True,
                                purpose=request.purpose.value, case_number=request.case_number,
                                result_count=len(reads),
                                query={**_query_elements(decided),
                                       "export_id": decided.export_id,
                                       "sha256": decided.export_sha256}))
    if not reads:
        return decided, None
    url = deps.exports.evidence.presigned_get(decided.export_key,
                                              decided.export_version or None,
                                              DELIVERY_URL_SECONDS)
    return decided, Delivery(url, DELIVERY_URL_SECONDS)


def deny(request_id: str, reason: str, caller: Caller, deps: ReleaseDependencies
         ) -> ReleaseRequest:
    now = deps.clock()
    request = _load(request_id, caller, DENY_ACTION, deps)
    try:
        decided = decide(request, False, caller.account.username, reason, now)
        if not deps.releases.record_decision(decided):
            raise ReleaseRefused("ALREADY_DECIDED", "this request was decided meanwhile", 409)
    except ReleaseRefused as refused:
        _refuse(caller, DENY_ACTION, request, refused, deps)
        raise
    deps.audit.append(entry_for(caller, DENY_ACTION, now, allowed=True,
                                purpose=request.purpose.value, case_number=request.case_number,
                                query=_query_elements(decided)))
    return decided


def issue_delivery(request_id: str, caller: Caller, deps: ReleaseDependencies) -> Delivery:
    """A fresh delivery link for an approved request's package (e.g. the first one lapsed)."""
    request = _load(request_id, caller, DELIVERY_ACTION, deps)
    if request.status is not ReleaseStatus.APPROVED or not request.export_key:
        nothing = ReleaseRefused("NOTHING_TO_DELIVER",
                                 "only an approved request with released reads has a package")
        _refuse(caller, DELIVERY_ACTION, request, nothing, deps)
        raise nothing
    deps.audit.append(entry_for(caller, DELIVERY_ACTION, deps.clock(), allowed=True,
                                purpose=request.purpose.value, case_number=request.case_number,
                                result_count=request.reads_released,
                                query={**_query_elements(request),
                                       "export_id": request.export_id}))
    url = deps.exports.evidence.presigned_get(request.export_key,
                                              request.export_version or None,
                                              DELIVERY_URL_SECONDS)
    return Delivery(url, DELIVERY_URL_SECONDS)


def matching_reads(request: ReleaseRequest, reads: ReadPartitions) -> list[Read]:
    """Exactly the requested data: the plate's reads (or the cameras' reads) in the window."""
    data = request.data
    low, high = format_time(data.start), format_time(data.end)
    stats = QueryStats()
    if data.plate:
        partitions = [Partition(None, "plate", data.plate)]
    else:
        partitions = [Partition("by_camera_day", "camera_day", f"{camera}#{day}")
                      for camera in data.cameras for day in days_between(data.start, data.end)]
    found: list[Read] = []
    for partition in partitions:
        for read in reads.newest_first(partition, low, high, stats):
            if not in_window(read, data.start, data.end):
                continue
            if data.cameras and read.camera_id not in data.cameras:
                continue
            found.append(read)
            if len(found) > MAX_EXPORT_READS:
                raise ReleaseRefused(
                    "TOO_MANY_READS", f"more than {MAX_EXPORT_READS} reads match; ask the "
                    "agency to narrow the request (a bulk transfer is not a release)")
    return found


def parse_fields(body: Mapping[str, Any]) -> ReleaseFields:
    cameras = body.get("cameras") or []
    if not isinstance(cameras, list) or not all(isinstance(item, str) for item in cameras):
        raise ReleaseRefused("CAMERAS_INVALID", "cameras must be a list of camera ids")
    return ReleaseFields(
        agency=_text(body, "agency"), agency_type=_text(body, "agency_type"),
        jurisdiction=_text(body, "jurisdiction"), requester_name=_text(body, "requester_name"),
        requester_contact=_text(body, "requester_contact"), purpose=_text(body, "purpose"),
        purpose_detail=_text(body, "purpose_detail"), case_number=_text(body, "case_number"),
        plate=_text(body, "plate"), cameras=tuple(cameras),
        start=_moment(body.get("from"), "from"), end=_moment(body.get("to"), "to"))


def parse_document(value: Any) -> tuple[bytes, str, str]:
    """The written request: (bytes, content type, file name), checked against its claimed type."""
    if not isinstance(value, dict):
        raise ReleaseRefused("DOCUMENT_REQUIRED",
                             "attach the agency's written request (policy 428.7(a))")
    content_type = str(value.get("content_type", ""))
    if content_type not in DOCUMENT_TYPES:
        raise ReleaseRefused("DOCUMENT_TYPE_INVALID",
                             "the written request must be PDF, PNG, JPEG or plain text")
    try:
        content = base64.b64decode(str(value.get("content_base64", "")), validate=True)
    except (binascii.Error, ValueError):
        raise ReleaseRefused("DOCUMENT_INVALID", "the document is not valid base64") from None
    if not content:
        raise ReleaseRefused("DOCUMENT_REQUIRED", "the attached document is empty")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ReleaseRefused("DOCUMENT_TOO_LARGE",
                             f"the document exceeds {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB",
                             413)
    if not _looks_like(content, content_type):
        raise ReleaseRefused("DOCUMENT_INVALID",
                             f"the document's content is not {content_type}")
    filename = str(value.get("filename", "")).replace("/", "_").replace("\\", "_")[:120]
    return content, content_type, filename or "written-request"


def _looks_like(content: bytes, content_type: str) -> bool:
    if content_type == "text/plain":
        try:
            return "\x00" not in content.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return content.startswith(_MAGIC[content_type])


def _load(request_id: str, caller: Caller, action: str,
          deps: ReleaseDependencies) -> ReleaseRequest:
    request = deps.releases.get(request_id) if is_uuid(request_id) else None
    if request is None:
        deps.audit.append(entry_for(caller, action, deps.clock(), allowed=False,
                                    refusal_code="NOT_FOUND",
                                    query={"request_id": request_id[:64]}))
        raise ReleaseNotFound(request_id)
    return request


def _refuse(caller: Caller, action: str, request: ReleaseRequest, refused: ReleaseRefused,
            deps: ReleaseDependencies, extra: Mapping[str, str] | None = None) -> None:
    deps.audit.append(entry_for(caller, action, deps.clock(), allowed=False,
                                purpose=request.purpose.value, case_number=request.case_number,
                                refusal_code=refused.code,
                                query={**_query_elements(request), **(extra or {})}))


def _query_elements(request: ReleaseRequest) -> dict[str, str]:
    """What the access record keeps of a request: who asked, for what data, and its state."""
    return {"request_id": request.request_id, "agency": request.agency,
            "jurisdiction": request.jurisdiction.value, "status": request.status.value,
            "plate": request.data.plate, "cameras": ",".join(request.data.cameras),
            "window": f"{format_time(request.data.start)}/{format_time(request.data.end)}"}


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    return value if isinstance(value, str) else ""


def _moment(value: Any, name: str) -> datetime | None:
    try:
        return parse_zoned_time(value, name)
    except TimeInvalid as error:
        raise ReleaseRefused("TIME_INVALID", str(error)) from None

