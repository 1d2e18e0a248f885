"""Camera health: the counters the ingest keeps, the scheduled offline check, and the view.

The ingest counts what each camera did per hour (frames, reads, frames without a read, rejected
and duplicate uploads, hotlist hits) as a side effect of its first, idempotent write of each
thing, so a redelivered message counts nothing twice. Counting is best effort: a failed counter
write is logged and never fails or repeats an ingest (the reads and alerts matter more).

Every minute `check_cameras` compares each watched camera's last frame with its expected
interval. A camera that goes silent is marked offline and the administrators' notices topic
gets one notice per outage; when frames resume it gets one more, with the outage's length.
Both transitions are conditional writes, so overlapping runs announce each change once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.errors import StorageError
from chalicelib.domain.camera_health import (
    CameraState,
    HourCounts,
    Outage,
    full_series,
    hours_between,
    judge,
    share,
    silent_since,
    totals,
)
from chalicelib.domain.cameras import Camera
from chalicelib.domain.reads import format_time
from chalicelib.observability import logger

OFFLINE_NOTICE = "camera_offline"
BACK_NOTICE = "camera_back_online"
DEFAULT_VIEW_HOURS = 24
MAX_VIEW_HOURS = 7 * 24
FRAMES_RESUMED = "frames resumed"
NO_LONGER_WATCHED = "no longer monitored (deactivated, revoked or interval removed)"


class StatsStore(Protocol):
    """adapters/camera_stats_table.CameraStatsTable."""

    def count(self, camera_id: str, at: datetime, **amounts: int) -> None: ...

    def saw_frame(self, camera_id: str, at: datetime) -> None: ...

    def hours(self, camera_id: str, first_hour: str, last_hour: str) -> list[HourCounts]: ...

    def last_frames(self, camera_ids: Sequence[str]) -> dict[str, datetime]: ...

    def open_outages(self, camera_ids: Sequence[str]) -> dict[str, str]: ...

    def outages(self, camera_id: str) -> list[Outage]: ...

    def begin_outage(self, outage: Outage) -> bool: ...

    def end_outage(self, camera_id: str, started_at: str, ended_at: str, reason: str,
                   changed_at: str) -> bool: ...


class CameraList(Protocol):
    def list_all(self) -> list[Camera]: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, kind: str) -> None: ...


# ---------------------------------------------------------------------- the ingest's counters
@dataclass(frozen=True)
class CameraActivity:
    """What the ingest tells the health figures; every method is best effort."""

    stats: StatsStore

    def frame_accepted(self, camera_id: str, at: datetime, reads: int) -> None:
        self._safely(lambda: self.stats.count(camera_id, at, frames=1, reads=reads,
                                              no_reads=0 if reads else 1))
        self._safely(lambda: self.stats.saw_frame(camera_id, at))

    def upload_rejected(self, camera_id: str, at: datetime) -> None:
        self._safely(lambda: self.stats.count(camera_id, at, rejected=1))

    def duplicate(self, camera_id: str, at: datetime) -> None:
        self._safely(lambda: self.stats.count(camera_id, at, duplicates=1))

    def hits(self, camera_id: str, at: datetime, count: int) -> None:
        self._safely(lambda: self.stats.count(camera_id, at, hits=count))

    @staticmethod
    def _safely(write: Callable[[], None]) -> None:
        try:
            write()
        except StorageError as error:
            logger.warning("camera counter not written", extra={"error": str(error)[:200]})


class NoActivity:
    """For use cases and tests that keep no camera figures."""

    def frame_accepted(self, camera_id: str, at: datetime, reads: int) -> None:
        return None

    def upload_rejected(self, camera_id: str, at: datetime) -> None:
        return None

    def duplicate(self, camera_id: str, at: datetime) -> None:
        return None

    def hits(self, camera_id: str, at: datetime, count: int) -> None:
        return None


# ---------------------------------------------------------------------- the scheduled check
@dataclass(frozen=True)
class HealthCheckDependencies:
    cameras: CameraList
    stats: StatsStore
    notices: Notifier
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class HealthCheckRun:
    checked: int
    watched: int
    offline: int
    went_offline: tuple[str, ...]
    came_back: tuple[str, ...]


def check_cameras(deps: HealthCheckDependencies) -> HealthCheckRun:
    """Judge every camera; announce each camera that went offline or came back, once."""
    now = deps.clock()
    cameras = deps.cameras.list_all()
    ids = [camera.camera_id for camera in cameras]
    last = deps.stats.last_frames(ids)
    open_outages = deps.stats.open_outages(ids)
    went_offline: list[str] = []
    came_back: list[str] = []
    watched = offline = 0
    for camera in cameras:
        state = judge(camera, last.get(camera.camera_id), now)
        watched += state is not CameraState.NOT_MONITORED
        offline += state is CameraState.OFFLINE
        started = open_outages.get(camera.camera_id)
        frame = last.get(camera.camera_id)
        if state is CameraState.OFFLINE and started is None:
            if _begin(camera, frame, now, deps):
                went_offline.append(camera.camera_id)
        elif (state is not CameraState.OFFLINE and started is not None
              and _end(camera, started, frame, state, now, deps)):
            came_back.append(camera.camera_id)
    return HealthCheckRun(len(cameras), watched, offline, tuple(went_offline), tuple(came_back))


def _begin(camera: Camera, last_frame: datetime | None, now: datetime,
           deps: HealthCheckDependencies) -> bool:
    since = silent_since(camera, last_frame)
    outage = Outage(camera.camera_id, format_time(since), format_time(now))
    if not deps.stats.begin_outage(outage):
        return False
    deps.notices.publish(f"Camera offline: {camera.name}", json.dumps({
        "camera_id": camera.camera_id, "name": camera.name, "kind": camera.kind,
        "silent_since": outage.started_at, "never_sent_a_frame": last_frame is None,
        "expected_interval_minutes": camera.expected_interval_minutes,
        "detected_at": outage.detected_at}, sort_keys=True), OFFLINE_NOTICE)
    return True


def _end(camera: Camera, started: str, last_frame: datetime | None, state: CameraState,
         now: datetime, deps: HealthCheckDependencies) -> bool:
    resumed = state is CameraState.ONLINE and last_frame is not None
    ended_at = format_time(last_frame) if resumed and last_frame else format_time(now)
    reason = FRAMES_RESUMED if resumed else NO_LONGER_WATCHED
    if not deps.stats.end_outage(camera.camera_id, started, ended_at, reason, format_time(now)):
        return False
    minutes = _minutes_between(started, ended_at)
    subject = (f"Camera back online: {camera.name}" if resumed
               else f"Camera no longer monitored: {camera.name}")
    deps.notices.publish(subject, json.dumps({
        "camera_id": camera.camera_id, "name": camera.name, "outage_started_at": started,
        "outage_ended_at": ended_at, "outage_minutes": minutes, "reason": reason},
        sort_keys=True), BACK_NOTICE)
    return True


def _minutes_between(start: str, end: str) -> int:
    try:
        return int((datetime.fromisoformat(end) - datetime.fromisoformat(start))
                   .total_seconds() // 60)
    except ValueError:
        return 0


# ---------------------------------------------------------------------- the view
@dataclass(frozen=True)
class HealthViewDependencies:
    cameras: CameraList
    stats: StatsStore
    clock: Callable[[], datetime]


def parse_hours(value: str | None) -> int:
    """The view's window in hours (default 24, at most a week); anything else is the default."""
    if value and value.isdigit():
        return min(max(int(value), 1), MAX_VIEW_HOURS)
    return DEFAULT_VIEW_HOURS


