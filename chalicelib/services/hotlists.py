"""Hotlist management (administrators) and alert review (officers), each step recorded."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.errors import ObjectNotFound
from chalicelib.domain.access import Caller
from chalicelib.domain.alerts import (
    Alert,
    AlertNotOpen,
    CletsNotVerified,
    InvalidDisposition,
    dispose,
)
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.errors import Refused
from chalicelib.domain.hotlist import HotlistEntry, InvalidHotlistEntry, Source, custom_entry
from chalicelib.domain.hotlist_import import ImportReport, import_file
from chalicelib.domain.hotlist_lists import (
    InvalidListSetting,
    ListLoad,
    ListSettings,
    ListSummary,
    summarize,
)
from chalicelib.domain.reads import format_time
from chalicelib.services.auditing import entry_for

MAX_IMPORT_LINES = 200_000
MAX_CUSTOM_SHOWN = 500
_LIST_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ENTRY_ID = re.compile(r"^he-[0-9a-f]{32}$")


class HotlistWriter(Protocol):
    def put_many(self, entries: Iterable[HotlistEntry]) -> int: ...


class AlertReview(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...

    def list_open(self, limit: int = 50,
                  start: str | None = None) -> tuple[list[Alert], str | None]: ...

    def update_disposition(self, alert: Alert) -> None: ...


class AuditWriter(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...


class ListRegistry(Protocol):
    """adapters/hotlist_lists_table.HotlistListsTable."""

    def put_settings(self, settings: ListSettings) -> None: ...

    def record_load(self, load: ListLoad) -> None: ...

    def everything(self) -> tuple[list[ListSettings], list[ListLoad]]: ...


class ListEntries(Protocol):
    """The hotlist table's per-list view and early expiry (adapters/hotlist_table)."""

    def get(self, entry_id: str) -> HotlistEntry | None: ...

    def entries_of_list(self, list_name: str, limit: int = ...) -> list[HotlistEntry]: ...

    def expire(self, entry_id: str, now: datetime) -> None: ...


class _NoRegistry:
    def put_settings(self, settings: ListSettings) -> None:
        return None

    def record_load(self, load: ListLoad) -> None:
        return None

    def everything(self) -> tuple[list[ListSettings], list[ListLoad]]:
        return [], []


@dataclass(frozen=True)
class HotlistDependencies:
    hotlist: HotlistWriter
    alerts: AlertReview
    audit: AuditWriter
    clock: Callable[[], datetime]
    lists: ListRegistry = field(default_factory=_NoRegistry)
    entries: ListEntries | None = None


class HotlistRefused(Refused):
    """A hotlist request the rules refuse."""


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
    deps.lists.record_load(load_record(result.report, now, str(body.get("requested_by", "")),
                                       caller.account.username))
    deps.audit.append(entry_for(caller, "import_hotlist", now, allowed=True,
                                query={"list_name": result.report.list_name,
                                       "format": result.report.file_format},
                                result_count=stored))
    return result.report


def load_record(report: ImportReport, now: datetime, requested_by: str,
                approved_by: str) -> ListLoad:
    """What the hotlists page keeps of one import (also written by the hotlist CLI)."""
    return ListLoad(
        list_name=report.list_name, load_id=uuid.uuid4().hex[:12], loaded_at=now.isoformat(),
        file_format=report.file_format, source=report.file_format,
        total_lines=report.total_lines, accepted=report.accepted,
        filtered_immigration=report.filtered_immigration,
        skipped=tuple(sorted(report.skipped_by_reason.items())),
        requested_by=requested_by.strip()[:128], approved_by=approved_by)


# ---------------------------------------------------------------------- the hotlists page
@dataclass(frozen=True)
class HotlistsOverview:
    lists: tuple[ListSummary, ...]
    custom_entries: tuple[HotlistEntry, ...]


def overview(caller: Caller, deps: HotlistDependencies) -> HotlistsOverview:
    """Every list with its level, loads, age and staleness, and the custom entries (with case
    number, requester, approver and expiry). Recorded: the custom entries name plates."""
    now = deps.clock()
    settings, loads = deps.lists.everything()
    custom = (deps.entries.entries_of_list(Source.CUSTOM, MAX_CUSTOM_SHOWN)
              if deps.entries is not None else [])
    summaries = summarize(settings, loads, now)
    if custom and not any(summary.list_name == Source.CUSTOM for summary in summaries):
        summaries = sorted([*summaries, *summarize(
            [ListSettings(Source.CUSTOM, "normal", "", "")], [], now)],
            key=lambda summary: summary.list_name)
    deps.audit.append(entry_for(caller, "list_hotlists", now, allowed=True,
                                result_count=len(custom)))
    return HotlistsOverview(tuple(summaries), tuple(custom))


