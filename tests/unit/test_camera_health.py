"""Camera health: who is offline, one notice per outage and one when it ends, the counters the
ingest keeps (best effort, never twice), the status view (no plates) and the monthly figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.errors import TransientStorageError
from chalicelib.domain.camera_health import CameraState, HourCounts, Outage, hour_of, judge
from chalicelib.domain.cameras import (
    DEFAULT_FIXED_INTERVAL_MINUTES,
    Camera,
    InvalidCamera,
    new_camera,
    set_expected_interval,
)
from chalicelib.services.camera_health import (
    BACK_NOTICE,
    OFFLINE_NOTICE,
    CameraActivity,
    HealthCheckDependencies,
    HealthViewDependencies,
    camera_health,
    check_cameras,
    month_figures,
)
from tests.unit.fakes import FakeNotices

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def fixed(camera_id: str = "pole-1", **changes: object) -> Camera:
    camera, _ = new_camera(camera_id=camera_id, name=f"Pole {camera_id}", agency="PD",
                           kind="fixed", now=NOW - timedelta(days=30), lat=37.3, lon=-121.9,
                           heading=90.0)
    return replace(camera, **changes)  # type: ignore[arg-type]


def mobile(camera_id: str = "car-7") -> Camera:
    camera, _ = new_camera(camera_id=camera_id, name="Patrol 7", agency="PD", kind="mobile",
                           now=NOW - timedelta(days=30))
    return camera


class FakeStats:
    """CameraStatsTable in memory, with the same conditional transitions."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, str], dict[str, int]] = {}
        self.seen: dict[str, datetime] = {}
        self.state: dict[str, str] = {}  # camera -> open outage start
        self.outage_log: dict[tuple[str, str], Outage] = {}
        self.failing = False

    def count(self, camera_id: str, at: datetime, **amounts: int) -> None:
        if self.failing:
            raise TransientStorageError("count camera activity: ThrottlingException")
        bucket = self.counters.setdefault((camera_id, hour_of(at)), {})
        for name, value in amounts.items():
            bucket[name] = bucket.get(name, 0) + value

    def saw_frame(self, camera_id: str, at: datetime) -> None:
        if self.failing:
            raise TransientStorageError("record camera frame: ThrottlingException")
        if camera_id not in self.seen or self.seen[camera_id] < at:
            self.seen[camera_id] = at

    def hours(self, camera_id: str, first_hour: str, last_hour: str) -> list[HourCounts]:
        return [HourCounts(hour, **values) for (camera, hour), values in
                sorted(self.counters.items())
                if camera == camera_id and first_hour <= hour <= last_hour]

    def last_frames(self, camera_ids: Sequence[str]) -> dict[str, datetime]:
        return {camera: moment for camera, moment in self.seen.items() if camera in camera_ids}

    def open_outages(self, camera_ids: Sequence[str]) -> dict[str, str]:
        return {camera: start for camera, start in self.state.items() if camera in camera_ids}

    def outages(self, camera_id: str) -> list[Outage]:
        return [outage for (camera, _), outage in sorted(self.outage_log.items())
                if camera == camera_id]

    def begin_outage(self, outage: Outage) -> bool:
        if outage.camera_id in self.state:
            return False
        self.state[outage.camera_id] = outage.started_at
        self.outage_log[(outage.camera_id, outage.started_at)] = outage
        return True

    def end_outage(self, camera_id: str, started_at: str, ended_at: str, reason: str,
                   changed_at: str) -> bool:
        if self.state.get(camera_id) != started_at:
            return False
        del self.state[camera_id]
        key = (camera_id, started_at)
        self.outage_log[key] = replace(self.outage_log[key], ended_at=ended_at,
                                       end_reason=reason)
        return True


class Cameras:
    def __init__(self, *cameras: Camera) -> None:
        self.cameras = list(cameras)

    def list_all(self) -> list[Camera]:
        return list(self.cameras)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def check_deps(cameras: Cameras, stats: FakeStats, clock: Clock,
               notices: FakeNotices) -> HealthCheckDependencies:
    return HealthCheckDependencies(cameras=cameras, stats=stats, notices=notices, clock=clock)


