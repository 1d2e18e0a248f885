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


class InvalidDisposition(ValueError):
    """A disposition the rules refuse (unknown value, no officer named, note too long)."""


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


def alert_id_for(read_id: str, entry_id: str) -> str:
    """Deterministic alert id, so redelivery of the same read cannot raise a second alert."""
    digest = hashlib.sha256(f"{read_id}\x1f{entry_id}".encode()).hexdigest()
    return "al-" + digest[:32]


def alert_from_hit(hit: HotlistHit, *, read_id: str, plate: str, camera_id: str,
                   captured_at: str, now: datetime, expires_at: int | None,
                   read_state: str | None = None) -> Alert:
    """A new open alert for one hit of one read (marked when the read's state differs)."""
    entry = hit.entry
    return Alert(
        alert_id=alert_id_for(read_id, entry.entry_id), read_id=read_id, plate=plate,
        entry_id=entry.entry_id, category=entry.category, case_number=entry.case_number,
        camera_id=camera_id, captured_at=captured_at, created_at=now.isoformat(),
        expires_at=expires_at, match=hit.how, matched_text=hit.matched_text,
        entry_plate=entry.plate, entry_state=entry.state, priority=entry.priority,
        read_state=read_state or "", state_mismatch=state_mismatch(read_state, entry.state),
    )


def dispose(alert: Alert, disposition: str, by: str, now: datetime, note: str = "") -> Alert:
    """The alert closed with a disposition; only open alerts can be disposed, once."""
    if alert.status != OPEN:
        raise AlertNotOpen("the alert is already closed")
    if disposition not in DISPOSITIONS:
        raise InvalidDisposition(f"disposition must be one of {', '.join(DISPOSITIONS)}")
    officer = by.strip()
    if not officer or len(officer) > MAX_NAME_LENGTH:
        raise InvalidDisposition("the disposition must name who gave it")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidDisposition(f"note is longer than {MAX_NOTE_LENGTH} characters")
    return replace(alert, status=CLOSED, disposition=disposition, disposition_by=officer,
                   disposition_at=now.isoformat(), note=note.strip())
