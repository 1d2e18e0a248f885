"""Alerts as they happen: a long poll through the API (no third-party push service).

`GET /alerts/live?after=TOKEN&wait=20` answers as soon as an open alert the caller has not
been given appears, or after `wait` seconds (at most 25: API Gateway ends a request at 29 s)
with none. The token is opaque to the console: a time and the ids of alerts delivered since
then. The time trails the newest delivery by TRAIL_SECONDS, because two ingests running at
once may store their alerts out of creation order and the index is eventually consistent; an
alert stored late is still found, and the ids keep it from being delivered twice.

Every answer is recorded, like every other access: a delivery with its alert ids and plates,
the start of following, and an empty wait with no results (about three records a minute while
an Alerts page is open). Every poll is authorized afresh (a disabled account stops receiving at
its next poll), and refusals are recorded as always.

Alerts carry five-minute links to their frame and crop (the versions the ingest stored) and the
plate's box, so the console shows both inline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.access import Caller
from chalicelib.domain.alerts import Alert
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import Read
from chalicelib.services.auditing import AuditWriter, entry_for

LIVE_ACTION = "view_alerts_live"
DEFAULT_WAIT_SECONDS = 20
MAX_WAIT_SECONDS = 25
POLL_SECONDS = 0.25
TRAIL_SECONDS = 10
IMAGE_URL_SECONDS = 300
MAX_SEEN = 100
WINDOW_LIMIT = 100  # alerts read per poll (the adapter's page)
_ALERT_ID = re.compile(r"^al-[0-9a-f]{32}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.+-]{8,32}$")


class FeedRefused(Refused):
    """A live-feed request that cannot be used (a token this service did not hand out)."""


class NewAlerts(Protocol):
    def open_created_since(self, since: str, limit: int = ...) -> list[Alert]: ...


class ReadLookup(Protocol):
    def get(self, read_id: str) -> Read | None: ...


class ImageLinks(Protocol):
    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str: ...


@dataclass(frozen=True)
class AlertFeedDependencies:
    alerts: NewAlerts
    reads: ReadLookup
    images: ImageLinks
    crops: ImageLinks
    audit: AuditWriter
    clock: Callable[[], datetime]
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class FeedToken:
    since: str
    seen: tuple[str, ...] = ()

    def text(self) -> str:
        return self.since + "|" + ",".join(self.seen)


@dataclass(frozen=True)
class FeedPage:
    alerts: tuple[Alert, ...]
    token: FeedToken


def parse_token(text: str | None) -> FeedToken | None:
    """The token a previous answer handed out; None when the caller starts afresh."""
    if not text:
        return None
    since, bar, ids = text.partition("|")
    seen = tuple(item for item in ids.split(",") if item) if bar else ()
    valid = (len(text) <= 64 + MAX_SEEN * 36 and _TIME.match(since) is not None
             and _parses(since) and len(seen) <= MAX_SEEN
             and all(_ALERT_ID.match(item) for item in seen))
    if not valid:
        raise FeedRefused("CURSOR_INVALID", "after must be a token this service handed out")
    return FeedToken(since, seen)


def parse_wait(value: str | None) -> float:
    if value is None or value == "":
        return DEFAULT_WAIT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise FeedRefused("WAIT_INVALID", f"wait must be 0-{MAX_WAIT_SECONDS} seconds") from None
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise FeedRefused("WAIT_INVALID", f"wait must be 0-{MAX_WAIT_SECONDS} seconds")
    return seconds


def wait_for_alerts(params: Mapping[str, str], caller: Caller,
                    deps: AlertFeedDependencies) -> FeedPage:
    """New open alerts after the token, waiting up to `wait` seconds for one to appear."""
    token = parse_token(params.get("after"))
    wait = parse_wait(params.get("wait"))
    if token is None:  # the console loads what is open with GET /alerts, then follows from now
        # Every answer is in the access record, this one too: who began following, and when.
        deps.audit.append(entry_for(caller, LIVE_ACTION, deps.clock(), allowed=True,
                                    result_count=0, query={"follow": "start"}))
        return FeedPage((), FeedToken(_stamp(deps.clock())))
    deadline = deps.monotonic() + wait
    while True:
        window = deps.alerts.open_created_since(token.since, WINDOW_LIMIT)
        fresh = [alert for alert in window if alert.alert_id not in token.seen]
        if fresh or deps.monotonic() >= deadline:
            break
        deps.sleep(POLL_SECONDS)
    following = _next_token(token, window, deps.clock())
    # An empty wait is recorded too (result_count 0): every answer to a signed-in caller is.
    deps.audit.append(entry_for(
        caller, LIVE_ACTION, deps.clock(), allowed=True, result_count=len(fresh),
        query={"alerts": ",".join(alert.alert_id for alert in fresh),
               "plates": ",".join(alert.plate for alert in fresh)} if fresh else {}))
    return FeedPage(tuple(fresh), following)


def _next_token(token: FeedToken, window: Sequence[Alert], now: datetime) -> FeedToken:
    """Trail the clock by TRAIL_SECONDS (never going back) and remember what was delivered
    since then. A full window (a console far behind) continues from its last alert instead."""
    if len(window) >= WINDOW_LIMIT:
        since = window[-1].created_at
    else:
        since = max(token.since, _stamp(now - timedelta(seconds=TRAIL_SECONDS)),
                    key=_parses_or_min)
    seen = [alert.alert_id for alert in window
            if _parses_or_min(alert.created_at) >= _parses_or_min(since)]
    return FeedToken(since, tuple(seen[-MAX_SEEN:]))


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


def _parses(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _parses_or_min(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---------------------------------------------------------------------- frame and crop links
def image_links(alerts: Iterable[Alert], deps: AlertFeedDependencies) -> dict[str, dict[str, Any]]:
    """Five-minute links to each alert's frame and crop, and the plate's box, by alert id.
    Alerts stored before they named their images find them through their read."""
    links: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        image_key, image_version = alert.image_key, alert.image_version or None
        crop_key, crop_version = alert.crop_key or None, alert.crop_version or None
        box = alert.box
        if not image_key:
            read = deps.reads.get(alert.read_id)
            if read is None:
                continue  # purged: the alert lists without images
            image_key, image_version = read.image_key, read.image_version
            crop_key, crop_version = read.crop_key, read.crop_version
            box = read.box if any(read.box) else None
        links[alert.alert_id] = {
            "frame_url": deps.images.presigned_get(image_key, image_version,
                                                   IMAGE_URL_SECONDS),
            "crop_url": (deps.crops.presigned_get(crop_key, crop_version, IMAGE_URL_SECONDS)
                         if crop_key else None),
            "box": list(box) if box else None,
            "expires_in": IMAGE_URL_SECONDS,
        }
    return links
