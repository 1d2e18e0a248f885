"""The public transparency page (428.3.1(g); Civil Code 1798.90.51): the posted policy and figures
computed from live configuration and data.

It is public and unauthenticated, so it carries configuration and counts only: no plates, no
user names. Every figure comes from a bounded query (day partitions of the reads index, the
alerts index by creation time, month partitions of the audit index, the small cameras table, the
reports listing), and the result is cached for a few minutes per function instance so that
anonymous traffic cannot turn the page into a cost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.policy_document import PolicyDocument
from chalicelib.domain.access import Permission
from chalicelib.domain.agencies import AgencyEntry, EntryStatus
from chalicelib.domain.cameras import Camera
from chalicelib.domain.reads import days_between, format_time
from chalicelib.policy.long_history import DEFAULT_EXTENDED_SEARCH_DAYS
from chalicelib.policy.transparency import (
    PREREQUISITES,
    AuthorizedRole,
    authorized_roles,
    search_rules,
    sharing_rules,
)
from chalicelib.services.monthly_audit import ReportObjects, latest_report

WINDOW_DAYS = 30
CACHE_SECONDS = 300


class CameraSource(Protocol):
    def list_all(self) -> list[Camera]: ...


class ReadCounter(Protocol):
    def count_captured(self, day: str, low: str, high: str) -> int: ...


class AlertCounter(Protocol):
    def count_created_between(self, start: str, end: str) -> int: ...


class ReleaseCounter(Protocol):
    def approved_between(self, start: str, end: str) -> list[tuple[str, int]]: ...


class DirectorySource(Protocol):
    def list_by_status(self, status: EntryStatus) -> list[AgencyEntry]: ...


class AuditCounter(Protocol):
    def count_searches(self, start: str, end: str, extended_only: bool = False) -> int: ...


@dataclass(frozen=True)
class TransparencyDependencies:
    cameras: CameraSource
    reads: ReadCounter
    alerts: AlertCounter
    audit: AuditCounter
    reports: ReportObjects
    policy_document: Callable[[], PolicyDocument]
    clock: Callable[[], datetime]
    agency: str
    retention_days: int
    releases: ReleaseCounter
    directory: DirectorySource
    extended_search_days: int = DEFAULT_EXTENDED_SEARCH_DAYS
    mfa_for_plate_data: bool = True


@dataclass(frozen=True)
class ReleasedTo:
    """An agency that received data in the window: how many releases, how many reads."""

    agency: str
    releases: int
    reads: int


@dataclass(frozen=True)
class TransparencyFigures:
    agency: str
    generated_at: str
    window_days: int
    retention_days: int
    authorized_roles: tuple[AuthorizedRole, ...]
    prerequisites: tuple[str, ...]
    sharing_rules: tuple[str, ...]
    cameras: int
    reads: int
    hotlist_hits: int
    searches: int
    extended_searches: int
    extended_search_days: int
    search_rules: tuple[str, ...]
    last_monthly_audit: str | None
    last_monthly_audit_generated: str | None
    policy: PolicyDocument
    released_to: tuple[ReleasedTo, ...] = ()
    directory_agencies: int = 0


def compute_figures(deps: TransparencyDependencies,
                    in_use: frozenset[Permission] = frozenset(Permission)
                    ) -> TransparencyFigures:
    """Read every figure now (no cache): counts over the last WINDOW_DAYS days. `in_use` is
    the set of permissions some route requires: the page claims nothing beyond it."""
    policy = deps.policy_document()  # a page without its policy is not posted: fail loudly
    now = deps.clock()
    start = now - timedelta(days=WINDOW_DAYS)
    low, high = format_time(start), format_time(now)
    reads = sum(deps.reads.count_captured(day, low, high) for day in days_between(start, now))
    latest = latest_report(deps.reports)
    directory = len(deps.directory.list_by_status(EntryStatus.ACTIVE))
    return TransparencyFigures(
        agency=deps.agency, generated_at=high, window_days=WINDOW_DAYS,
        retention_days=deps.retention_days, authorized_roles=authorized_roles(in_use),
        prerequisites=PREREQUISITES, sharing_rules=sharing_rules(in_use, directory),
        released_to=released_to(deps.releases.approved_between(low, high)),
        directory_agencies=directory,
        cameras=sum(1 for camera in deps.cameras.list_all() if camera.active),
        reads=reads,
        hotlist_hits=deps.alerts.count_created_between(start.isoformat(), now.isoformat()),
        searches=deps.audit.count_searches(low, high),
        extended_searches=deps.audit.count_searches(low, high, extended_only=True),
        extended_search_days=deps.extended_search_days,
        search_rules=search_rules(deps.extended_search_days, deps.mfa_for_plate_data),
        last_monthly_audit=latest[0] if latest else None,
        last_monthly_audit_generated=latest[1] if latest else None,
        policy=policy)


def released_to(approved: list[tuple[str, int]]) -> tuple[ReleasedTo, ...]:
    """Approved releases grouped by agency, most releases first."""
    counts: dict[str, list[int]] = {}
    for agency, reads in approved:
        row = counts.setdefault(agency, [0, 0])
        row[0] += 1
        row[1] += reads
    return tuple(ReleasedTo(agency, releases, reads) for agency, (releases, reads) in
                 sorted(counts.items(), key=lambda item: (-item[1][0], item[0])))


class TransparencyCache:
    """The last figures of this function instance, reused for CACHE_SECONDS."""

    def __init__(self, seconds: int = CACHE_SECONDS) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self._figures: TransparencyFigures | None = None
        self._computed_at: datetime | None = None

    def figures(self, deps: TransparencyDependencies,
                in_use: frozenset[Permission] = frozenset(Permission)) -> TransparencyFigures:
        now = deps.clock()
        with self._lock:
            fresh = (self._figures is not None and self._computed_at is not None
                     and timedelta(0) <= now - self._computed_at < timedelta(
                         seconds=self._seconds))
            if not fresh:
                self._figures, self._computed_at = compute_figures(deps, in_use), now
            assert self._figures is not None  # noqa: S101 - set just above
            return self._figures


def figures_document(figures: TransparencyFigures) -> dict[str, Any]:
    """The JSON form (GET /transparency.json): the page's figures and its policy document."""
    return {
        "agency": figures.agency,
        "generated_at": figures.generated_at,
        "retention_days": figures.retention_days,
        "authorized_roles": [{"role": role.role, "title": role.title, "may": list(role.may)}
                             for role in figures.authorized_roles],
        "prerequisites_for_every_user": list(figures.prerequisites),
        "sharing_rules": list(figures.sharing_rules),
        "agencies_in_directory": figures.directory_agencies,
        f"data_released_last_{figures.window_days}_days": [
            {"agency": row.agency, "releases": row.releases, "reads": row.reads}
            for row in figures.released_to],
        "cameras": figures.cameras,
        "window_days": figures.window_days,
        f"reads_last_{figures.window_days}_days": figures.reads,
        f"hotlist_hits_last_{figures.window_days}_days": figures.hotlist_hits,
        f"searches_last_{figures.window_days}_days": figures.searches,
        f"extended_searches_last_{figures.window_days}_days": figures.extended_searches,
        "extended_search_days": figures.extended_search_days,
        "search_rules": list(figures.search_rules),
        "last_monthly_audit": ({"month": figures.last_monthly_audit,
                                "generated_at": figures.last_monthly_audit_generated}
                               if figures.last_monthly_audit else None),
        "policy_document": {"name": figures.policy.name, "sha256": figures.policy.sha256,
                            "text": figures.policy.text},
    }
