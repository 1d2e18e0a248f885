"""Release requests (policy 428.7; Civil Code 1798.90.55(b)): another agency asks for ALPR data.

A request is filed by records staff from the agency's written request (which is kept with it).
It names an entry of the agency directory (domain/agencies.py), whose jurisdiction and type the
sharing rules in chalicelib/policy/sharing.py read; a request from an agency not (yet) in the
directory is kept as UNLISTED and cannot be approved until it is linked to a confirmed entry.
When it may be shared at all, a second person decides it. Requests are never deleted: approved
ones stay on file (428.7(c)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from chalicelib.domain.access import CASE_NUMBER, Purpose
from chalicelib.domain.agencies import AgencyType, Jurisdiction
from chalicelib.domain.errors import Refused
from chalicelib.domain.plates import normalize_plate
from chalicelib.domain.reads import format_time

# A request names the data it wants; a month of one plate or of a few cameras is the most one
# request may take (a bulk transfer is not a request for a specific investigation).
MAX_WINDOW = timedelta(days=31)
MAX_CAMERAS = 10
MAX_TEXT = 200
MAX_REASON = 1000
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
# The written request: what a scanned letter or an e-mail saved as text looks like.
DOCUMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg",
                  "text/plain": "txt"}
_Choice = TypeVar("_Choice", bound=StrEnum)
_EMAIL_OR_PHONE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$|^\+?[0-9 ().-]{7,20}$")
_EMAIL = re.compile(r"^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$")


__all__ = ["AgencyType", "Jurisdiction"]


class ReleaseStatus(StrEnum):
    UNLISTED = "unlisted"      # the agency is not a confirmed directory entry: cannot be approved
    PENDING = "pending"        # may be shared; waits for the administrator
    APPROVED = "approved"      # data exported and a delivery link issued
    DENIED = "denied"          # the administrator said no, with a reason
    PROHIBITED = "prohibited"  # the law forbids sharing; no one can approve it
    ROUTED = "routed"          # not a law enforcement body: records release process (CPRA)


# Statuses that still wait for the administrator's decision (when not yet decided).
DECIDABLE = frozenset({ReleaseStatus.PENDING, ReleaseStatus.PROHIBITED, ReleaseStatus.UNLISTED})


class ReleaseRefused(Refused):
    """A request or decision breaks a rule: a stable code and a sentence for people."""


@dataclass(frozen=True)
class RequestedData:
    """Exactly what the agency asked for: a plate and/or cameras, within a time window."""

    start: datetime
    end: datetime
    plate: str = ""
    cameras: tuple[str, ...] = ()


@dataclass(frozen=True)
class WrittenRequest:
    """The agency's letter as stored in the evidence bucket (under a legal hold)."""

    key: str
    content_type: str
    sha256: str
    size: int
    filename: str
    version_id: str = ""  # the stored version; its link names it


@dataclass(frozen=True)
class ReleaseWarning:
    """Something the reviewer must see before approving; kept with the decision."""

    code: str
    message: str


@dataclass(frozen=True)
class ReleaseRequest:
    """`agency` is the directory entry's name (or, unlisted, the name as the letter gives it);
    `agency_type` and `jurisdiction` are the entry's (unlisted: what the screen found)."""

    request_id: str
    agency: str
    agency_type: AgencyType
    jurisdiction: Jurisdiction
    requester_name: str
    requester_contact: str
    purpose: Purpose
    purpose_detail: str
    case_number: str
    data: RequestedData
    document: WrittenRequest
    filed_at: str
    filed_by: str
    status: ReleaseStatus
    rule: str                      # why it has its status (the law or policy clause)
    decided_at: str = ""
    decided_by: str = ""
    decision_reason: str = ""
    export_id: str = ""
    export_key: str = ""
    export_sha256: str = ""
    reads_released: int = 0
    export_version: str = ""  # the package's stored version; delivery links name it
    agency_id: str = ""            # the directory entry ("" while unlisted)
    sent_from: str = ""            # the address the written request came from
    warnings: tuple[ReleaseWarning, ...] = ()
    acknowledged_warnings: tuple[str, ...] = ()  # the codes the approver acknowledged

    @property
    def decided(self) -> bool:
        return bool(self.decided_at)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(sorted(warning.code for warning in self.warnings))


@dataclass(frozen=True)
class ReleaseFields:
    """A request as typed in from the agency's letter, before validation: the agency is a
    directory entry (agency_id) or, when it is not in the directory, its name (agency_name)."""

    agency_id: str
    agency_name: str
    sent_from: str
    requester_name: str
    requester_contact: str
    purpose: str
    purpose_detail: str
    case_number: str
    plate: str
    cameras: tuple[str, ...]
    start: datetime | None
    end: datetime | None


