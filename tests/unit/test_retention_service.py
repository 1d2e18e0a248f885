"""Retention of reads (policy 428.5): the daily overdue check, holds and releases against it,
and the purge of crops and images when TTL removes a read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.reads_table import to_item
from chalicelib.domain.reads import Read
from chalicelib.services.holds import place_hold, release_hold
from chalicelib.services.retention import (
    PurgeDependencies,
    find_overdue,
    purge_expired_reads,
    purge_reads,
)
from tests.unit.fakes import FakeRawImages, StoredObject
from tests.unit.test_holds import REQUEST, FakeReadStore, caller, hold_deps, make_read

DAY0 = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def removal(read: Read, by_ttl: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {"eventName": "REMOVE", "dynamodb": {"OldImage": to_item(read)}}
    if by_ttl:
        record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return record


def images_with(*keys: str, locked: frozenset[str] = frozenset()) -> FakeRawImages:
    images = FakeRawImages()
    for key in keys:
        images.objects[key] = StoredObject(b"x", legal_hold=key in locked, versions=2)
    return images


def test_a_read_expires_after_365_days_not_before() -> None:
    read = make_read("r1", captured=DAY0)
    assert find_overdue([read], day(364)) == []
    assert find_overdue([read], day(366)) == [read]


def test_a_held_read_never_expires_and_expires_again_after_release() -> None:
    store = FakeReadStore([make_read("r1", captured=DAY0)])
    deps = hold_deps(store, clock=day(300))
    placed = place_hold([store.reads["r1"]], replace(REQUEST, review_date=day(600).date()),
                        caller(), deps)
    for n in (366, 500, 1000):
        assert find_overdue(store.reads.values(), day(n), retention_days=365) == []
    release_hold(placed.hold.hold_id, caller("commander.kim"),
                 replace(deps, clock=lambda: day(400)))
    # Past retention at release: a seven-day grace period, then purge.
    assert find_overdue(store.reads.values(), day(406)) == []
    assert find_overdue(store.reads.values(), day(408)) == [store.reads["r1"]]


def test_released_before_retention_ends_the_normal_expiry_applies() -> None:
    store = FakeReadStore([make_read("r1", captured=DAY0)])
    deps = hold_deps(store, clock=day(10))
    placed = place_hold([store.reads["r1"]], replace(REQUEST, review_date=day(300).date()),
                        caller(), deps)
    release_hold(placed.hold.hold_id, caller(), replace(deps, clock=lambda: day(100)))
    assert find_overdue(store.reads.values(), day(364)) == []
    assert find_overdue(store.reads.values(), day(366)) == [store.reads["r1"]]


def test_a_read_that_lost_its_ttl_without_a_hold_is_caught_by_capture_time() -> None:
    orphan = replace(make_read("r1", captured=DAY0), expires_at=None)
    assert find_overdue([orphan], day(366)) == []
    assert find_overdue([orphan], day(366), retention_days=365) == [orphan]


def test_ttl_removal_deletes_crop_and_every_version_of_the_image() -> None:
    read = make_read("r1", image_key="cameras/c1/f1.jpg")
    images = images_with("cameras/c1/f1.jpg", "crops/c1/r1.jpg")
    summary = purge_expired_reads([removal(read)],
                                  PurgeDependencies(images, images, lambda key: False))
    assert images.objects == {}
    assert (summary.reads_purged, summary.crops_deleted, summary.images_deleted,
            summary.versions_deleted) == (1, 1, 1, 4)


def test_an_image_shared_with_a_live_read_is_kept_until_the_last_read_goes() -> None:
    first = make_read("r1", image_key="cameras/c1/f1.jpg")
    second = make_read("r2", image_key="cameras/c1/f1.jpg")
    images = images_with("cameras/c1/f1.jpg", "crops/c1/r1.jpg", "crops/c1/r2.jpg")
    live = {"r2"}

    def image_still_needed(key: str) -> bool:
        return bool(live)

    deps = PurgeDependencies(images, images, image_still_needed)
    summary = purge_expired_reads([removal(first)], deps)
    assert set(images.objects) == {"cameras/c1/f1.jpg", "crops/c1/r2.jpg"}
    assert summary.images_still_needed == 1
    live.clear()
    purge_expired_reads([removal(second)], deps)
    assert images.objects == {}


def test_object_lock_is_counted_never_raised() -> None:
    read = make_read("r1", image_key="cameras/c1/f1.jpg")
    other = make_read("r2", image_key="cameras/c1/f2.jpg")
    images = images_with("cameras/c1/f1.jpg", "crops/c1/r1.jpg", "cameras/c1/f2.jpg",
                         "crops/c1/r2.jpg", locked=frozenset({"cameras/c1/f1.jpg"}))
    summary = purge_expired_reads([removal(read), removal(other)],
                                  PurgeDependencies(images, images, lambda key: False))
    assert set(images.objects) == {"cameras/c1/f1.jpg"}
    assert summary.kept_under_legal_hold == 1
    assert (summary.images_deleted, summary.crops_deleted) == (1, 2)


def test_only_ttl_removals_of_unheld_reads_purge() -> None:
    read = make_read("r1")
    held = make_read("r2", holds=("h1",))
    images = images_with(read.image_key, "crops/c1/r1.jpg", "crops/c1/r2.jpg")
    insert = {"eventName": "INSERT", "dynamodb": {"NewImage": to_item(read)}}
    summary = purge_expired_reads([removal(read, by_ttl=False), insert, removal(held)],
                                  PurgeDependencies(images, images, lambda key: False))
    assert len(images.objects) == 3
    assert (summary.records_seen, summary.reads_purged, summary.held_reads_skipped) == (3, 0, 1)
    assert "7ABC123" not in repr(summary)


def test_reads_deleted_by_the_daily_check_get_the_same_clean_up() -> None:
    overdue = find_overdue([make_read("r1", captured=DAY0),
                            make_read("r2", captured=DAY0, holds=("h1",))], day(370))
    assert [read.read_id for read in overdue] == ["r1"]
    images = images_with("cameras/c1/f1.jpg", "crops/c1/r1.jpg", "crops/c1/r2.jpg")
    summary = purge_reads([*overdue, make_read("r2", holds=("h1",))],
                          PurgeDependencies(images, images, lambda key: False))
    assert set(images.objects) == {"crops/c1/r2.jpg"}
    assert (summary.reads_purged, summary.held_reads_skipped) == (1, 1)


def test_an_image_the_image_purge_already_deleted_is_not_counted_twice() -> None:
    images = images_with("crops/c1/r1.jpg")
    summary = purge_expired_reads([removal(make_read("r1"))],
                                  PurgeDependencies(images, images, lambda key: False))
    assert (summary.crops_deleted, summary.images_deleted) == (1, 0)


def test_crops_are_deleted_from_the_derived_store_and_frames_from_the_raw_one() -> None:
    read = make_read("r1", image_key="cameras/c1/f1.jpg")
    frames, crops = images_with("cameras/c1/f1.jpg"), images_with("crops/c1/r1.jpg")
    summary = purge_expired_reads([removal(read)],
                                  PurgeDependencies(frames, crops, lambda key: False))
    assert frames.objects == {} and crops.objects == {}
    assert (summary.crops_deleted, summary.images_deleted) == (1, 1)
