"""Hotlist management (administrators) and alert review (officers), each step recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.alerts import Alert, dispose
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.hotlist import HotlistEntry, InvalidHotlistEntry, custom_entry
from chalicelib.domain.hotlist_import import ImportReport, import_file
from chalicelib.services.auditing import entry_for

MAX_IMPORT_LINES = 200_000


class HotlistWriter(Protocol):
    def put_many(self, entries: Iterable[HotlistEntry]) -> int: ...


class AlertReview(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...

    def list_open(self, limit: int = 50,
                  start: str | None = None) -> tuple[list[Alert], str | None]: ...

    def update_disposition(self, alert: Alert) -> None: ...


class AuditWriter(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...


@dataclass(frozen=True)
class HotlistDependencies:
    hotlist: HotlistWriter
    alerts: AlertReview
    audit: AuditWriter
    clock: Callable[[], datetime]


class AlertNotFound(LookupError):
    pass


def add_entry(body: Mapping[str, Any], caller: Caller, deps: HotlistDependencies) -> HotlistEntry:
    """A custom entry requested by one person and approved by the administrator adding it."""
    now = deps.clock()
    entry = custom_entry(
        plate=str(body.get("plate", "")), state=str(body.get("state", "")),
        category=str(body.get("category", "")), case_number=str(body.get("case_number", "")),
        reason=str(body.get("reason", "")), added_by=str(body.get("requested_by", "")),
        approved_by=caller.account.username, now=now,
        expires=_expires(body.get("expires")))
    deps.hotlist.put_many([entry])
    deps.audit.append(entry_for(caller, "add_hotlist_entry", now, allowed=True,
                                query={"plate": entry.plate, "entry_id": entry.entry_id},
                                case_number=entry.case_number, result_count=1))
    return entry


def _expires(value: Any) -> datetime | None:
    """The requested expiry, if any; anything but an ISO 8601 time is refused."""
    if value is None or value == "":
        return None
    message = "expires must be an ISO 8601 time with a time zone"
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidHotlistEntry(message)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidHotlistEntry(message) from None


def import_list(body: Mapping[str, Any], caller: Caller,
                deps: HotlistDependencies) -> ImportReport:
    """Import an NCIC, CLEW or CSV file's text; nothing is stored if the file is refused."""
    now = deps.clock()
    lines = str(body.get("content", "")).splitlines()[:MAX_IMPORT_LINES]
    result = import_file(lines, str(body.get("list_name", "")), now,
                         file_format=body.get("format") or None,
                         clew_table=body.get("clew_table") or None,
                         added_by=str(body.get("requested_by", "")),
                         approved_by=caller.account.username)
    stored = deps.hotlist.put_many(result.entries)
    deps.audit.append(entry_for(caller, "import_hotlist", now, allowed=True,
                                query={"list_name": result.report.list_name,
                                       "format": result.report.file_format},
                                result_count=stored))
    return result.report


def open_alerts(caller: Caller, deps: HotlistDependencies, limit: int,
                start: str | None) -> tuple[list[Alert], str | None]:
    alerts, token = deps.alerts.list_open(limit, start)
    deps.audit.append(entry_for(caller, "view_alerts", deps.clock(), allowed=True,
                                result_count=len(alerts)))
    return alerts, token


def record_disposition(alert_id: str, body: Mapping[str, Any], caller: Caller,
                       deps: HotlistDependencies) -> Alert:
    now = deps.clock()
    alert = deps.alerts.get(alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    closed = dispose(alert, str(body.get("disposition", "")), caller.account.username, now,
                     str(body.get("note", ""))[:500])
    deps.alerts.update_disposition(closed)
    deps.audit.append(entry_for(caller, "dispose_alert", now, allowed=True,
                                query={"alert_id": alert_id, "plate": alert.plate,
                                       "disposition": str(closed.disposition)},
                                result_count=1))
    return closed


def alert_view(alert: Alert) -> dict[str, Any]:
    return asdict(alert)


def report_view(report: ImportReport) -> dict[str, Any]:
    return {"list_name": report.list_name, "format": report.file_format,
            "total_lines": report.total_lines, "accepted": report.accepted,
            "filtered_immigration": report.filtered_immigration,
            "skipped": dict(report.skipped_by_reason)}
