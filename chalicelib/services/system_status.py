"""The system's status for the people who keep it running (Permission.SYSTEM_STATUS: the
vendor's representative, the auditor, the administrator): counts and ages only, never a plate,
a read or a user's name. Each look is recorded in the access record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.audit import AuditRecord
from chalicelib.domain.reads import format_time
from chalicelib.services.auditing import AuditWriter, entry_for
from chalicelib.services.monthly_audit import ReportObjects, latest_report
from chalicelib.services.transparency import CameraSource

STATUS_ACTION = "view_system_status"


class Queue(Protocol):
    def waiting(self) -> int: ...


class AuditHead(Protocol):
    def head(self) -> AuditRecord | None: ...


@dataclass(frozen=True)
class SystemStatusDependencies:
    cameras: CameraSource
    ingest_queue: Queue
    dead_letters: Queue
    audit_head: AuditHead
    reports: ReportObjects
    audit: AuditWriter
    clock: Callable[[], datetime]


def system_status(caller: Caller, deps: SystemStatusDependencies) -> dict[str, Any]:
    """Cameras by state, the ingest backlog and dead letters, the access record's head and
    the last monthly audit."""
    cameras = deps.cameras.list_all()
    head = deps.audit_head.head()
    latest = latest_report(deps.reports)
    status = {
        "generated_at": format_time(deps.clock()),
        "cameras": {"registered": len(cameras),
                    "active": sum(1 for camera in cameras if camera.active),
                    "credential_revoked": sum(1 for camera in cameras if camera.revoked_at)},
        "ingest": {"waiting": deps.ingest_queue.waiting(),
                   "dead_letters": deps.dead_letters.waiting()},
        "access_record": {"records": head.seq if head else 0,
                          "last_record_at": head.entry.at if head else None},
        "last_monthly_audit": ({"month": latest[0], "generated_at": latest[1]}
                               if latest else None),
    }
    deps.audit.append(entry_for(caller, STATUS_ACTION, deps.clock(), allowed=True,
                                result_count=1))
    return status
