"""Hotlist hits become alerts: every read (and its alternative readings) is matched, and each
alert tells the officer to verify through CLETS before acting (policy 428.4(f))."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.domain.alerts import (
    VERIFY_INSTRUCTION,
    Alert,
    Level,
    ReadImages,
    alert_from_hit,
)
from chalicelib.domain.hotlist import HotlistEntry, match_keys_for_read, match_read
from chalicelib.domain.reads import Read

HIGH_PRIORITY_NOTICE = "high_priority_alert"


class HotlistSource(Protocol):
    def entries_for_keys(self, keys: Iterable[str]) -> list[HotlistEntry]: ...


class AlertStore(Protocol):
    def put(self, alert: Alert) -> bool: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, kind: str) -> None: ...


class ListLevels(Protocol):
    """Each hotlist's alert level (adapters/hotlist_lists_table.HotlistListsTable)."""

    def levels(self, list_names: Iterable[str]) -> dict[str, str]: ...


class HitCounter(Protocol):
    """The camera health counters (services/camera_health.CameraActivity)."""

    def hits(self, camera_id: str, at: datetime, count: int) -> None: ...


class DispatchQueue(Protocol):
    """The queue of alerts to post to the dispatch (CAD) webhook (adapters/dispatch_queue)."""

    def enqueue(self, alert_id: str) -> None: ...


class _NoLevels:
    def levels(self, list_names: Iterable[str]) -> dict[str, str]:
        return {}


class _NoCounter:
    def hits(self, camera_id: str, at: datetime, count: int) -> None:
        return None


@dataclass(frozen=True)
class AlertDependencies:
    hotlist: HotlistSource
    alerts: AlertStore
    notices: Notifier
    clock: Callable[[], datetime]
    levels: ListLevels = field(default_factory=_NoLevels)
    activity: HitCounter = field(default_factory=_NoCounter)
    # The topic people subscribe their e-mail or phone to (high priority only), and the dispatch
    # webhook's queue; None where the deployment has neither.
    high_priority: Notifier | None = None
    dispatch: DispatchQueue | None = None


def alerts_for_reads(reads: Sequence[Read], deps: AlertDependencies) -> list[Alert]:
    """Create (once) and announce an alert for every hotlist hit of the reads."""
    now = deps.clock()
    readings_of = {read.read_id: [candidate.text for candidate in read.candidates]
                   for read in reads}
    # One lookup for the whole frame: reads share the wildcard key and often readings, and
    # match_read keeps only the entries that match each read.
    entries = deps.hotlist.entries_for_keys(
        key for read in reads for key in match_keys_for_read(read.plate, readings_of[read.read_id]))
    hits = [(read, hit) for read in reads
            for hit in match_read(read.plate, readings_of[read.read_id], entries, now)]
    if not hits:
        return []
    levels = deps.levels.levels({hit.entry.list_name for _, hit in hits})
    created = []
    for read, hit in hits:
        alert = alert_from_hit(hit, read_id=read.read_id, plate=read.plate,
                               camera_id=read.camera_id, captured_at=read.captured_at,
                               now=now, expires_at=read.expires_at, read_state=read.state,
                               list_level=levels.get(hit.entry.list_name),
                               images=_images(read))
        # A redelivered image finds its alert already stored and does not announce twice.
        if deps.alerts.put(alert):
            _announce(alert, deps)
            created.append(alert)
    for camera_id, count in Counter(alert.camera_id for alert in created).items():
        deps.activity.hits(camera_id, now, count)
    return created


def _images(read: Read) -> ReadImages:
    return ReadImages(image_key=read.image_key, image_version=read.image_version,
                      crop_key=read.crop_key, crop_version=read.crop_version,
                      box=read.box if any(read.box) else None)


def _announce(alert: Alert, deps: AlertDependencies) -> None:
    subject = ("ALPR hotlist hit (STATE MISMATCH)" if alert.state_mismatch
               else "ALPR hotlist hit")
    deps.notices.publish(f"{subject}: {alert.category}", _message(alert), "hotlist_alert")
    if deps.high_priority is not None and alert.effective_level == Level.HIGH:
        deps.high_priority.publish(f"High-priority ALPR hit: {alert.category}",
                                   high_priority_text(alert), HIGH_PRIORITY_NOTICE)
    if deps.dispatch is not None:
        deps.dispatch.enqueue(alert.alert_id)


def high_priority_text(alert: Alert) -> str:
    """What e-mail and text-message subscribers get: no plate and no image. Mail and SMS
    leave the agency's systems unencrypted (CJIS does not allow criminal justice information
    there), so the plate is seen in the console, signed in, where the view is recorded."""
    category = alert.category.replace("_", " ")
    mismatch = " The state read differs from the entry's." if alert.state_mismatch else ""
    return (f"High-priority hotlist hit ({category}) at camera {alert.camera_id}, "
            f"{alert.captured_at}. Alert {alert.alert_id}.{mismatch} Open the Platekeeper "
            "console to see the plate and image, and verify through CLETS before any action "
            "(policy 428.4(f)).")


def _message(alert: Alert) -> str:
    return json.dumps({
        "alert_id": alert.alert_id, "plate": alert.plate, "category": alert.category,
        "entry_state": alert.entry_state, "read_state": alert.read_state,
        "state_mismatch": alert.state_mismatch,
        "matched": alert.match, "camera_id": alert.camera_id, "captured_at": alert.captured_at,
        "hotlist_case_number": alert.case_number, "instruction": VERIFY_INSTRUCTION,
        "level": alert.effective_level,
    }, sort_keys=True)
