"""Camera health: is each camera sending frames as it should, and how well is it reading?

What peers' administrators rely on (Rekor's camera heartbeat and statistics, Vigilant's hit
ratio): each camera's last frame, frames and reads per hour, the share of frames with no plate
read, rejected uploads, hotlist hits and the hit ratio (hits per read). Counts only: nothing
here names a plate, so the vendor's representative may see it.

A fixed camera that stays silent longer than its expected interval (a setting per camera,
15 minutes by default) is offline. Mobile cameras (patrol cars) are switched off between
shifts and shifts are not modelled, so they are not watched unless an administrator gives one
an expected interval. Inactive and revoked cameras are not watched either. Silence is counted
from the last frame the ingest accepted, by the server's clock (a camera's own clock can be
wrong), or from registration for a camera that never sent one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from chalicelib.domain.cameras import Camera

# Hourly counters are operational figures without plates; kept long enough for a year of
# monthly reports and a comparison with the month before.
STATS_KEEP_DAYS = 400


class CameraState(StrEnum):
    """What the health check concludes about one camera now."""

    ONLINE = "online"
    OFFLINE = "offline"
    NOT_MONITORED = "not_monitored"  # mobile without an interval, inactive or revoked


def watched_interval(camera: Camera) -> timedelta | None:
    """How long this camera may stay silent, or None when it is not watched."""
    if not camera.can_upload or camera.expected_interval_minutes is None:
        return None
    return timedelta(minutes=camera.expected_interval_minutes)


def silent_since(camera: Camera, last_frame_at: datetime | None) -> datetime:
    """Since when the camera has said nothing: its last accepted frame, or its registration."""
    if last_frame_at is not None:
        return last_frame_at
    return parse_stamp(camera.created_at) or datetime.min.replace(tzinfo=UTC)


def judge(camera: Camera, last_frame_at: datetime | None, now: datetime) -> CameraState:
    """Online, offline (silent longer than its interval) or not monitored."""
    interval = watched_interval(camera)
    if interval is None:
        return CameraState.NOT_MONITORED
    if now - silent_since(camera, last_frame_at) > interval:
        return CameraState.OFFLINE
    return CameraState.ONLINE


@dataclass(frozen=True)
class HourCounts:
    """What one camera did in one UTC hour (received time)."""

    hour: str  # "YYYY-MM-DDTHH"
    frames: int = 0
    reads: int = 0
    no_reads: int = 0
    rejected: int = 0
    duplicates: int = 0
    hits: int = 0


@dataclass(frozen=True)
class Totals:
    """Counts over a period and the ratios administrators read off them."""

    hours: int
    frames: int
    reads: int
    no_reads: int
    rejected: int
    duplicates: int
    hits: int

    @property
    def frames_per_hour(self) -> float:
        return self.frames / self.hours if self.hours else 0.0

    @property
    def reads_per_hour(self) -> float:
        return self.reads / self.hours if self.hours else 0.0

    @property
    def no_read_ratio(self) -> float | None:
        """Share of accepted frames in which no plate was read (None without frames)."""
        return share(self.no_reads, self.frames)

    @property
    def hit_ratio(self) -> float | None:
        """Hotlist hits per read (None without reads)."""
        return share(self.hits, self.reads)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (no frames, no reads)."""
    return part / whole if whole else None


def totals(series: Iterable[HourCounts], hours: int) -> Totals:
    rows = list(series)
    return Totals(hours=hours, frames=sum(row.frames for row in rows),
                  reads=sum(row.reads for row in rows),
                  no_reads=sum(row.no_reads for row in rows),
                  rejected=sum(row.rejected for row in rows),
                  duplicates=sum(row.duplicates for row in rows),
                  hits=sum(row.hits for row in rows))


def hour_of(moment: datetime) -> str:
    """The counter bucket of a moment: its UTC hour."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def hours_between(start: datetime, end: datetime) -> list[str]:
    """Every UTC hour bucket from start's hour up to (not including) end's next hour."""
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC)
    buckets = []
    moment = first
    while moment <= last:
        buckets.append(hour_of(moment))
        moment += timedelta(hours=1)
    return buckets


def full_series(buckets: Sequence[str], found: Iterable[HourCounts]) -> list[HourCounts]:
    """One row per bucket, zeros where the camera sent nothing (a gap is data too)."""
    by_hour = {row.hour: row for row in found}
    return [by_hour.get(bucket, HourCounts(bucket)) for bucket in buckets]


@dataclass(frozen=True)
class Outage:
    """A period a watched camera was silent past its interval. `started_at` is its last frame
    (or its registration); `ended_at` the first frame back, None while it lasts."""

    camera_id: str
    started_at: str
    detected_at: str
    ended_at: str | None = None
    end_reason: str = ""  # "frames resumed", "no longer monitored"

    def hours_within(self, start: datetime, end: datetime, now: datetime) -> float:
        """Hours of this outage that fall inside [start, end), counting an open one to now."""
        began = parse_stamp(self.started_at) or start
        finished = parse_stamp(self.ended_at) if self.ended_at else now
        finished = finished or now
        overlap = min(finished, end) - max(began, start)
        return max(overlap.total_seconds(), 0.0) / 3600


def parse_stamp(text: str | None) -> datetime | None:
    """An ISO 8601 time with zone (naive ones read as UTC); None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def ratio_text(value: float | None) -> str:
    """A ratio for people: "12.5%", or "-" when there is nothing to divide."""
    return "-" if value is None else f"{value * 100:.1f}%"
