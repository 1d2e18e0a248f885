from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.alerts import (
    CLOSED,
    OPEN,
    VERIFY_INSTRUCTION,
    Alert,
    AlertNotOpen,
    Disposition,
    InvalidDisposition,
    alert_from_hit,
    alert_id_for,
    dispose,
)
from chalicelib.domain.hotlist import (
    PATTERN_MATCH_KEY,
    Category,
    HotlistEntry,
    HotlistHit,
    HowMatched,
    Source,
    fold_plate,
    match_key,
)
from chalicelib.domain.reads import Candidate, Read
from chalicelib.services.alerts import AlertDependencies, alerts_for_reads

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ENTRY = HotlistEntry(
    entry_id="he-1", plate="BABC123", is_pattern=False, state="CA",
    category=Category.STOLEN_VEHICLE, source=Source.NCIC, case_number="V000000001",
    reason="NCIC stolen vehicle", added_by="", approved_by="", list_name="ncic-daily",
    listed_on="2026-11-20", loaded_at=NOW.isoformat(), expires_at=None, priority=3,
)


def new_alert() -> Alert:
    return alert_from_hit(HotlistHit(ENTRY, "8ABC123", HowMatched.CONFUSION), read_id="rd-1",
                          plate="8ABC123", camera_id="pole-12",
                          captured_at=(NOW - timedelta(seconds=5)).isoformat(), now=NOW,
                          expires_at=1_900_000_000)


def test_alert_from_hit_carries_the_clets_instruction_and_entry_facts() -> None:
    alert = new_alert()
    assert alert.status == OPEN and alert.disposition is None
    assert alert.instruction == VERIFY_INSTRUCTION
    assert "CLETS" in VERIFY_INSTRUCTION and "428.4(f)" in VERIFY_INSTRUCTION
    assert (alert.entry_id, alert.category, alert.case_number) == (
        "he-1", Category.STOLEN_VEHICLE, "V000000001")
    assert alert.match == HowMatched.CONFUSION
    assert alert.alert_id == alert_id_for("rd-1", "he-1")


def test_alert_ids_are_deterministic_and_distinct() -> None:
    assert alert_id_for("rd-1", "he-1") == alert_id_for("rd-1", "he-1")
    assert alert_id_for("rd-1", "he-1") != alert_id_for("rd-1", "he-2")
    assert alert_id_for("rd-1", "he-1") != alert_id_for("rd-1h", "e-1")


@pytest.mark.parametrize("disposition", [
    Disposition.CONFIRMED, Disposition.MISREAD, Disposition.WRONG_STATE, Disposition.DISMISSED,
])
def test_dispose_closes_an_open_alert(disposition: str) -> None:
    closed = dispose(new_alert(), disposition, " ofc.smith ", NOW,
                     note=" plate was 8ABC128 ")
    assert closed.status == CLOSED
    assert (closed.disposition, closed.disposition_by, closed.disposition_at, closed.note) == (
        disposition, "ofc.smith", NOW.isoformat(), "plate was 8ABC128")


def test_only_open_alerts_can_be_disposed() -> None:
    closed = dispose(new_alert(), Disposition.MISREAD, "ofc.smith", NOW)
    with pytest.raises(AlertNotOpen):
        dispose(closed, Disposition.CONFIRMED, "ofc.jones", NOW)


@pytest.mark.parametrize(("disposition", "by", "note", "message"), [
    ("arrested", "ofc.smith", "", "disposition must be one of"),
    ("", "ofc.smith", "", "disposition must be one of"),
    (Disposition.CONFIRMED, "  ", "", "who gave it"),
    (Disposition.CONFIRMED, "ofc.smith", "x" * 1001, "note"),
])
def test_dispose_refuses_bad_input(disposition: str, by: str, note: str, message: str) -> None:
    alert = new_alert()
    with pytest.raises(InvalidDisposition, match=message):
        dispose(alert, disposition, by, NOW, note)
    assert alert.status == OPEN


class CountingHotlist:
    """Entries by match key; records every lookup the service makes."""

    def __init__(self, entries: list[HotlistEntry]) -> None:
        self.entries = entries
        self.lookups: list[list[str]] = []

    def entries_for_keys(self, keys: Iterable[str]) -> list[HotlistEntry]:
        wanted = list(dict.fromkeys(keys))
        self.lookups.append(wanted)
        return [entry for entry in self.entries if match_key(entry) in wanted]


class StoredAlerts:
    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}

    def put(self, alert: Alert) -> bool:
        return self.alerts.setdefault(alert.alert_id, alert) is alert


class Notices:
    def __init__(self) -> None:
        self.published: list[str] = []

    def publish(self, subject: str, message: str, kind: str) -> None:
        self.published.append(subject)


def frame_read(read_id: str, plate: str, *alternatives: str) -> Read:
    return Read(read_id, plate, NOW.isoformat(), "pole-12", 0.9, "cameras/pole-12/f.jpg",
                1_900_000_000, candidates=tuple(Candidate(text, 0.1) for text in
                                                (plate, *alternatives)))


def test_a_frame_costs_one_hotlist_lookup_and_each_read_gets_only_its_own_hits() -> None:
    stolen = replace(ENTRY, entry_id="he-stolen", plate="7XYZ789")
    pattern = replace(ENTRY, entry_id="he-pattern", plate="5QRS*", is_pattern=True)
    hotlist = CountingHotlist([stolen, pattern])
    notices = Notices()
    deps = AlertDependencies(hotlist=hotlist, alerts=StoredAlerts(), notices=notices,
                             clock=lambda: NOW)
    reads = [frame_read("rd-a", "7XYZ789", "7XYZ788"), frame_read("rd-b", "5QRS111"),
             frame_read("rd-c", "1AAA111")]

    created = alerts_for_reads(reads, deps)

    assert len(hotlist.lookups) == 1
    assert hotlist.lookups[0].count(PATTERN_MATCH_KEY) == 1
    assert {fold_plate("7XYZ789"), fold_plate("5QRS111"), fold_plate("1AAA111")} <= set(
        hotlist.lookups[0])
    assert sorted((alert.read_id, alert.entry_id) for alert in created) == [
        ("rd-a", "he-stolen"), ("rd-b", "he-pattern")]
    assert len(notices.published) == 2


@pytest.mark.parametrize(("read_state", "entry_state", "mismatch"), [
    ("NV", "CA", True), ("CA", "CA", False), (None, "CA", False), ("NV", "", False),
])
def test_a_hit_on_another_state_is_marked_for_the_officer(
        read_state: str | None, entry_state: str, mismatch: bool) -> None:
    entry = replace(ENTRY, plate="7XYZ789", state=entry_state)
    notices = Notices()
    deps = AlertDependencies(hotlist=CountingHotlist([entry]), alerts=StoredAlerts(),
                             notices=notices, clock=lambda: NOW)
    read = replace(frame_read("rd-s", "7XYZ789"), state=read_state)

    (alert,) = alerts_for_reads([read], deps)

    assert alert.state_mismatch is mismatch
    assert alert.read_state == (read_state or "")
    assert ("STATE MISMATCH" in notices.published[0]) is mismatch