# ---------------------------------------------------------------------- who is watched
def test_fixed_cameras_are_watched_every_15_minutes_mobile_ones_not_by_default() -> None:
    assert fixed().expected_interval_minutes == DEFAULT_FIXED_INTERVAL_MINUTES == 15
    assert mobile().expected_interval_minutes is None
    last = NOW - timedelta(minutes=14)
    assert judge(fixed(), last, NOW) is CameraState.ONLINE
    assert judge(fixed(), NOW - timedelta(minutes=16), NOW) is CameraState.OFFLINE
    assert judge(mobile(), NOW - timedelta(days=3), NOW) is CameraState.NOT_MONITORED
    # Inactive or revoked cameras are expected to be silent.
    assert judge(fixed(active=False), None, NOW) is CameraState.NOT_MONITORED
    assert judge(fixed(revoked_at=NOW.isoformat()), None, NOW) is CameraState.NOT_MONITORED
    # A camera that never sent a frame is silent since it was registered.
    assert judge(fixed(), None, NOW) is CameraState.OFFLINE
    # An administrator may watch a patrol car that is always on, or stop watching a pole.
    assert judge(set_expected_interval(mobile(), 60), NOW - timedelta(minutes=61),
                 NOW) is CameraState.OFFLINE
    assert judge(set_expected_interval(fixed(), None), None, NOW) is CameraState.NOT_MONITORED


@pytest.mark.parametrize("minutes", [0, -5, 1441, 2.5, "15", True])
def test_an_expected_interval_is_whole_minutes_up_to_a_day(minutes: object) -> None:
    with pytest.raises(InvalidCamera, match="expected_interval_minutes"):
        set_expected_interval(fixed(), minutes)


