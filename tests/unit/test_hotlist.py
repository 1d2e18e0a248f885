from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.hotlist import (
    CUSTOM_DEFAULT_DAYS,
    DEFAULT_FRESHNESS,
    PATTERN_MATCH_KEY,
    Category,
    HotlistEntry,
    HowMatched,
    InvalidHotlistEntry,
    Source,
    custom_entry,
    entry_id_for,
    is_alerting,
    match_key,
    match_keys_for_read,
    match_read,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def ncic_entry(plate: str = "BABC123", **changes: object) -> HotlistEntry:
    entry = HotlistEntry(
        entry_id=entry_id_for("ncic-daily", plate, "CA", "V000000001"), plate=plate,
        is_pattern=False, state="CA", category=Category.STOLEN_VEHICLE, source=Source.NCIC,
        case_number="V000000001", reason="NCIC stolen vehicle", added_by="", approved_by="",
        list_name="ncic-daily", listed_on="2026-11-20",
        loaded_at=(NOW - timedelta(hours=6)).isoformat(),
        expires_at=int((NOW + timedelta(days=7)).timestamp()), priority=3,
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


def custom(**changes: str) -> HotlistEntry:
    fields = {"plate": "7AB?12*", "state": "CA", "category": "felony_vehicle",
              "case_number": "SC26-0001", "reason": "robbery suspect vehicle, partial plate",
              "added_by": "officer.a", "approved_by": "sgt.b"}
    fields.update(changes)
    return custom_entry(now=NOW, **fields)


# ---------------------------------------------------------------- matching

def test_exact_read_matches_as_exact() -> None:
    hits = match_read("BABC123", [], [ncic_entry()], NOW)
    assert [(hit.how, hit.matched_text) for hit in hits] == [(HowMatched.EXACT, "BABC123")]


def test_read_8abc123_matches_babc123_only_as_confusion() -> None:
    hits = match_read("8ABC123", [], [ncic_entry("BABC123")], NOW)
    assert len(hits) == 1
    assert hits[0].how == HowMatched.CONFUSION
    assert hits[0].matched_text == "8ABC123"


def test_alternative_reading_matches_as_candidate() -> None:
    hits = match_read("7XYZ128", ["7XYZ123", "7XYZ12B"], [ncic_entry("7XYZ123")], NOW)
    assert [(hit.how, hit.matched_text) for hit in hits] == [(HowMatched.CANDIDATE, "7XYZ123")]


def test_candidate_confusion_is_found_too() -> None:
    hits = match_read("QQQ", ["7XYZ12B"], [ncic_entry("7XYZ128")], NOW)
    assert [(hit.how, hit.matched_text) for hit in hits] == [(HowMatched.CONFUSION, "7XYZ12B")]


def test_unrelated_read_does_not_match() -> None:
    assert match_read("7XYZ124", ["7XYZ125"], [ncic_entry("7XYZ123")], NOW) == []


@pytest.mark.parametrize(("read", "matches"), [
    ("7ABX125", True), ("7ABX12", True), ("7AB0129Q", True), ("7ACX125", False),
    ("7ABX1", False), ("X7ABX125", False),
])
def test_wildcard_entry_matches_reads(read: str, matches: bool) -> None:
    hits = match_read(read, [], [custom()], NOW)
    assert bool(hits) is matches
    if matches:
        assert hits[0].how == HowMatched.PATTERN


def test_wildcard_matches_an_ocr_confusion_of_its_known_characters() -> None:
    hits = match_read("7A8X125", [], [custom()], NOW)
    assert [hit.how for hit in hits] == [HowMatched.PATTERN]


def test_one_hit_per_entry_with_its_strongest_match() -> None:
    entry = ncic_entry("7XYZ123")
    hits = match_read("7XYZ123", ["7XYZ123", "7XYZ1Z3"], [entry, entry], NOW)
    assert [(hit.entry.entry_id, hit.how) for hit in hits] == [(entry.entry_id, HowMatched.EXACT)]


def test_hits_are_ordered_by_priority_then_match_strength() -> None:
    stolen = ncic_entry("7XYZ123")
    amber = replace(ncic_entry("7XYZ12*", is_pattern=True, entry_id="he-amber"),
                    category=Category.AMBER_ALERT, priority=1)
    confused = ncic_entry("7XYZ1Z3", entry_id="he-confused")
    hits = match_read("7XYZ123", [], [confused, stolen, amber], NOW)
    assert [hit.entry.entry_id for hit in hits] == ["he-amber", stolen.entry_id, "he-confused"]
    assert match_read("7XYZ123", [], [amber, confused, stolen], NOW) == hits


def test_unreadable_texts_are_ignored_not_raised() -> None:
    assert match_read("", ["@@@"], [ncic_entry()], NOW) == []
    hits = match_read("", ["BABC123"], [ncic_entry()], NOW)
    assert [hit.how for hit in hits] == [HowMatched.CANDIDATE]


def test_match_keys() -> None:
    assert match_key(ncic_entry("BOSS1I2")) == "8055112"
    assert match_key(custom()) == PATTERN_MATCH_KEY
    assert match_keys_for_read("8ABC123", ["BABC123", "8ABC124"]) == [
        "8A8C123", "8A8C124", PATTERN_MATCH_KEY]


# ---------------------------------------------------------------- alerting rules

def test_stale_ncic_list_stops_alerting() -> None:
    stale = ncic_entry(loaded_at=(NOW - timedelta(days=3)).isoformat())
    assert not is_alerting(stale, NOW)
    assert match_read("BABC123", [], [stale], NOW) == []
    fresh = ncic_entry(loaded_at=(NOW - timedelta(days=1, hours=23)).isoformat())
    assert is_alerting(fresh, NOW)


def test_freshness_limit_can_be_set_per_list() -> None:
    entry = ncic_entry(loaded_at=(NOW - timedelta(days=3)).isoformat())
    limits = {**DEFAULT_FRESHNESS, "ncic-daily": timedelta(days=4)}
    assert is_alerting(entry, NOW, limits)


def test_entry_of_unknown_age_does_not_alert() -> None:
    assert not is_alerting(ncic_entry(loaded_at="", listed_on=""), NOW)


def test_expired_custom_entry_stops_alerting() -> None:
    entry = custom(plate="7XYZ123")
    assert is_alerting(entry, NOW + timedelta(days=CUSTOM_DEFAULT_DAYS - 1))
    assert not is_alerting(entry, NOW + timedelta(days=CUSTOM_DEFAULT_DAYS))
    assert match_read("7XYZ123", [], [entry], NOW + timedelta(days=31)) == []


def test_immigration_category_never_alerts_even_if_stored() -> None:
    entry = ncic_entry(category=Category.IMMIGRATION_VIOLATOR)
    assert not is_alerting(entry, NOW)


# ---------------------------------------------------------------- custom entries

def test_custom_entry_defaults_to_thirty_days_and_normalizes() -> None:
    entry = custom(plate=" 7xyz-123 ", state="ca")
    assert entry.plate == "7XYZ123" and not entry.is_pattern and entry.state == "CA"
    assert entry.expires_at == int((NOW + timedelta(days=30)).timestamp())
    assert entry.source == Source.CUSTOM and entry.priority == 2
    assert entry.entry_id == custom(plate="7XYZ123", state="CA").entry_id


@pytest.mark.parametrize(("changes", "message"), [
    ({"case_number": " "}, "case number"),
    ({"reason": ""}, "reason"),
    ({"added_by": ""}, "added_by"),
    ({"approved_by": ""}, "approver"),
    ({"approved_by": "Officer.A"}, "someone other"),
    ({"category": "immigration_violator"}, "immigration"),
    ({"category": "curiosity"}, "category must be one of"),
    ({"reason": "locate for deportation"}, "immigration enforcement"),
    ({"plate": "7A*"}, "at least 4 known characters"),
    ({"plate": "7A?*1"}, "at least 4 known characters"),
    ({"plate": "7AB$123"}, "plate"),
    ({"state": "CAL"}, "state"),
])
def test_custom_entry_rules_refuse(changes: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidHotlistEntry, match=message):
        custom(**changes)


def test_custom_expiry_must_be_future_and_within_a_year() -> None:
    base = {"plate": "7XYZ123", "state": "CA", "category": "wanted", "case_number": "C1",
            "reason": "warrant service", "added_by": "a", "approved_by": "b", "now": NOW}
    later = custom_entry(**base, expires=NOW + timedelta(days=90))  # type: ignore[arg-type]
    assert later.expires_at == int((NOW + timedelta(days=90)).timestamp())
    with pytest.raises(InvalidHotlistEntry, match="future"):
        custom_entry(**base, expires=NOW - timedelta(seconds=1))  # type: ignore[arg-type]
    with pytest.raises(InvalidHotlistEntry, match="365"):
        custom_entry(**base, expires=NOW + timedelta(days=366))  # type: ignore[arg-type]
