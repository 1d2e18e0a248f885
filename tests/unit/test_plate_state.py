"""The issuing state read off a plate: stored with the read, filtered on in search."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.reads_table import from_item, to_item
from chalicelib.domain.reads import SearchMode, SearchQuery
from chalicelib.domain.states import STATE_CODES, STATE_NAMES, state_mismatch
from chalicelib.policy.search import SearchRefused, build_query
from chalicelib.services import search
from tests.unit.test_holds import make_read

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_the_state_survives_the_reads_table() -> None:
    read = replace(make_read("r1"), state="NV", state_confidence=0.93)
    assert from_item(to_item(read)) == read
    unknown = make_read("r2")
    item = to_item(unknown)
    assert "state" not in item and "state_confidence" not in item
    assert from_item(item).state is None


def test_every_state_code_has_a_name() -> None:
    assert len(STATE_CODES) == 51 and set(STATE_NAMES) == set(STATE_CODES)


@pytest.mark.parametrize(("value", "state"), [("ca", "CA"), (" NV ", "NV"), ("", ""), (None, "")])
def test_a_search_may_name_a_state(value: str | None, state: str) -> None:
    query = build_query({"plate": "7ABC123", "state": value}, NOW)
    assert query.state == state


@pytest.mark.parametrize("value", ["XX", "California", 7, ["CA"]])
def test_an_unknown_state_is_refused(value: object) -> None:
    with pytest.raises(SearchRefused) as refused:
        build_query({"plate": "7ABC123", "state": value}, NOW)
    assert refused.value.code == "STATE_INVALID"


def test_the_state_filter_keeps_reads_of_that_state_and_of_unknown_state() -> None:
    query = SearchQuery(mode=SearchMode.EXACT, text="7ABC123", start=None, end=None, state="CA")
    california = replace(make_read("r1"), state="CA")
    unknown = make_read("r2")
    nevada = replace(make_read("r3"), state="NV")
    assert search._reason(query, california) == "exact plate"
    assert search._reason(query, unknown) == "exact plate"
    assert search._reason(query, nevada) is None


def test_a_state_mismatch_needs_both_states() -> None:
    assert state_mismatch("NV", "CA")
    assert not state_mismatch("CA", "CA")
    assert not state_mismatch(None, "CA")
    assert not state_mismatch("NV", "")
