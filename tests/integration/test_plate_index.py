"""The plate index through the running local stack: partial, fuzzy and alternative-reading
matches over a 365-day window, written by the ingest, gone with a purged read, kept for a held
one, built and checked for reads stored before it, and cursors an officer cannot bend."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.reads_table import ReadsTable, from_item
from chalicelib.domain.plate_index import entry_expiry, marker_key, month_of
from chalicelib.domain.reads import Candidate, Read, format_time, read_id_for
from chalicelib.policy.retention import expiry_epoch
from local_stack.api_client import WARRANT, ApiClient
from local_stack.seed import DemoUser, create_user, seed_users, store_reads
from local_stack.stack import RunningStack
from local_stack.synthetic import frame_jpeg
from tests.integration.conftest import reads_of, upload
from tests.integration.test_local_stack import physical

pytestmark = pytest.mark.integration
DAY = 86400


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with RunningStack(pump_in_background=False) as running:
        env = running.environment
        seed_users(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                   running.clock().date())
        yield running


def user_of_today(stack: RunningStack, group: str) -> ApiClient:
    """A user in good standing at the stack's (possibly moved) date."""
    env = stack.environment
    today = stack.clock().date()
    recent = (today - timedelta(days=10)).isoformat()
    user = DemoUser(f"{group[:5]}-{uuid.uuid4().hex[:6]}", "Index-Test-2026!pk", group, recent,
                    recent, mfa=True, approved_on=today.isoformat())
    create_user(env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"], user)
    return ApiClient(stack.api_url).login(user.username, user.password)


@pytest.fixture
def travel(stack: RunningStack) -> Iterator[Callable[[float], None]]:
    """Move the stack's clock to `days` after the test began, delivering TTL and streams."""
    moved = [0.0]

    def to_day(days: float) -> None:
        stack.clock.advance((days - moved[0]) * DAY)
        moved[0] = days
        stack.event_pump.drain(timeout=120)

    yield to_day
    stack.clock.advance(-moved[0] * DAY)


def make_read(stack: RunningStack, plate: str, days_ago: float,
              alternatives: tuple[str, ...] = ()) -> Read:
    captured = stack.clock() - timedelta(days=days_ago)
    return Read(read_id=read_id_for(f"index-{uuid.uuid4()}", None, 0), plate=plate,
                captured_at=format_time(captured), camera_id="cam-idx", confidence=0.9,
                image_key=f"cameras/cam-idx/{uuid.uuid4().hex}.jpg",
                expires_at=expiry_epoch(captured, 365),
                candidates=(Candidate(plate, 0.9),
                            *(Candidate(text, 0.02) for text in alternatives)),
                lat=37.35, lon=-121.95)


def year(stack: RunningStack, ending: datetime | None = None) -> dict[str, Any]:
    """A 365-day window and the warrant a window that long needs (policy/long_history.py)."""
    end = (ending or stack.clock()) + timedelta(minutes=1)
    return {"from": (end - timedelta(days=365)).isoformat(), "to": end.isoformat(),
            "authority": WARRANT}


def index_items(stack: RunningStack, plate: str) -> list[dict[str, Any]]:
    dynamodb: Any = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
            TableName=physical(stack, "PlateIndexTable"), FilterExpression="plate = :plate",
            ExpressionAttributeValues={":plate": {"S": plate}}):
        items.extend(page["Items"])
    return items


def found(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(row["plate"], row["matched_because"]) for row in response.json()["results"]]


