"""Release requests (policy 428.7): filing, the review queue, approval with an export of exactly
the requested data, denial. Every step, allowed or refused, is in the audit log.

The request names an entry of the agency directory (services/agencies.py), and the sharing
rules (policy/sharing.py) read the agency's jurisdiction and type from it, never from the form.
A request from a federal, out-of-state or private body (by the entry, the name of an unlisted
agency, or the sender's mail domain) is PROHIBITED from its first moment and no path approves
it: `decide` refuses, and the table only records a decision on a PENDING request. Approval is
refused to the person who filed the request (two-person rule), re-checks the directory entry
against the access record (policy/directory.py), and requires the reviewer to acknowledge every
warning (sender address not the agency's, agency new to the directory), which is kept with the
decision.
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
from chalicelib.domain.agencies import AgencyEntry, AgencyType, EntryStatus
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.reads import Read, days_between, format_time, in_window
from chalicelib.domain.releases import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    ReleaseFields,
    ReleaseRefused,
    ReleaseRequest,
    ReleaseStatus,
    ReleaseWarning,
    WrittenRequest,
    decide,
    validate,
)
from chalicelib.domain.times import TimeInvalid, parse_zoned_time
from chalicelib.evidence.package import CustodyEvent, PackageMetadata
from chalicelib.policy.directory import entry_problems
from chalicelib.policy.separation_of_duties import release_approval_refusal
from chalicelib.policy.sharing import (
    Triage,
    release_warnings,
    sender_triage,
    triage_entry,
    triage_unlisted,
)
from chalicelib.services.auditing import entry_for
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
LINK_ACTION = "link_release_agency"
# The form fields of the first version: the facts now come from the directory, and a client
# still sending them is told so rather than silently ignored.
RETIRED_FIELDS = ("agency", "agency_type", "jurisdiction")
# The delivery link is handed to the requesting agency, so it outlives the 5-minute links
# officers get; a new one can be issued (and is audited) if it lapses before download.
DELIVERY_URL_SECONDS = 3600
DOCUMENT_URL_SECONDS = 300
FILE_BODY_BYTES = MAX_DOCUMENT_BYTES * 4 // 3 + 64 * 1024  # base64 plus the fields

REQUEST_SCHEMA: dict[str, Any] = {
    "agency_id": {"type": "string", "maxLength": 64},
    "agency_name": {"type": "string", "maxLength": 200},
    "sent_from": {"type": "string", "maxLength": 200},
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

    def relink(self, request: ReleaseRequest) -> bool: ...

    def list_by_status(self, status: ReleaseStatus, limit: int = 200
                       ) -> list[ReleaseRequest]: ...


class AgencyLookup(Protocol):
    def get(self, agency_id: str) -> AgencyEntry | None: ...


class AccessRecord(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def record(self, seq: int) -> AuditRecord | None: ...


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
    audit: AccessRecord
    clock: Callable[[], datetime]
    agencies: AgencyLookup
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
        retired = [name for name in RETIRED_FIELDS if name in body]
        if retired:
            raise ReleaseRefused("AGENCY_FROM_DIRECTORY", f"{', '.join(retired)}: the agency's "
                                 "name, type and jurisdiction come from the agency directory; "
                                 "send agency_id (or agency_name for an agency not in it)")
        fields = parse_fields(body)
        purpose, data = validate(fields)
        entry = _named_entry(fields.agency_id, deps) if fields.agency_id.strip() else None
        content, content_type, filename = parse_document(body.get("document"))
    except ReleaseRefused as refused:
        deps.audit.append(entry_for(
            caller, FILE_ACTION, now, allowed=False, refusal_code=refused.code,
            purpose=str(body.get("purpose", ""))[:64],
            case_number=str(body.get("case_number", ""))[:32],
            query={"agency": str(body.get("agency_name") or body.get("agency") or "")[:200],
                   "agency_id": str(body.get("agency_id", ""))[:64],
                   "sent_from": str(body.get("sent_from", ""))[:200]}))
        raise
    request_id = deps.new_id()
    document_key = (f"releases/{request_id}/written-request."
                    f"{DOCUMENT_TYPES[content_type]}")
    document_version = deps.exports.evidence.store_evidence(document_key, content, content_type)
    sorted_by = _triage(entry, fields.agency_name.strip(), fields.sent_from)
    request = ReleaseRequest(
        request_id=request_id, agency=entry.name if entry else fields.agency_name.strip(),
        agency_type=entry.facts.agency_type if entry else AgencyType.OTHER,
        jurisdiction=sorted_by.jurisdiction,
        requester_name=fields.requester_name.strip(),
        requester_contact=fields.requester_contact.strip(), purpose=purpose,
        purpose_detail=fields.purpose_detail.strip(),
        case_number=fields.case_number.strip().upper(), data=data,
        document=WrittenRequest(document_key, content_type,
                                hashlib.sha256(content).hexdigest(), len(content), filename,
                                document_version or ""),
        filed_at=format_time(now), filed_by=caller.account.username,
        status=sorted_by.status, rule=sorted_by.rule, agency_id=entry.agency_id if entry else "",
        sent_from=fields.sent_from.strip(),
        warnings=release_warnings(entry, fields.sent_from, now))
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


def approve(request_id: str, reason: str, caller: Caller, deps: ReleaseDependencies,
            acknowledged: tuple[str, ...] = ()) -> tuple[ReleaseRequest, Delivery | None]:
    """Approve a pending request: package exactly the requested reads, link valid one hour.

    Refused to the person who filed it, to a request whose directory entry does not hold up
    against the access record, and while a warning is not acknowledged."""
    now = deps.clock()
    request = _load(request_id, caller, APPROVE_ACTION, deps)
    try:
        decided = decide(request, True, caller.account.username, reason, now)
        refusal = release_approval_refusal(request.filed_by, caller.account.username)
        if refusal is not None:
            raise ReleaseRefused(refusal.code, refusal.message, refusal.status)
        entry = _verified_entry(request, deps)
        warnings = release_warnings(entry, request.sent_from, now)
        _check_acknowledged(warnings, acknowledged)
        reads = matching_reads(request, deps.reads)
    except ReleaseRefused as refused:
        _refuse(caller, APPROVE_ACTION, request, refused, deps)
        raise
    decided = replace(decided, warnings=warnings,
                      acknowledged_warnings=tuple(sorted(w.code for w in warnings)))
    if reads:
        decided = replace(decided, **_package(request, decided, reads, entry, now, caller, deps))
    if not deps.releases.record_decision(decided):
        raced = ReleaseRefused("ALREADY_DECIDED", "this request was decided meanwhile", 409)
        _refuse(caller, APPROVE_ACTION, request, raced, deps)
        raise raced
    deps.audit.append(entry_for(caller, APPROVE_ACTION, now, allowed=True,
                                purpose=request.purpose.value, case_number=request.case_number,
                                result_count=len(reads),
                                query={**_query_elements(decided),
                                       "export_id": decided.export_id,
                                       "sha256": decided.export_sha256,
                                       "filed_by": request.filed_by,
                                       "acknowledged": ",".join(decided.acknowledged_warnings)}))
    if not reads:
        return decided, None
    url = deps.exports.evidence.presigned_get(decided.export_key,
                                              decided.export_version or None,
                                              DELIVERY_URL_SECONDS)
    return decided, Delivery(url, DELIVERY_URL_SECONDS)


def link_agency(request_id: str, agency_id: str, caller: Caller, deps: ReleaseDependencies
                ) -> ReleaseRequest:
    """Link an unlisted request to its directory entry once a second administrator confirmed it;
    the sharing rules then sort it again, from the entry."""
    now = deps.clock()
    request = _load(request_id, caller, LINK_ACTION, deps)
    try:
        if request.status is not ReleaseStatus.UNLISTED or request.decided:
            raise ReleaseRefused("NOT_UNLISTED", f"this request is {request.status.value}; only "
                                                 "an undecided unlisted request is linked", 409)
        entry = _named_entry(agency_id, deps)
        if entry.status is not EntryStatus.ACTIVE:
            raise ReleaseRefused("AGENCY_NOT_CONFIRMED", f"{entry.name} is {entry.status.value}: "
                                 "a second administrator confirms it first", 409)
    except ReleaseRefused as refused:
        _refuse(caller, LINK_ACTION, request, refused, deps)
        raise
    sorted_by = _triage(entry, "", request.sent_from)
    linked = replace(request, agency_id=entry.agency_id, agency=entry.name,
                     agency_type=entry.facts.agency_type,
                     jurisdiction=sorted_by.jurisdiction, status=sorted_by.status,
                     rule=sorted_by.rule, warnings=release_warnings(entry, request.sent_from, now))
    if not deps.releases.relink(linked):
        raced = ReleaseRefused("CONFLICT", "this request changed meanwhile", 409)
        _refuse(caller, LINK_ACTION, request, raced, deps)
        raise raced
    deps.audit.append(entry_for(caller, LINK_ACTION, now, allowed=True,
                                purpose=request.purpose.value, case_number=request.case_number,
                                query={**_query_elements(linked),
                                       "unlisted_name": request.agency}))
    return linked


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


def _triage(entry: AgencyEntry | None, unlisted_name: str, sent_from: str) -> Triage:
    """The entry's (or the unlisted name's) triage, unless the sender's domain prohibits it."""
    by_sender = sender_triage(sent_from)
    if by_sender is not None:
        return by_sender
    return triage_entry(entry) if entry is not None else triage_unlisted(unlisted_name)


