"""Hotlist hits become alerts: every read (and its alternative readings) is matched, and each
alert tells the officer to verify through CLETS before acting (policy 428.4(f))."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.alerts import VERIFY_INSTRUCTION, Alert, alert_from_hit
from chalicelib.domain.hotlist import HotlistEntry, match_keys_for_read, match_read
from chalicelib.domain.reads import Read


class HotlistSource(Protocol):
    def entries_for_keys(self, keys: Iterable[str]) -> list[HotlistEntry]: ...


class AlertStore(Protocol):
    def put(self, alert: Alert) -> bool: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, kind: str) -> None: ...


@dataclass(frozen=True)
class AlertDependencies:
    hotlist: HotlistSource
    alerts: AlertStore
    notices: Notifier
    clock: Callable[[], datetime]


def alerts_for_reads(reads: Sequence[Read], deps: AlertDependencies) -> list[Alert]:
    """Create (once) and announce an alert for every hotlist hit of the reads."""
    now = deps.clock()
    readings_of = {read.read_id: [candidate.text for candidate in read.candidates]
                   for read in reads}
    # One lookup for the whole frame: reads share the wildcard key and often readings, and
    # match_read keeps only the entries that match each read.
    entries = deps.hotlist.entries_for_keys(
        key for read in reads for key in match_keys_for_read(read.plate, readings_of[read.read_id]))
    created = []
    for read in reads:
        for hit in match_read(read.plate, readings_of[read.read_id], entries, now):
            alert = alert_from_hit(hit, read_id=read.read_id, plate=read.plate,
                                   camera_id=read.camera_id, captured_at=read.captured_at,
                                   now=now, expires_at=read.expires_at,
                                   read_state=read.state)
            # A redelivered image finds its alert already stored and does not announce twice.
            if deps.alerts.put(alert):
                subject = ("ALPR hotlist hit (STATE MISMATCH)" if alert.state_mismatch
                           else "ALPR hotlist hit")
                deps.notices.publish(f"{subject}: {alert.category}",
                                     _message(alert), "hotlist_alert")
                created.append(alert)
    return created


def _message(alert: Alert) -> str:
    return json.dumps({
        "alert_id": alert.alert_id, "plate": alert.plate, "category": alert.category,
        "entry_state": alert.entry_state, "read_state": alert.read_state,
        "state_mismatch": alert.state_mismatch,
        "matched": alert.match, "camera_id": alert.camera_id, "captured_at": alert.captured_at,
        "hotlist_case_number": alert.case_number, "instruction": VERIFY_INSTRUCTION,
    }, sort_keys=True)
