"""Building and writing access records; refusals are recorded as carefully as grants."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.audit import ALLOWED, REFUSED, AuditEntry, AuditRecord
from chalicelib.domain.reads import format_time

ANONYMOUS = "anonymous"
# Records of camera credentials name the camera: "camera:<camera id>".
CAMERA_PREFIX = "camera:"


class AuditWriter(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...


def entry_for(caller: Caller | None, action: str, now: datetime, *, allowed: bool,
              query: Mapping[str, str] | None = None, purpose: str = "", case_number: str = "",
              result_count: int = 0, refusal_code: str = "", source_ip: str = "",
              request_id: str = "") -> AuditEntry:
    """An audit entry for one attempt by `caller` (None when nobody could be identified)."""
    account = caller.account if caller else None
    return AuditEntry(
        at=format_time(now),
        user_id=account.user_id if account else ANONYMOUS,
        username=account.username if account else ANONYMOUS,
        agency=account.agency if account else "",
        role=account.primary_role if account else "",
        action=action,
        outcome=ALLOWED if allowed else REFUSED,
        query={name: value[:200] for name, value in (query or {}).items() if value},
        purpose=purpose[:64],
        case_number=case_number[:32],
        result_count=result_count,
        refusal_code=refusal_code,
        source_ip=caller.source_ip if caller else source_ip,
        request_id=caller.request_id if caller else request_id,
    )


def camera_entry(camera_id: str, action: str, now: datetime, *, allowed: bool,
                 query: Mapping[str, str] | None = None, refusal_code: str = "",
                 source_ip: str = "", request_id: str = "") -> AuditEntry:
    """An audit entry for an attempt by an authenticated camera."""
    name = f"{CAMERA_PREFIX}{camera_id}"
    return AuditEntry(
        at=format_time(now), user_id=name, username=name, agency="", role="camera",
        action=action,
        outcome=ALLOWED if allowed else REFUSED,
        query={key: value[:200] for key, value in (query or {}).items() if value},
        refusal_code=refusal_code, source_ip=source_ip, request_id=request_id)