def camera_health(deps: HealthViewDependencies, hours: int = DEFAULT_VIEW_HOURS
                  ) -> list[dict[str, Any]]:
    """Every camera's state, last frame, open outage and hourly figures of the last `hours`
    hours (the current hour included). Counts and camera facts only, never a plate."""
    now = deps.clock()
    cameras = deps.cameras.list_all()
    ids = [camera.camera_id for camera in cameras]
    last = deps.stats.last_frames(ids)
    outages = deps.stats.open_outages(ids)
    buckets = hours_between(now - timedelta(hours=hours - 1), now)
    return [_camera_view(camera, last.get(camera.camera_id), outages.get(camera.camera_id),
                         full_series(buckets, deps.stats.hours(camera.camera_id, buckets[0],
                                                               buckets[-1])),
                         now, hours)
            for camera in cameras]


def _camera_view(camera: Camera, last_frame: datetime | None, outage_started: str | None,
                 series: list[HourCounts], now: datetime, hours: int) -> dict[str, Any]:
    state = judge(camera, last_frame, now)
    summed = totals(series, hours)
    return {
        "camera_id": camera.camera_id, "name": camera.name, "kind": camera.kind,
        "lat": camera.lat, "lon": camera.lon, "active": camera.active,
        "revoked": camera.revoked_at is not None,
        "expected_interval_minutes": camera.expected_interval_minutes,
        "state": state.value,
        "last_frame_at": format_time(last_frame) if last_frame else None,
        "silent_minutes": (int((now - silent_since(camera, last_frame)).total_seconds() // 60)
                           if state is not CameraState.NOT_MONITORED else None),
        "outage_started_at": outage_started,
        "window_hours": hours,
        "totals": {"frames": summed.frames, "reads": summed.reads, "no_reads": summed.no_reads,
                   "rejected": summed.rejected, "duplicates": summed.duplicates,
                   "hits": summed.hits},
        "frames_per_hour": round(summed.frames_per_hour, 2),
        "reads_per_hour": round(summed.reads_per_hour, 2),
        "no_read_ratio": _rounded(summed.no_read_ratio),
        "hit_ratio": _rounded(summed.hit_ratio),
        "hourly": [{"hour": row.hour, "frames": row.frames, "reads": row.reads,
                    "rejected": row.rejected, "hits": row.hits} for row in series],
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def state_counts(views: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many cameras are in each state (the status page's summary line)."""
    counts = {state.value: 0 for state in CameraState}
    for view in views:
        counts[str(view["state"])] += 1
    return counts


# ---------------------------------------------------------------------- the monthly report
@dataclass(frozen=True)
class CameraMonth:
    """One camera's month: what it sent and read, its hit ratio and its outages."""

    camera_id: str
    name: str
    frames: int
    reads: int
    no_reads: int
    rejected: int
    duplicates: int
    hits: int
    outages: int
    outage_hours: float

    @property
    def hit_ratio(self) -> float | None:
        return share(self.hits, self.reads)

    @property
    def no_read_ratio(self) -> float | None:
        return share(self.no_reads, self.frames)


def month_figures(cameras: CameraList, stats: StatsStore, start: datetime, end: datetime,
                  now: datetime) -> list[CameraMonth]:
    """Every registered camera's figures for [start, end): hourly counters summed, and the
    hours of outages that fall inside the month (one still open counts up to now)."""
    buckets = hours_between(start, min(end, now) - timedelta(seconds=1))
    figures = []
    for camera in cameras.list_all():
        rows = stats.hours(camera.camera_id, buckets[0], buckets[-1]) if buckets else []
        summed = totals(rows, len(buckets))
        outages = [outage for outage in stats.outages(camera.camera_id)
                   if outage.hours_within(start, end, now) > 0]
        figures.append(CameraMonth(
            camera_id=camera.camera_id, name=camera.name, frames=summed.frames,
            reads=summed.reads, no_reads=summed.no_reads, rejected=summed.rejected,
            duplicates=summed.duplicates, hits=summed.hits, outages=len(outages),
            outage_hours=round(sum(outage.hours_within(start, end, now)
                                   for outage in outages), 2)))
    return figures


def month_view(figures: Sequence[CameraMonth]) -> list[dict[str, Any]]:
    return [{"camera_id": item.camera_id, "name": item.name, "frames": item.frames,
             "reads": item.reads, "no_read_ratio": _rounded(item.no_read_ratio),
             "rejected": item.rejected, "duplicates": item.duplicates, "hits": item.hits,
             "hit_ratio": _rounded(item.hit_ratio), "outages": item.outages,
             "outage_hours": item.outage_hours} for item in figures]