def test_partial_fuzzy_and_alternative_readings_are_found_over_a_year(
        stack: RunningStack) -> None:
    officer = user_of_today(stack, "sworn_officer")
    old, middle, recent = (make_read(stack, "3YRA300", 300),
                           make_read(stack, "3YRB100", 100, alternatives=("8QQW777",)),
                           make_read(stack, "9ZZZ001", 1))
    store_reads(stack.environment, [old, middle, recent])
    partial = officer.search(mode="partial", plate="3YR*", page_size=50, **year(stack))
    assert found(partial) == [("3YRB100", "plate matches pattern 3YR*"),
                              ("3YRA300", "plate matches pattern 3YR*")]
    assert partial.json()["examined"] <= 6  # two index entries, two reads
    fuzzy = officer.search(mode="fuzzy", plate="3YRA3OO", **year(stack))
    assert found(fuzzy) == [("3YRA300", "same plate up to look-alike characters "
                                         "(O/0, D/0, I/1, B/8, Z/2, S/5)")]
    alternative = officer.search(mode="fuzzy", plate="8QQW777", **year(stack))
    assert found(alternative) == [("3YRB100", "alternative reading 8QQW777")]
    one_edit = officer.search(mode="fuzzy", plate="3YRB10", **year(stack))
    assert found(one_edit) == [("3YRB100", "one character different")]


def test_the_ingest_indexes_each_read_before_writing_it(stack: RunningStack) -> None:
    admin = user_of_today(stack, "administrator")
    camera = admin.post("/admin/cameras", {
        "camera_id": f"pole-{uuid.uuid4().hex[:6]}", "name": "Index test pole", "kind": "fixed",
        "lat": 37.35, "lon": -121.95, "heading": 90})
    assert camera.status_code == 201, camera.text
    ticket = upload(stack, camera.json()["credential"], frame_jpeg("6IDX244"))
    assert ticket.status_code == 201, ticket.text
    key = ticket.json()["key"]
    stack.event_pump.drain(timeout=120)
    reads = [from_item(item) for item in reads_of(stack, key)]
    assert reads, "the synthetic frame gave no read"
    for read in reads:
        markers = [item for item in index_items(stack, read.plate)
                   if (item["key"]["S"], item["entry"]["S"]) == (
                       marker_key(read.plate, month_of(read.captured_at)).key,
                       marker_key(read.plate, month_of(read.captured_at)).entry)]
        assert len(markers) == 1
        assert int(markers[0]["expires_at"]["N"]) == entry_expiry(month_of(read.captured_at),
                                                                  365)
    officer = user_of_today(stack, "sworn_officer")
    plate = reads[0].plate
    results = found(officer.search(mode="fuzzy", plate=plate, **year(stack)))
    assert (plate, "exact plate") in results


def test_a_purged_read_leaves_nothing_in_the_index(
        stack: RunningStack, travel: Callable[[float], None]) -> None:
    read = make_read(stack, "5PRG174", 0, alternatives=("7QQQ111",))
    store_reads(stack.environment, [read])
    assert len(index_items(stack, "5PRG174")) == 16  # 7 suffixes, 7 deletions, 1, marker
    travel(364)
    assert len(index_items(stack, "5PRG174")) == 16
    travel(366)  # TTL deletes the read; the purge handler takes its entries with it
    assert index_items(stack, "5PRG174") == []
    officer = user_of_today(stack, "sworn_officer")
    assert found(officer.search(mode="fuzzy", plate="7QQQ111", **year(stack))) == []


def test_a_held_read_stays_findable_until_its_hold_is_released(
        stack: RunningStack, travel: Callable[[float], None]) -> None:
    read = make_read(stack, "4HLD444", 0)
    store_reads(stack.environment, [read])
    admin = user_of_today(stack, "administrator")
    review = (stack.clock() + timedelta(days=700)).date().isoformat()
    hold = admin.post("/holds", {"read_ids": [read.read_id], "case_number": "2026-007101",
                                 "reason": "evidence", "requested_by": "officer.demo",
                                 "review_date": review})
    assert hold.status_code == 201, hold.text
    assert all("expires_at" not in item for item in index_items(stack, "4HLD444"))
    travel(500)  # past the read's retention and its month's entries' TTL
    officer = user_of_today(stack, "sworn_officer")
    captured = datetime.fromisoformat(read.captured_at.replace("Z", "+00:00"))
    window = year(stack, ending=captured + timedelta(days=300))
    assert found(officer.search(mode="partial", plate="4HL*", **window)) == [
        ("4HLD444", "plate matches pattern 4HL*")]
    released = user_of_today(stack, "administrator").post(
        f"/holds/{hold.json()['hold_id']}/release")
    assert released.status_code == 200, released.text
    assert all("expires_at" in item for item in index_items(stack, "4HLD444"))
    travel(508)  # the seven days of grace after a release
    assert index_items(stack, "4HLD444") == []


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module with fixed arguments
        [sys.executable, "-m", "chalicelib.plate_index_cli", *arguments],
                          capture_output=True, text=True, timeout=300, check=False,
                          cwd=cwd, env=_environment())


