"""Holds (policy 428.5): the domain rules, the place/release use cases with fakes, and the two
DynamoDB adapters against moto's in-process mock (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.errors import AlreadyExists, ObjectNotFound
from chalicelib.adapters.holds_table import HoldsTable
from chalicelib.adapters.read_holds import ReadHoldsTable
from chalicelib.adapters.reads_table import ReadsTable, to_item
from chalicelib.domain.access import Caller, Role, UserAccount
from chalicelib.domain.audit import AuditEntry, AuditRecord, link
from chalicelib.domain.holds import (
    Hold,
    HoldRefused,
    HoldRequest,
    HoldStatus,
    expiry_after_release,
    is_overdue,
    new_hold,
    release,
)
from chalicelib.domain.reads import Read, format_time
from chalicelib.policy.retention import expiry_epoch
from chalicelib.services.holds import (
    HoldDependencies,
    HoldNotFound,
    list_overdue_holds,
    place_hold,
    release_hold,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RETENTION = 365
REQUEST = HoldRequest("2026-001234", "evidence", "officer.jones", "commander.lee",
                      date(2027, 6, 1))


def make_read(read_id: str, captured: datetime = NOW, image_key: str = "cameras/c1/f1.jpg",
              crop_key: str | None = None, holds: tuple[str, ...] = ()) -> Read:
    return Read(read_id=read_id, plate="7ABC123", captured_at=format_time(captured),
                camera_id="c1", confidence=0.9, image_key=image_key,
                expires_at=None if holds else expiry_epoch(captured, RETENTION),
                crop_key=crop_key if crop_key is not None else f"crops/c1/{read_id}.jpg",
                holds=holds)


def caller(username: str = "commander.lee") -> Caller:
    account = UserAccount(user_id=f"sub-{username}", username=username, agency="PD",
                          roles=frozenset({Role.ADMINISTRATOR}), enabled=True,
                          approved_by="chief", approved_at=date(2026, 1, 1),
                          training_date=date(2026, 1, 1), clets_cert_date=date(2026, 1, 1),
                          mfa_enabled=True, last_access=None,
                          vendor_training_date=date(2026, 1, 1))
    return Caller(account, "10.0.0.1", "req-1")


# ------------------------------------------------------------------ fakes


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> AuditRecord:
        self.entries.append(entry)
        return link(entry, None)


class FakeHoldRecords:
    def __init__(self) -> None:
        self.holds: dict[str, Hold] = {}

    def put(self, hold: Hold) -> None:
        if hold.hold_id in self.holds:
            raise AlreadyExists(hold.hold_id)
        self.holds[hold.hold_id] = hold

    def get(self, hold_id: str) -> Hold | None:
        return self.holds.get(hold_id)

    def update(self, hold: Hold) -> bool:
        if not self.holds[hold.hold_id].active:
            return False
        self.holds[hold.hold_id] = hold
        return True

    def list_by_status(self, status: HoldStatus,
                       review_before: date | None = None) -> list[Hold]:
        found = [hold for hold in self.holds.values() if hold.status is status
                 and (review_before is None or hold.review_date < review_before)]
        return sorted(found, key=lambda hold: hold.review_date)


class FakeReadStore:
    """Reads by id, with the hold marks the DynamoDB adapter makes."""

    def __init__(self, reads: list[Read]) -> None:
        self.reads = {read.read_id: read for read in reads}

    def get(self, read_id: str) -> Read | None:
        return self.reads.get(read_id)

    def mark_held(self, read: Read, hold_id: str) -> None:
        stored = self._stored(read)
        self.reads[read.read_id] = replace(stored, expires_at=None,
                                           holds=tuple(sorted({*stored.holds, hold_id})))

    def mark_released(self, read: Read, hold_id: str,
                      new_expires_at: int | None) -> tuple[str, ...]:
        stored = self._stored(read)
        remaining = tuple(hold for hold in stored.holds if hold != hold_id)
        expires = new_expires_at if not remaining else stored.expires_at
        self.reads[read.read_id] = replace(stored, holds=remaining, expires_at=expires)
        return remaining

    def _stored(self, read: Read) -> Read:
        if read.read_id not in self.reads:
            raise ObjectNotFound("read")
        return self.reads[read.read_id]


class FakeLegalHolds:
    def __init__(self) -> None:
        self.on: set[str] = set()

    def set_legal_hold(self, key: str, on: bool) -> None:
        if on:
            self.on.add(key)
        else:
            self.on.discard(key)


@pytest.fixture
def store() -> FakeReadStore:
    return FakeReadStore([make_read("r1"), make_read("r2"),
                          make_read("r3", image_key="cameras/c1/f3.jpg")])


def hold_deps(store: FakeReadStore, clock: datetime = NOW,
              held_elsewhere: frozenset[str] = frozenset(),
              records: FakeHoldRecords | None = None,
              images: FakeLegalHolds | None = None,
              audit: FakeAudit | None = None) -> HoldDependencies:
    return HoldDependencies(
        holds=records or FakeHoldRecords(), reads=store, read_holds=store,
        images=images or FakeLegalHolds(), crops=FakeLegalHolds(), audit=audit or FakeAudit(),
        clock=lambda: clock,
        retention_days=RETENTION,
        image_held_elsewhere=lambda key, exclude: key in held_elsewhere)


def audit_of(deps: HoldDependencies) -> list[AuditEntry]:
    assert isinstance(deps.audit, FakeAudit)
    return deps.audit.entries


def legal_holds_of(deps: HoldDependencies) -> set[str]:
    """Frames lock in the raw bucket, crops in the derived one; both must lock."""
    assert isinstance(deps.images, FakeLegalHolds) and isinstance(deps.crops, FakeLegalHolds)
    assert all(key.startswith("cameras/") for key in deps.images.on)
    assert all(key.startswith("crops/") for key in deps.crops.on)
    return deps.images.on | deps.crops.on


# ------------------------------------------------------------------ domain rules


def test_new_hold_normalises_and_keeps_each_read_once() -> None:
    request = replace(REQUEST, case_number=" 2026-001234 ".lower())
    hold = new_hold(request, ["r1", "r2", "r1", " "], NOW, hold_id="h1")
    assert hold.case_number == "2026-001234"
    assert hold.read_ids == ("r1", "r2")
    assert hold.status is HoldStatus.ACTIVE and hold.created_at == "2026-11-29T12:00:00Z"


@pytest.mark.parametrize(("change", "code"), [
    ({"case_number": "no spaces allowed"}, "CASE_NUMBER_INVALID"),
    ({"reason": "curiosity"}, "REASON_INVALID"),
    ({"reason": "other_lawful_action"}, "NOTE_REQUIRED"),
    ({"approved_by": "Officer.Jones"}, "SELF_APPROVAL"),
    ({"approved_by": ""}, "PEOPLE_REQUIRED"),
    ({"review_date": NOW.date()}, "REVIEW_DATE_INVALID"),
    ({"review_date": NOW.date() + timedelta(days=731)}, "REVIEW_DATE_INVALID"),
])
def test_new_hold_refuses_requests_that_break_a_rule(change: dict[str, Any], code: str) -> None:
    with pytest.raises(HoldRefused) as refused:
        new_hold(replace(REQUEST, **change), ["r1"], NOW)
    assert refused.value.code == code


def test_a_hold_needs_reads() -> None:
    with pytest.raises(HoldRefused, match="at least one read"):
        new_hold(REQUEST, [], NOW)


def test_release_once_only_and_overdue_only_while_active() -> None:
    hold = new_hold(REQUEST, ["r1"], NOW)
    assert not is_overdue(hold, date(2027, 6, 1))
    assert is_overdue(hold, date(2027, 6, 2))
    released = release(hold, "commander.lee", NOW)
    assert released.status is HoldStatus.RELEASED and released.released_by == "commander.lee"
    assert not is_overdue(released, date(2030, 1, 1))
    with pytest.raises(HoldRefused, match="already released"):
        release(released, "commander.lee", NOW)


def test_expiry_after_release_is_the_normal_expiry_or_a_grace_period() -> None:
    captured = NOW - timedelta(days=100)
    assert expiry_after_release(captured, RETENTION, NOW) == expiry_epoch(captured, RETENTION)
    old = NOW - timedelta(days=400)
    assert expiry_after_release(old, RETENTION, NOW) == int((NOW + timedelta(days=7)).timestamp())


# ------------------------------------------------------------------ services


def test_place_hold_removes_ttl_locks_images_and_crops_and_is_audited(
        store: FakeReadStore) -> None:
    deps = hold_deps(store)
    outcome = place_hold([store.reads["r1"], store.reads["r2"]], REQUEST, caller(), deps)
    for read_id in ("r1", "r2"):
        assert store.reads[read_id].expires_at is None
        assert store.reads[read_id].holds == (outcome.hold.hold_id,)
    assert store.reads["r3"].expires_at is not None
    assert legal_holds_of(deps) == {"cameras/c1/f1.jpg", "crops/c1/r1.jpg", "crops/c1/r2.jpg"}
    [entry] = audit_of(deps)
    assert (entry.action, entry.outcome, entry.case_number) == ("place_hold", "allowed",
                                                                 "2026-001234")
    assert entry.result_count == 2 and "7ABC123" not in str(entry.query)


def test_refused_hold_is_audited_and_changes_nothing(store: FakeReadStore) -> None:
    deps = hold_deps(store)
    with pytest.raises(HoldRefused):
        place_hold([store.reads["r1"]], replace(REQUEST, approved_by="officer.jones"),
                   caller(), deps)
    assert store.reads["r1"].expires_at is not None and not legal_holds_of(deps)
    [entry] = audit_of(deps)
    assert (entry.outcome, entry.refusal_code) == ("refused", "SELF_APPROVAL")


def test_a_read_purged_before_the_hold_is_counted_missing(store: FakeReadStore) -> None:
    gone = make_read("gone")
    outcome = place_hold([store.reads["r1"], gone], REQUEST, caller(), hold_deps(store))
    assert (outcome.reads_changed, outcome.reads_missing) == (1, 1)


def test_release_restores_expiry_and_lifts_legal_holds(store: FakeReadStore) -> None:
    deps = hold_deps(store)
    placed = place_hold([store.reads["r1"], store.reads["r3"]], REQUEST, caller(), deps)
    later = NOW + timedelta(days=30)
    deps = replace(deps, clock=lambda: later)
    outcome = release_hold(placed.hold.hold_id, caller("commander.kim"), deps)
    assert outcome.reads_changed == 2 and outcome.hold.released_by == "commander.kim"
    assert store.reads["r1"].expires_at == expiry_epoch(NOW, RETENTION)
    assert store.reads["r1"].holds == ()
    assert not legal_holds_of(deps)
    assert audit_of(deps)[-1].action == "release_hold"
    assert deps.holds.get(placed.hold.hold_id).status is HoldStatus.RELEASED  # type: ignore[union-attr]


def test_release_keeps_what_another_active_hold_covers(store: FakeReadStore) -> None:
    deps = hold_deps(store)
    first = place_hold([store.reads["r1"], store.reads["r3"]], REQUEST, caller(), deps)
    place_hold([store.reads["r1"]], replace(REQUEST, case_number="2026-009999"), caller(), deps)
    outcome = release_hold(first.hold.hold_id, caller(), deps)
    assert (outcome.reads_changed, outcome.reads_still_held) == (1, 1)
    assert store.reads["r1"].expires_at is None and len(store.reads["r1"].holds) == 1
    assert store.reads["r3"].expires_at is not None
    assert legal_holds_of(deps) == {"cameras/c1/f1.jpg", "crops/c1/r1.jpg"}


def test_release_keeps_the_image_a_held_read_outside_the_hold_shares(
        store: FakeReadStore) -> None:
    deps = hold_deps(store, held_elsewhere=frozenset({"cameras/c1/f1.jpg"}))
    placed = place_hold([store.reads["r1"]], REQUEST, caller(), deps)
    release_hold(placed.hold.hold_id, caller(), deps)
    assert legal_holds_of(deps) == {"cameras/c1/f1.jpg"}  # the crop of r1 is free again


def test_releasing_twice_or_an_unknown_hold_is_refused_and_audited(
        store: FakeReadStore) -> None:
    deps = hold_deps(store)
    placed = place_hold([store.reads["r1"]], REQUEST, caller(), deps)
    release_hold(placed.hold.hold_id, caller(), deps)
    with pytest.raises(HoldRefused):
        release_hold(placed.hold.hold_id, caller(), deps)
    with pytest.raises(HoldNotFound):
        release_hold("nope", caller(), deps)
    assert [entry.refusal_code for entry in audit_of(deps)[-2:]] == ["HOLD_NOT_ACTIVE",
                                                                     "HOLD_NOT_FOUND"]


def test_overdue_holds_are_listed_earliest_first(store: FakeReadStore) -> None:
    deps = hold_deps(store)
    late = place_hold([store.reads["r1"]], replace(REQUEST, review_date=date(2026, 12, 5)),
                      caller(), deps)
    later = place_hold([store.reads["r2"]], replace(REQUEST, review_date=date(2026, 12, 1)),
                       caller(), deps)
    place_hold([store.reads["r3"]], REQUEST, caller(), deps)
    deps = replace(deps, clock=lambda: datetime(2026, 12, 10, tzinfo=UTC))
    overdue = list_overdue_holds(caller(), deps)
    assert [hold.hold_id for hold in overdue] == [later.hold.hold_id, late.hold.hold_id]
    assert audit_of(deps)[-1].action == "list_overdue_holds"


# ------------------------------------------------------------------ adapters on moto


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-west-2")
        client.create_table(
            TableName="holds", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                                  for name in ("hold_id", "status", "review_date")],
            KeySchema=[{"AttributeName": "hold_id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by_status", "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                              {"AttributeName": "review_date", "KeyType": "RANGE"}]}])
        client.create_table(
            TableName="reads", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                                  for name in ("plate", "read_key", "read_id")],
            KeySchema=[{"AttributeName": "plate", "KeyType": "HASH"},
                       {"AttributeName": "read_key", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by_read_id", "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "read_id", "KeyType": "HASH"}]}])
        yield client


def test_holds_table_round_trip_release_and_overdue_listing(dynamodb: Any) -> None:
    table = HoldsTable(dynamodb, "holds")
    first = new_hold(replace(REQUEST, review_date=date(2027, 3, 1)), ["r1", "r2"], NOW, "h1")
    second = new_hold(replace(REQUEST, review_date=date(2027, 1, 1), note="n"), ["r3"], NOW,
                      "h2")
    table.put(first)
    table.put(second)
    with pytest.raises(AlreadyExists):
        table.put(first)
    assert table.get("h1") == first
    assert [hold.hold_id for hold in table.list_by_status(HoldStatus.ACTIVE)] == ["h2", "h1"]
    assert [hold.hold_id for hold in table.list_by_status(
        HoldStatus.ACTIVE, review_before=date(2027, 2, 1))] == ["h2"]
    released = release(first, "commander.kim", NOW)
    assert table.update(released) is True
    assert table.update(released) is False
    assert table.get("h1") == released
    assert [hold.hold_id for hold in table.list_by_status(HoldStatus.RELEASED)] == ["h1"]


def test_read_holds_remove_and_restore_the_ttl(dynamodb: Any) -> None:
    read = make_read("r1")
    dynamodb.put_item(TableName="reads", Item=to_item(read))
    reads = ReadsTable(dynamodb, "reads")
    holds = ReadHoldsTable(dynamodb, "reads")
    holds.mark_held(read, "h1")
    holds.mark_held(read, "h2")
    stored = reads.get("r1")
    assert stored is not None and stored.expires_at is None and stored.holds == ("h1", "h2")
    assert holds.mark_released(read, "h1", 12345) == ("h2",)
    assert reads.get("r1").expires_at is None  # type: ignore[union-attr]
    assert holds.mark_released(read, "h2", 12345) == ()
    stored = reads.get("r1")
    assert stored is not None and stored.expires_at == 12345 and stored.holds == ()
    with pytest.raises(ObjectNotFound):
        holds.mark_held(make_read("never-stored"), "h1")


def test_only_read_ids_of_the_right_form_are_looked_up() -> None:
    from chalicelib.domain.reads import is_read_id, read_id_for

    assert is_read_id(read_id_for("cameras/c/2026-11-29/f.jpg", None, 0))
    for text in ("", "r1", "x" * 36, read_id_for("k", None, 0).upper(), None, 7):
        assert not is_read_id(text)
