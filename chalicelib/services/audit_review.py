"""Auditors read and export the access record (428.6(c)); reading it is itself recorded."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import format_time
from chalicelib.services.auditing import entry_for
from chalicelib.views import AUDIT_COLUMNS, audit_row

MAX_RECORDS = 10_000
DEFAULT_DAYS = 30


class AuditSource(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...

    def between(self, start: str, end: str,
                user_id: str | None = None) -> Iterator[AuditRecord]: ...


@dataclass(frozen=True)
class AuditFilters:
    start: str
    end: str
    user_id: str | None
    username: str | None
    plate: str | None
    case_number: str | None

    def keeps(self, record: AuditRecord) -> bool:
        entry = record.entry
        if self.username and entry.username != self.username:
            return False
        if self.plate and self.plate not in entry.query.get("plate", "").upper():
            return False
        return not (self.case_number and entry.case_number != self.case_number)


class AuditQueryInvalid(Refused):
    """Audit review filters that cannot be applied (bad time, unknown field)."""


def parse_filters(params: Mapping[str, str], now: datetime) -> AuditFilters:
    # Times are kept to the second and the end is exclusive: by default include this second,
    # so a record written just before the review (same second) is not left out.
    end = _moment(params.get("to"), "to") or now + timedelta(seconds=1)
    start = _moment(params.get("from"), "from") or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise AuditQueryInvalid("WINDOW_INVALID", "from must be before to")
    if end - start > timedelta(days=366):
        raise AuditQueryInvalid("WINDOW_TOO_LONG", "review at most one year at a time")
    return AuditFilters(format_time(start), format_time(end), params.get("user_id") or None,
                        params.get("username") or None,
                        (params.get("plate") or "").upper() or None,
                        (params.get("case_number") or "").upper() or None)


def review(filters: AuditFilters, caller: Caller, source: AuditSource,
           clock: Callable[[], datetime]) -> list[AuditRecord]:
    """Matching records, oldest first; the review itself is recorded before returning them."""
    records = []
    for record in source.between(filters.start, filters.end, filters.user_id):
        if filters.keeps(record):
            records.append(record)
            if len(records) > MAX_RECORDS:
                raise AuditQueryInvalid("TOO_MANY_RECORDS",
                                        f"more than {MAX_RECORDS} records; narrow the filters")
    records.sort(key=lambda record: record.seq)
    query = {"from": filters.start, "to": filters.end, "user": filters.username or
             filters.user_id or "", "plate": filters.plate or "",
             "case_number": filters.case_number or ""}
    source.append(entry_for(caller, "read_audit", clock(), allowed=True, query=query,
                            result_count=len(records)))
    return records


def as_csv(records: list[AuditRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(AUDIT_COLUMNS))
    writer.writeheader()
    for record in records:
        row: dict[str, Any] = audit_row(record)
        row["query"] = json.dumps(row["query"], sort_keys=True)
        writer.writerow(row)
    return buffer.getvalue()


def _moment(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AuditQueryInvalid("TIME_INVALID", f"{name} must be an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