def validate(fields: ReleaseFields) -> tuple[Purpose, RequestedData]:
    """The typed parts of a request, or ReleaseRefused naming the first thing missing or wrong."""
    _validate_agency(fields)
    for name, value in (("requester_name", fields.requester_name),
                        ("purpose_detail", fields.purpose_detail)):
        if not value.strip():
            raise ReleaseRefused(f"{name.upper()}_REQUIRED",
                                 f"{name.replace('_', ' ')} is required (policy 428.7(a))")
        if len(value) > MAX_TEXT and name != "purpose_detail":
            raise ReleaseRefused(f"{name.upper()}_INVALID", f"{name} is too long")
    if len(fields.purpose_detail) > MAX_REASON:
        raise ReleaseRefused("PURPOSE_DETAIL_INVALID", "purpose detail is too long")
    if not _EMAIL_OR_PHONE.match(fields.requester_contact.strip()):
        raise ReleaseRefused("REQUESTER_CONTACT_INVALID",
                             "give the requester's e-mail address or telephone number")
    purpose = _choice(Purpose, fields.purpose, "PURPOSE")
    if not CASE_NUMBER.match(fields.case_number.strip().upper()):
        raise ReleaseRefused("CASE_NUMBER_INVALID",
                             "give the requesting agency's case number (letters, digits, dashes)")
    return purpose, _requested_data(fields)


def _validate_agency(fields: ReleaseFields) -> None:
    """A directory entry or, for an agency not in the directory, its name; the sender."""
    if not fields.agency_id.strip() and not fields.agency_name.strip():
        raise ReleaseRefused("AGENCY_REQUIRED", "name the agency: its directory entry "
                                                "(agency_id), or its name if it is not in the "
                                                "directory (policy 428.7(a))")
    if fields.agency_id.strip() and fields.agency_name.strip():
        raise ReleaseRefused("AGENCY_INVALID", "give agency_id or agency_name, not both")
    if len(fields.agency_name) > MAX_TEXT or len(fields.agency_id) > 64:
        raise ReleaseRefused("AGENCY_INVALID", "the agency's name is too long")
    if fields.sent_from.strip() and not _EMAIL.match(fields.sent_from.strip()):
        raise ReleaseRefused("SENT_FROM_INVALID", "sent_from is the e-mail address the written "
                                                  "request came from")


def _requested_data(fields: ReleaseFields) -> RequestedData:
    if fields.start is None or fields.end is None:
        raise ReleaseRefused("WINDOW_REQUIRED", "a request names the time window it wants")
    if fields.end <= fields.start:
        raise ReleaseRefused("WINDOW_INVALID", "the window ends before it starts")
    if fields.end - fields.start > MAX_WINDOW:
        raise ReleaseRefused("WINDOW_TOO_LONG",
                             f"one request covers at most {MAX_WINDOW.days} days")
    plate = normalize_plate(fields.plate) if fields.plate.strip() else ""
    cameras = tuple(dict.fromkeys(camera.strip() for camera in fields.cameras if camera.strip()))
    if not plate and not cameras:
        raise ReleaseRefused("DATA_REQUIRED",
                             "name a plate or the cameras (place) the request is about")
    if len(cameras) > MAX_CAMERAS:
        raise ReleaseRefused("TOO_MANY_CAMERAS", f"at most {MAX_CAMERAS} cameras per request")
    return RequestedData(fields.start, fields.end, plate, cameras)


def _choice(kind: type[_Choice], value: str, name: str) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ReleaseRefused(f"{name}_INVALID",
                             f"{name.lower().replace('_', ' ')} must be one of: {allowed}"
                             ) from None


def decide(request: ReleaseRequest, approve: bool, reviewer: str, reason: str,
           now: datetime) -> ReleaseRequest:
    """The request with the administrator's decision, or ReleaseRefused when it cannot be made.

    A prohibited request can be denied (the agency gets a recorded answer) but keeps its status;
    a routed one belongs to the records release process and is not decided here; an unlisted
    one can be denied, and approved only once linked to a confirmed directory entry."""
    if request.status is ReleaseStatus.PROHIBITED and approve:
        raise ReleaseRefused("RELEASE_PROHIBITED", f"sharing is prohibited: {request.rule}", 403)
    if request.status is ReleaseStatus.UNLISTED and approve and not request.decided:
        raise ReleaseRefused("AGENCY_NOT_IN_DIRECTORY",
                             f"{request.agency} is not a confirmed directory entry: an "
                             "administrator proposes it, a second one confirms it, then the "
                             "request is linked to it (POST /releases/{id}/agency)", 403)
    if request.status is ReleaseStatus.ROUTED:
        raise ReleaseRefused("RELEASE_ROUTED", f"not decided here: {request.rule}", 403)
    if request.decided or request.status not in DECIDABLE:
        raise ReleaseRefused("ALREADY_DECIDED",
                             f"this request was already {request.status.value}", 409)
    if not reason.strip():
        raise ReleaseRefused("REASON_REQUIRED", "give the reason for the decision")
    if len(reason) > MAX_REASON:
        raise ReleaseRefused("REASON_INVALID", "the reason is too long")
    status = ReleaseStatus.APPROVED if approve else ReleaseStatus.DENIED
    if request.status is ReleaseStatus.PROHIBITED:
        status = ReleaseStatus.PROHIBITED
    return replace(request, status=status, decided_at=format_time(now), decided_by=reviewer,
                   decision_reason=reason.strip())