def _named_entry(agency_id: str, deps: ReleaseDependencies) -> AgencyEntry:
    entry = deps.agencies.get(agency_id.strip()) if is_uuid(agency_id.strip()) else None
    if entry is None:
        raise ReleaseRefused("AGENCY_NOT_FOUND", "no directory entry has this agency_id; for an "
                                                 "agency not in the directory give agency_name")
    if entry.status in (EntryStatus.RETIRED, EntryStatus.DECLINED):
        raise ReleaseRefused("AGENCY_RETIRED", f"{entry.name} is {entry.status.value} in the "
                                               "directory and cannot be named in a request")
    return entry


def _verified_entry(request: ReleaseRequest, deps: ReleaseDependencies) -> AgencyEntry:
    """The request's directory entry, if it holds up against the screen and the access record."""
    entry = deps.agencies.get(request.agency_id) if request.agency_id else None
    if entry is None:
        raise ReleaseRefused("AGENCY_NOT_IN_DIRECTORY",
                             "this request names no directory entry", 403)
    problems = entry_problems(entry, deps.audit.record(entry.proposal_seq),
                              deps.audit.record(entry.confirmation_seq)
                              if entry.confirmation_seq else None)
    if any("screen refuses" in problem for problem in problems):
        raise ReleaseRefused("RELEASE_PROHIBITED", "sharing is prohibited: " + "; ".join(
            problems), 403)
    if problems:
        raise ReleaseRefused("DIRECTORY_ENTRY_UNVERIFIED",
                             f"the directory entry of {entry.name} does not hold up: "
                             + "; ".join(problems), 403)
    return entry


