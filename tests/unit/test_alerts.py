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
from chalicelib.domain.hotlist import Category, HotlistEntry, HotlistHit, HowMatched, Source

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
