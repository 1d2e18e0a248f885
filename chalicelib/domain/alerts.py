"""Hotlist alerts and their disposition (policy 428.4(f): verify through CLETS before acting).

An alert is raised once per (read, hotlist entry): its id is derived from both, so a redelivered
queue message writes the same alert again and the conditional put makes that a no-op. An officer
closes it with a disposition from a fixed list, which the monthly audit can count (Genetec-style
accept/reject reasons).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.hotlist import HotlistHit
from chalicelib.domain.states import state_mismatch

VERIFY_INSTRUCTION = (
    "Verify this hit through CLETS before any enforcement action (policy 428.4(f))")
OPEN = "open"
CLOSED = "closed"
STATUSES = (OPEN, CLOSED)


class Disposition:
    """How a hit turned out once verified."""

    CONFIRMED = "confirmed"
    MISREAD = "misread"
    WRONG_STATE = "wrong_state"
    DISMISSED = "dismissed"


DISPOSITIONS = (Disposition.CONFIRMED, Disposition.MISREAD, Disposition.WRONG_STATE,
                Disposition.DISMISSED)
MAX_NOTE_LENGTH = 1000
MAX_NAME_LENGTH = 128


class Level:
    """How loudly the console announces an alert (Axon/Genetec-style priorities)."""

    HIGH = "high"
    NORMAL = "normal"


LEVELS = (Level.HIGH, Level.NORMAL)
# Entries already carry a numeric priority (1 most urgent; hotlist.CATEGORY_PRIORITY): a child
# or a missing person (1), a wanted person, a warrant or a felony vehicle (2) are urgent by their
# nature, so they are high on any list and no list setting can quiet them.
URGENT_PRIORITY = 2


def alert_level(list_level: str | None, entry_priority: int) -> str:
    """High when the entry's list is set to high or the entry is urgent by its category
    (priority 1-2); normal otherwise. Alerts stored before lists had a level get theirs from the
    priority alone, which keeps them meaningful."""
    if list_level == Level.HIGH or entry_priority <= URGENT_PRIORITY:
        return Level.HIGH
    return Level.NORMAL


class InvalidDisposition(ValueError):
    """A disposition the rules refuse (unknown value, no officer named, note too long)."""


class CletsNotVerified(InvalidDisposition):
    """"Confirmed" was chosen without stating that the hit was verified through CLETS."""


class AlertNotOpen(ValueError):
    """The alert was already closed; a disposition is given once."""


@dataclass(frozen=True)
class Alert:
    """A read that hit an alerting hotlist entry, and what the officer found."""

    alert_id: str
    read_id: str
    plate: str
    entry_id: str
    category: str
    case_number: str
    camera_id: str
    captured_at: str
    created_at: str
    status: str = OPEN
    disposition: str | None = None
    disposition_by: str | None = None
    disposition_at: str | None = None
    note: str = ""
    instruction: str = VERIFY_INSTRUCTION
    expires_at: int | None = None
    # How the read matched ("exact", "candidate", "confusion", "pattern"): a confusion or pattern
    # hit needs a closer look at the image before anything else.
    match: str = ""
    matched_text: str = ""
    entry_plate: str = ""
    entry_state: str = ""
    priority: int = 5
    # The state read off the plate ("" when not read) and whether it differs from the entry's:
    # a mismatch is shown to the officer instead of a plain hit.
    read_state: str = ""
    state_mismatch: bool = False
    # "high" or "normal" (alert_level); "" on alerts stored before levels existed.
    level: str = ""
    # Where the read's frame and crop are (the versions the ingest stored) and the plate's box
    # in the frame, so the console shows both inline without another lookup.
    image_key: str = ""
    image_version: str = ""
    crop_key: str = ""
    crop_version: str = ""
    box: tuple[int, int, int, int] | None = None
    # Set with a "confirmed" disposition: the officer stated the hit was verified through CLETS.
    clets_verified: bool = False

    @property
    def effective_level(self) -> str:
        return self.level or alert_level(None, self.priority)


def alert_id_for(read_id: str, entry_id: str) -> str:
    """Deterministic alert id, so redelivery of the same read cannot raise a second alert."""
    digest = hashlib.sha256(f"{read_id}\x1f{entry_id}".encode()).hexdigest()
    return "al-" + digest[:32]


@dataclass(frozen=True)
class ReadImages:
    """The frame and crop of the read that hit, as the ingest stored them."""

    image_key: str = ""
    image_version: str | None = None
    crop_key: str | None = None
    crop_version: str | None = None
    box: tuple[int, int, int, int] | None = None


def alert_from_hit(hit: HotlistHit, *, read_id: str, plate: str, camera_id: str,
                   captured_at: str, now: datetime, expires_at: int | None,
                   read_state: str | None = None, list_level: str | None = None,
                   images: ReadImages | None = None) -> Alert:
    """A new open alert for one hit of one read (marked when the read's state differs)."""
    entry = hit.entry
    shown = images or ReadImages()
    return Alert(
        alert_id=alert_id_for(read_id, entry.entry_id), read_id=read_id, plate=plate,
        entry_id=entry.entry_id, category=entry.category, case_number=entry.case_number,
        camera_id=camera_id, captured_at=captured_at, created_at=now.isoformat(),
        expires_at=expires_at, match=hit.how, matched_text=hit.matched_text,
        entry_plate=entry.plate, entry_state=entry.state, priority=entry.priority,
        read_state=read_state or "", state_mismatch=state_mismatch(read_state, entry.state),
        level=alert_level(list_level, entry.priority), image_key=shown.image_key,
        image_version=shown.image_version or "", crop_key=shown.crop_key or "",
        crop_version=shown.crop_version or "", box=shown.box,
    )


def dispose(alert: Alert, disposition: str, by: str, now: datetime, note: str = "",
            clets_verified: bool = False) -> Alert:
    """The alert closed with a disposition; only open alerts can be disposed, once. There is no
    default outcome, and "confirmed" needs the officer's statement that CLETS verified the hit
    (428.4(f)): a confirmed hit is what an enforcement stop rests on."""
    if alert.status != OPEN:
        raise AlertNotOpen("the alert is already closed")
    if disposition not in DISPOSITIONS:
        raise InvalidDisposition(f"disposition must be one of {', '.join(DISPOSITIONS)} "
                                 "(there is no default: choose one)")
    officer = by.strip()
    if not officer or len(officer) > MAX_NAME_LENGTH:
        raise InvalidDisposition("the disposition must name who gave it")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidDisposition(f"note is longer than {MAX_NOTE_LENGTH} characters")
    if disposition == Disposition.CONFIRMED and clets_verified is not True:
        raise CletsNotVerified(
            "a hit is confirmed only after it was verified through CLETS (policy 428.4(f)): "
            "tick that the CLETS verification was done")
    return replace(alert, status=CLOSED, disposition=disposition, disposition_by=officer,
                   disposition_at=now.isoformat(), note=note.strip(),
                   clets_verified=clets_verified is True)