# ---------------------------------------------------------------------- the scheduled check
def test_an_outage_is_announced_once_and_its_end_once() -> None:
    stats, clock, notices = FakeStats(), Clock(), FakeNotices()
    pole, quiet_car = fixed(), mobile()
    deps = check_deps(Cameras(pole, quiet_car), stats, clock, notices)
    stats.saw_frame(pole.camera_id, NOW - timedelta(minutes=5))

    first = check_cameras(deps)
    assert (first.watched, first.offline, first.went_offline) == (1, 0, ())

    clock.now = NOW + timedelta(minutes=11)  # 16 minutes of silence
    went = check_cameras(deps)
    again = check_cameras(deps)
    clock.now += timedelta(minutes=30)
    still = check_cameras(deps)
    assert went.went_offline == (pole.camera_id,)
    assert again.went_offline == still.went_offline == ()
    assert [kind for _, _, kind in notices.sent] == [OFFLINE_NOTICE]
    subject, message, _ = notices.sent[0]
    assert subject == f"Camera offline: {pole.name}"
    body = json.loads(message)
    assert body["silent_since"] == (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["expected_interval_minutes"] == 15 and body["never_sent_a_frame"] is False

    stats.saw_frame(pole.camera_id, clock.now)
    back = check_cameras(deps)
    after = check_cameras(deps)
    assert back.came_back == (pole.camera_id,) and after.came_back == ()
    assert [kind for _, _, kind in notices.sent] == [OFFLINE_NOTICE, BACK_NOTICE]
    ended = json.loads(notices.sent[1][1])
    assert ended["reason"] == "frames resumed" and ended["outage_minutes"] == 46
    [outage] = stats.outages(pole.camera_id)
    assert outage.ended_at is not None


def test_two_checks_running_at_once_announce_an_outage_once() -> None:
    class RacedStats(FakeStats):
        def begin_outage(self, outage: Outage) -> bool:
            super().begin_outage(outage)
            return False  # the other run's conditional write got there first

    stats, clock, notices = RacedStats(), Clock(), FakeNotices()
    assert check_cameras(check_deps(Cameras(fixed()), stats, clock, notices)).went_offline == ()
    assert notices.sent == []


def test_deactivating_a_silent_camera_closes_its_outage_without_calling_it_back() -> None:
    stats, clock, notices = FakeStats(), Clock(), FakeNotices()
    cameras = Cameras(fixed())
    deps = check_deps(cameras, stats, clock, notices)
    check_cameras(deps)  # never sent a frame: offline
    cameras.cameras = [fixed(active=False)]
    check_cameras(deps)
    assert [kind for _, _, kind in notices.sent] == [OFFLINE_NOTICE, BACK_NOTICE]
    assert notices.sent[1][0].startswith("Camera no longer monitored")
    assert "no longer monitored" in json.loads(notices.sent[1][1])["reason"]


# ---------------------------------------------------------------------- the ingest's counters
def test_counters_are_best_effort_and_never_fail_an_ingest() -> None:
    stats = FakeStats()
    activity = CameraActivity(stats)
    activity.frame_accepted("pole-1", NOW, reads=2)
    activity.frame_accepted("pole-1", NOW, reads=0)
    activity.upload_rejected("pole-1", NOW)
    activity.duplicate("pole-1", NOW)
    activity.hits("pole-1", NOW, 1)
    assert stats.counters[("pole-1", "2026-12-01T12")] == {
        "frames": 2, "reads": 2, "no_reads": 1, "rejected": 1, "duplicates": 1, "hits": 1}
    assert stats.seen["pole-1"] == NOW
    stats.failing = True
    activity.frame_accepted("pole-1", NOW, reads=1)  # logged, not raised


# ---------------------------------------------------------------------- the status view
def test_the_health_view_has_rates_ratios_and_no_plate() -> None:
    stats, clock = FakeStats(), Clock()
    activity = CameraActivity(stats)
    for minute in range(0, 60, 10):
        activity.frame_accepted("pole-1", NOW - timedelta(minutes=minute), reads=1)
    activity.frame_accepted("pole-1", NOW - timedelta(hours=2), reads=0)
    activity.hits("pole-1", NOW, 3)
    activity.upload_rejected("pole-1", NOW)
    [view] = camera_health(HealthViewDependencies(Cameras(fixed()), stats, clock), hours=24)
    assert view["state"] == CameraState.ONLINE.value and view["silent_minutes"] == 0
    assert view["totals"] == {"frames": 7, "reads": 6, "no_reads": 1, "rejected": 1,
                              "duplicates": 0, "hits": 3}
    assert view["no_read_ratio"] == round(1 / 7, 4) and view["hit_ratio"] == 0.5
    assert len(view["hourly"]) == 24 and view["hourly"][-1]["frames"] > 0
    assert "plate" not in json.dumps(view)


# ---------------------------------------------------------------------- the monthly report
def test_month_figures_count_outage_hours_inside_the_month_only() -> None:
    stats = FakeStats()
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    # Began the evening before the month, ended 6 hours into it; a second one still open.
    stats.outage_log[("pole-1", "a")] = Outage("pole-1", "2026-10-31T18:00:00Z",
                                               "2026-10-31T18:20:00Z", "2026-11-01T06:00:00Z")
    stats.outage_log[("pole-1", "b")] = Outage("pole-1", "2026-11-30T20:00:00Z",
                                               "2026-11-30T20:16:00Z")
    stats.outage_log[("pole-1", "c")] = Outage("pole-1", "2026-10-01T00:00:00Z",
                                               "2026-10-01T00:16:00Z", "2026-10-02T00:00:00Z")
    CameraActivity(stats).frame_accepted("pole-1", datetime(2026, 11, 15, tzinfo=UTC), reads=4)
    CameraActivity(stats).hits("pole-1", datetime(2026, 11, 15, tzinfo=UTC), 1)
    [month] = month_figures(Cameras(fixed()), stats, start, end, now=NOW)
    assert (month.frames, month.reads, month.hits, month.hit_ratio) == (1, 4, 1, 0.25)
    assert month.outages == 2 and month.outage_hours == 10.0
