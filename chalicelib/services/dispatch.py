"""Post each alert to the dispatch (CAD) system's webhook, signed, with retries.

The ingest queues the alert's id (when a webhook is configured); this use case, run by the
`dispatch_alerts` function for each queue message, reads the alert, signs the JSON body with
the secret (domain/dispatch.signature) and posts it. A failure raises, so the queue delivers
the message again after its visibility timeout; after five deliveries it goes to the dispatch
dead-letter queue (alarmed). The same alert id travels with every attempt, so the receiver can
drop repeats. Each delivery is recorded in the access record: it sends plate data outside.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.alerts import Alert
from chalicelib.domain.audit import ALLOWED, AuditEntry
from chalicelib.domain.cameras import Camera
from chalicelib.domain.dispatch import payload, signature
from chalicelib.domain.reads import format_time
from chalicelib.services.auditing import AuditWriter

DISPATCH_ACTION = "dispatch_alert"
SYSTEM = "system"
_ALERT_ID = re.compile(r"^al-[0-9a-f]{32}$")


class AlertLookup(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class CameraLookup(Protocol):
    def get(self, camera_id: str) -> Camera | None: ...


class Secret(Protocol):
    def value(self) -> bytes: ...


class Poster(Protocol):
    def post(self, body: bytes, signature: str, alert_id: str) -> int: ...


@dataclass(frozen=True)
class DispatchDependencies:
    alerts: AlertLookup
    cameras: CameraLookup
    secret: Secret
    poster: Poster | None  # None when no webhook is configured
    audit: AuditWriter
    clock: Callable[[], datetime]


def dispatch_alert(alert_id: str, deps: DispatchDependencies) -> str:
    """Post one alert; returns what happened ("posted", "skipped: ..."); raises to retry."""
    alert_id = alert_id.strip()
    if deps.poster is None:
        return "skipped: no webhook configured"
    if not _ALERT_ID.match(alert_id):
        return "skipped: not an alert id"
    alert = deps.alerts.get(alert_id)
    if alert is None:
        return "skipped: the alert no longer exists"
    camera = deps.cameras.get(alert.camera_id)
    position = ((camera.lat, camera.lon) if camera and camera.lat is not None
                and camera.lon is not None else None)
    body = payload(alert, camera.name if camera else alert.camera_id, position)
    now = deps.clock()
    status = deps.poster.post(body, signature(deps.secret.value(), int(now.timestamp()), body),
                              alert.alert_id)
    deps.audit.append(AuditEntry(
        at=format_time(now), user_id=SYSTEM, username=SYSTEM, agency="", role=SYSTEM,
        action=DISPATCH_ACTION, outcome=ALLOWED, result_count=1,
        query={"alert_id": alert.alert_id, "plate": alert.plate, "status": str(status)}))
    return "posted"