def set_list_level(list_name: str, body: Mapping[str, Any], caller: Caller,
                   deps: HotlistDependencies) -> ListSettings:
    """Set a list's alert level (high or normal); recorded with the old and new level."""
    now = deps.clock()
    if not _LIST_NAME.match(list_name):
        raise HotlistRefused("LIST_NAME_INVALID", "list names are 1-64 letters, digits, . _ -")
    try:
        settings = ListSettings(list_name, str(body.get("priority", "")),
                                caller.account.username, format_time(now))
    except InvalidListSetting as error:
        raise HotlistRefused("PRIORITY_INVALID", str(error)) from None
    deps.lists.put_settings(settings)
    deps.audit.append(entry_for(caller, "set_hotlist_priority", now, allowed=True,
                                query={"list_name": list_name, "priority": settings.level},
                                result_count=1))
    return settings


def withdraw_entry(entry_id: str, body: Mapping[str, Any], caller: Caller,
                   deps: HotlistDependencies) -> HotlistEntry:
    """Stop an entry alerting now (a vehicle recovered, a case closed); TTL removes it later.
    The reason is kept in the access record."""
    now = deps.clock()
    reason = str(body.get("reason", "")).strip()
    if not _ENTRY_ID.match(entry_id):
        raise HotlistRefused("ENTRY_ID_INVALID", "not a hotlist entry id")
    if not reason or len(reason) > 300:
        raise HotlistRefused("REASON_REQUIRED", "say why the entry is withdrawn (1-300 "
                             "characters); it is kept in the access record")
    entry = deps.entries.get(entry_id) if deps.entries is not None else None
    if entry is None or deps.entries is None:
        raise HotlistRefused("NOT_FOUND", "no such hotlist entry", 404)
    try:
        deps.entries.expire(entry_id, now)
    except ObjectNotFound:
        raise HotlistRefused("NOT_FOUND", "no such hotlist entry", 404) from None
    deps.audit.append(entry_for(caller, "withdraw_hotlist_entry", now, allowed=True,
                                query={"entry_id": entry_id, "plate": entry.plate,
                                       "list_name": entry.list_name, "reason": reason},
                                case_number=entry.case_number, result_count=1))
    return entry


def list_view(summary: ListSummary) -> dict[str, Any]:
    return {"list_name": summary.list_name, "source": summary.source,
            "priority": summary.level, "priority_set_by": summary.level_set_by,
            "last_loaded_at": summary.last_loaded_at,
            "entries_last_load": summary.entries_last_load, "age_hours": summary.age_hours,
            "freshness_limit_hours": summary.freshness_limit_hours, "stale": summary.stale,
            "loads": [{"loaded_at": load.loaded_at, "format": load.file_format,
                       "total_lines": load.total_lines, "accepted": load.accepted,
                       "filtered_immigration": load.filtered_immigration,
                       "skipped": dict(load.skipped), "requested_by": load.requested_by,
                       "approved_by": load.approved_by} for load in summary.loads]}


def custom_entry_view(entry: HotlistEntry, now: datetime) -> dict[str, Any]:
    return {"entry_id": entry.entry_id, "plate": entry.plate, "state": entry.state,
            "category": entry.category, "case_number": entry.case_number,
            "reason": entry.reason, "requested_by": entry.added_by,
            "approved_by": entry.approved_by, "added_at": entry.loaded_at,
            "expires_at": entry.expires_at,
            "expired": entry.expires_at is not None and entry.expires_at <= now.timestamp(),
            "priority": entry.priority}


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
    try:
        closed = dispose(alert, str(body.get("disposition", "")), caller.account.username,
                         now, str(body.get("note", ""))[:500],
                         clets_verified=body.get("clets_verified") is True)
    except (InvalidDisposition, AlertNotOpen) as error:
        code = ("CLETS_VERIFICATION_REQUIRED" if isinstance(error, CletsNotVerified)
                else "ALERT_NOT_OPEN" if isinstance(error, AlertNotOpen)
                else "DISPOSITION_INVALID")
        deps.audit.append(entry_for(caller, "dispose_alert", now, allowed=False,
                                    refusal_code=code,
                                    query={"alert_id": alert_id, "plate": alert.plate,
                                           "disposition": str(body.get("disposition", ""))[:32]}))
        raise
    deps.alerts.update_disposition(closed)
    deps.audit.append(entry_for(caller, "dispose_alert", now, allowed=True,
                                query={"alert_id": alert_id, "plate": alert.plate,
                                       "disposition": str(closed.disposition),
                                       "clets_verified": str(closed.clets_verified).lower()},
                                result_count=1))
    return closed


def alert_view(alert: Alert) -> dict[str, Any]:
    view = asdict(alert)
    view["level"] = alert.effective_level
    view["box"] = list(alert.box) if alert.box else None
    return view


def report_view(report: ImportReport) -> dict[str, Any]:
    return {"list_name": report.list_name, "format": report.file_format,
            "total_lines": report.total_lines, "accepted": report.accepted,
            "filtered_immigration": report.filtered_immigration,
            "skipped": dict(report.skipped_by_reason)}