def _check_acknowledged(warnings: tuple[ReleaseWarning, ...],
                        acknowledged: tuple[str, ...]) -> None:
    missing = sorted({warning.code for warning in warnings} - set(acknowledged))
    if missing:
        raise ReleaseRefused("WARNINGS_NOT_ACKNOWLEDGED",
                             "acknowledge each warning before approving (they are kept with the "
                             "decision): " + "; ".join(warning.message for warning in warnings
                                                       if warning.code in missing), 409)


def _package(request: ReleaseRequest, decided: ReleaseRequest, reads: list[Read],
             entry: AgencyEntry, now: datetime, caller: Caller, deps: ReleaseDependencies
             ) -> dict[str, Any]:
    """Store the package of exactly the released reads; the fields the decision records.

    Refused (and recorded) when a stored frame or crop no longer matches its ingest hash."""
    export_id = deps.new_id()
    key = f"releases/{request.request_id}/package-{export_id}.zip"
    stamp = format_time(now)
    reviewer = decided.decided_by
    metadata = PackageMetadata(
        export_id=export_id, case_number=request.case_number,
        purpose=request.purpose.value, exported_by=reviewer, approved_by=reviewer,
        created_at=stamp,
        events=(CustodyEvent("requested", request.requester_name, request.filed_at,
                             f"{request.agency} (directory entry {entry.agency_id}, ORI "
                             f"{entry.facts.ori}); filed by {request.filed_by}"),
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
        _refuse(caller, APPROVE_ACTION, request, tampered, deps, integrity_elements(built))
        raise tampered
    stored = store_built(built, key, deps.exports)
    return {"export_id": export_id, "export_key": key, "export_sha256": stored.sha256,
            "reads_released": len(reads), "export_version": stored.version_id or ""}


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
        agency_id=_text(body, "agency_id"), agency_name=_text(body, "agency_name"),
        sent_from=_text(body, "sent_from"), requester_name=_text(body, "requester_name"),
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
            "agency_id": request.agency_id, "sent_from": request.sent_from,
            "jurisdiction": request.jurisdiction.value, "status": request.status.value,
            "warnings": ",".join(request.warning_codes),
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