def _environment() -> dict[str, str]:
    import os

    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": root}


def test_the_migration_builds_the_index_for_stored_reads_and_the_check_agrees(
        stack: RunningStack, tmp_path: Path) -> None:
    before = [make_read(stack, "2OLD222", 40, alternatives=("9XXX888",)),
              make_read(stack, "2OLD223", 10)]
    reads = ReadsTable(boto3.client("dynamodb"), physical(stack, "ReadsTable"))
    for read in before:
        reads.put_new(read)  # as a deployment from before the index left them
    dynamodb: Any = boto3.client("dynamodb")
    orphan = {"key": {"S": "D#ORPHAN1"}, "entry": {"S": "2026-01#0RPHAN1#p#ORPHAN1"},
              "plate": {"S": "ORPHAN1"}}
    dynamodb.put_item(TableName=physical(stack, "PlateIndexTable"), Item=orphan)
    check = run_cli("check", cwd=tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "missing entries 0," not in check.stdout and "orphan items 0" not in check.stdout
    state = tmp_path / "state.json"
    build = run_cli("build", "--state", str(state), cwd=tmp_path)
    assert build.returncode == 0, build.stdout + build.stderr
    assert json.loads(state.read_text())["done"] is True
    again = run_cli("build", "--state", str(state), cwd=tmp_path)
    assert "already done" in again.stdout
    repaired = run_cli("check", "--repair", cwd=tmp_path)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    final = run_cli("check", cwd=tmp_path)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "agree" in final.stdout
    officer = user_of_today(stack, "sworn_officer")
    assert found(officer.search(mode="fuzzy", plate="9XXX888", **year(stack))) == [
        ("2OLD222", "alternative reading 9XXX888")]


def _forged(cursor: str, **changes: Any) -> str:
    """The cursor with fields changed (None: removed), fingerprint kept."""
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    data.update(changes)
    data = {name: value for name, value in data.items() if value is not None}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_forged_cursor_finds_nothing_the_search_would_not(stack: RunningStack) -> None:
    officer = user_of_today(stack, "sworn_officer")
    store_reads(stack.environment, [make_read(stack, f"1CUR{index:03d}", index)
                                    for index in range(4)] + [make_read(stack, "1CUX999", 1)])
    window = year(stack)
    first = officer.search(mode="partial", plate="1CUR*", page_size=2, **window).json()
    cursor = first["next_cursor"]
    assert cursor
    for forged in (_forged(cursor, p="9999-99|~", e="0000-00|", b="0"),
                   _forged(cursor, p="2026-01|", b="~~~~"), _forged(cursor, e=None, b=None)):
        response = officer.search(mode="partial", plate="1CUR*", page_size=2, cursor=forged,
                                  **window)
        assert response.status_code == 200, response.text
        assert all(plate.startswith("1CUR") for plate, _ in found(response))
    other = officer.search(mode="partial", plate="1CUX*", cursor=cursor, **window)
    assert (other.status_code, other.json()["error"]) == (400, "CURSOR_INVALID")
    huge = officer.search(mode="partial", plate="1CUR*", cursor="x" * 600, **window)
    assert (huge.status_code, huge.json()["error"]) == (400, "CURSOR_INVALID")
    bad_type = officer.search(mode="partial", plate="1CUR*", **window,
                              cursor=_forged(cursor, p=5))
    assert (bad_type.status_code, bad_type.json()["error"]) == (400, "CURSOR_INVALID")
