"""The live alert feed (long poll), alert levels, the high-priority notice, the dispatch
webhook's signature and payload, hotlists as lists, and subscriptions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.access import Caller, Role, UserAccount
from chalicelib.domain.alerts import Alert, Level, ReadImages, alert_from_hit
from chalicelib.domain.dispatch import (
    InvalidWebhookUrl,
    check_webhook_url,
    payload,
    signature,
    verify_signature,
)
from chalicelib.domain.hotlist import (
    Category,
    HotlistEntry,
    HotlistHit,
    HowMatched,
    Source,
    match_key,
)
from chalicelib.domain.hotlist_lists import ListLoad, ListSettings, summarize
from chalicelib.domain.reads import Candidate, Read
from chalicelib.domain.subscriptions import InvalidSubscription, masked, validate_endpoint
from chalicelib.services.alert_feed import (
    AlertFeedDependencies,
    FeedRefused,
    image_links,
    parse_token,
    wait_for_alerts,
)
from chalicelib.services.alert_subscriptions import (
    SubscriptionDependencies,
    SubscriptionRefused,
    list_subscriptions,
    subscribe,
    subscription_view,
    unsubscribe,
)
from chalicelib.services.alerts import AlertDependencies, alerts_for_reads, high_priority_text
from chalicelib.services.dispatch import DispatchDependencies, dispatch_alert
from tests.unit.fakes import FakeAuditLog, FakeNotices

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ENTRY = HotlistEntry(
    entry_id="he-1", plate="7XYZ789", is_pattern=False, state="CA",
    category=Category.STOLEN_VEHICLE, source=Source.NCIC, case_number="V000000001",
    reason="NCIC stolen vehicle", added_by="", approved_by="", list_name="ncic-daily",
    listed_on="2026-11-30", loaded_at=NOW.isoformat(), expires_at=None, priority=3)


def person(username: str, role: Role = Role.SWORN_OFFICER) -> Caller:
    account = UserAccount(user_id=f"sub-{username}", username=username, agency="PD",
                          roles=frozenset({role}), enabled=True, approved_by="chief",
                          approved_at=date(2026, 11, 1), training_date=date(2026, 1, 1),
                          clets_cert_date=date(2026, 1, 1), mfa_enabled=True, last_access=None)
    return Caller(account, "10.0.0.1", "req-1")


def alert(number: int, created: datetime, **changes: object) -> Alert:
    made = alert_from_hit(HotlistHit(ENTRY, ENTRY.plate, HowMatched.EXACT),
                          read_id=f"rd-{number}", plate=f"7XYZ{number:03d}",
                          camera_id="pole-1", captured_at=created.isoformat(), now=created,
                          expires_at=None,
                          images=ReadImages("cameras/pole-1/2026-12-01/a.jpg", "v1",
                                            "crops/pole-1/2026-12-01/a-0.jpg", "v2",
                                            (10, 20, 100, 40)))
    return replace(made, **changes)  # type: ignore[arg-type]


class StoredAlerts:
    """The alerts table's by_status index in memory; `visible` hides late writes."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def open_created_since(self, since: str, limit: int = 100) -> list[Alert]:
        found = sorted((item for item in self.alerts
                        if item.status == "open"
                        and datetime.fromisoformat(item.created_at)
                        >= datetime.fromisoformat(since)),
                       key=lambda item: item.created_at)
        return found[:limit]

    def get(self, alert_id: str) -> Alert | None:
        return next((item for item in self.alerts if item.alert_id == alert_id), None)


class Links:
    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str:
        return f"https://bucket.example/{key}?versionId={version_id}&expires={seconds}"


class NoReads:
    def get(self, read_id: str) -> Read | None:
        return None


class Time:
    """A clock, a monotonic clock and a sleep that moves both (no real waiting)."""

    def __init__(self) -> None:
        self.now = NOW
        self.ticks = 0.0
        self.on_sleep: list[object] = []

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.ticks

    def sleep(self, seconds: float) -> None:
        self.ticks += seconds
        self.now += timedelta(seconds=seconds)
        if self.on_sleep:
            action = self.on_sleep.pop(0)
            if callable(action):
                action()


def feed(store: StoredAlerts, audit: FakeAuditLog, time: Time) -> AlertFeedDependencies:
    return AlertFeedDependencies(alerts=store, reads=NoReads(), images=Links(), crops=Links(),
                                 audit=audit, clock=time.clock, sleep=time.sleep,
                                 monotonic=time.monotonic)


# ---------------------------------------------------------------------- the long poll
def test_a_new_alert_is_delivered_during_the_wait_and_recorded() -> None:
    store, audit, time = StoredAlerts(), FakeAuditLog(), Time()
    deps = feed(store, audit, time)
    start = wait_for_alerts({}, person("ofc.lee"), deps)
    assert start.alerts == ()  # starting shows nothing; the start is recorded
    [begun] = audit.chain
    assert begun.entry.result_count == 0 and begun.entry.query == {"follow": "start"}
    time.on_sleep = [None, None, lambda: store.alerts.append(alert(1, time.now))]
    page = wait_for_alerts({"after": start.token.text(), "wait": "20"}, person("ofc.lee"), deps)
    assert [item.read_id for item in page.alerts] == ["rd-1"]
    assert time.ticks == pytest.approx(0.75)  # answered at the first poll after it appeared
    record = audit.chain[-1]
    assert record.entry.action == "view_alerts_live" and record.entry.result_count == 1
    assert record.entry.query["plates"] == "7XYZ001"


def test_an_empty_wait_ends_after_wait_seconds_and_is_recorded_with_no_results() -> None:
    store, audit, time = StoredAlerts(), FakeAuditLog(), Time()
    deps = feed(store, audit, time)
    token = wait_for_alerts({}, person("ofc.lee"), deps).token
    page = wait_for_alerts({"after": token.text(), "wait": "5"}, person("ofc.lee"), deps)
    assert page.alerts == () and time.ticks == pytest.approx(5.0)
    assert [record.entry.result_count for record in audit.chain] == [0, 0]
    assert audit.chain[-1].entry.query == {}


def test_an_alert_stored_late_out_of_creation_order_is_still_delivered_once() -> None:
    store, audit, time = StoredAlerts(), FakeAuditLog(), Time()
    deps = feed(store, audit, time)
    token = wait_for_alerts({}, person("ofc.lee"), deps).token
    early, late = alert(1, NOW + timedelta(seconds=1)), alert(2, NOW + timedelta(seconds=2))
    store.alerts.append(late)  # the second ingest finished first
    time.now = NOW + timedelta(seconds=3)
    first = wait_for_alerts({"after": token.text(), "wait": "0"}, person("ofc.lee"), deps)
    store.alerts.append(early)
    second = wait_for_alerts({"after": first.token.text(), "wait": "0"}, person("ofc.lee"),
                             deps)
    third = wait_for_alerts({"after": second.token.text(), "wait": "0"}, person("ofc.lee"),
                            deps)
    assert [item.read_id for item in first.alerts] == ["rd-2"]
    assert [item.read_id for item in second.alerts] == ["rd-1"]
    assert third.alerts == ()


def test_closed_alerts_do_not_come_back() -> None:
    store, audit, time = StoredAlerts(), FakeAuditLog(), Time()
    deps = feed(store, audit, time)
    token = wait_for_alerts({}, person("ofc.lee"), deps).token
    store.alerts.append(alert(1, NOW + timedelta(seconds=1), status="closed"))
    assert wait_for_alerts({"after": token.text(), "wait": "0"}, person("ofc.lee"),
                           deps).alerts == ()


@pytest.mark.parametrize("token", [
    "yesterday|", "2026-12-01T12:00:00|", "2026-12-01T12:00:00+00:00|al-xyz",
    "2026-12-01T12:00:00+00:00|" + ",".join(["al-" + "a" * 32] * 101),
    "2026-13-01T12:00:00+00:00|", "' OR 1=1 --",
])
def test_a_token_this_service_did_not_hand_out_is_refused(token: str) -> None:
    with pytest.raises(FeedRefused) as refused:
        parse_token(token)
    assert refused.value.code == "CURSOR_INVALID"


@pytest.mark.parametrize("wait", ["-1", "26", "soon", "1e9"])
def test_the_wait_stays_within_api_gateways_limit(wait: str) -> None:
    store, audit, time = StoredAlerts(), FakeAuditLog(), Time()
    token = wait_for_alerts({}, person("ofc.lee"), feed(store, audit, time)).token
    with pytest.raises(FeedRefused, match="0-25 seconds"):
        wait_for_alerts({"after": token.text(), "wait": wait}, person("ofc.lee"),
                        feed(store, audit, time))


def test_alerts_carry_short_links_to_their_frame_and_crop_and_the_box() -> None:
    links = image_links([alert(1, NOW)], feed(StoredAlerts(), FakeAuditLog(), Time()))
    [shown] = links.values()
    assert shown["frame_url"].startswith("https://bucket.example/cameras/pole-1/")
    assert "versionId=v1" in shown["frame_url"] and "versionId=v2" in shown["crop_url"]
    assert shown["box"] == [10, 20, 100, 40] and shown["expires_in"] == 300


# ---------------------------------------------------------------------- levels and notices
class Hotlist:
    def __init__(self, *entries: HotlistEntry) -> None:
        self.entries = entries

    def entries_for_keys(self, keys: object) -> list[HotlistEntry]:
        wanted = set(keys)  # type: ignore[call-overload]
        return [entry for entry in self.entries if match_key(entry) in wanted]


class Alerts:
    def __init__(self) -> None:
        self.stored: dict[str, Alert] = {}

    def put(self, made: Alert) -> bool:
        return self.stored.setdefault(made.alert_id, made) is made


class Levels:
    def __init__(self, levels: dict[str, str]) -> None:
        self.levels_of = levels

    def levels(self, list_names: object) -> dict[str, str]:
        return dict(self.levels_of)


class Queue:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def enqueue(self, alert_id: str) -> None:
        self.ids.append(alert_id)


def read(plate: str) -> Read:
    return Read("rd-9", plate, "2026-12-01T11:59:58Z", "pole-1", 0.9,
                "cameras/pole-1/2026-12-01/f.jpg", 1_900_000_000,
                candidates=(Candidate(plate, 0.9),), box=(5, 6, 70, 20), image_version="v9",
                crop_key="crops/pole-1/2026-12-01/f-0.jpg", crop_version="v10")


@pytest.mark.parametrize(("category", "priority", "list_level", "level"), [
    (Category.STOLEN_VEHICLE, 3, None, Level.NORMAL),
    (Category.STOLEN_VEHICLE, 3, "high", Level.HIGH),
    (Category.AMBER_ALERT, 1, "normal", Level.HIGH),  # no list setting quiets a child
    (Category.WARRANT, 2, None, Level.HIGH),
])
def test_the_list_level_and_the_entrys_priority_make_the_alert_level(
        category: str, priority: int, list_level: str | None, level: str) -> None:
    entry = replace(ENTRY, category=category, priority=priority)
    high, admin, queue = FakeNotices(), FakeNotices(), Queue()
    deps = AlertDependencies(hotlist=Hotlist(entry), alerts=Alerts(), notices=admin,
                             clock=lambda: NOW,
                             levels=Levels({"ncic-daily": list_level} if list_level else {}),
                             high_priority=high, dispatch=queue)
    [made] = alerts_for_reads([read(ENTRY.plate)], deps)
    assert made.level == level
    assert (made.image_key, made.crop_version, made.box) == (
        "cameras/pole-1/2026-12-01/f.jpg", "v10", (5, 6, 70, 20))
    assert len(high.sent) == (1 if level == Level.HIGH else 0)
    assert queue.ids == [made.alert_id]
    assert json.loads(admin.sent[0][1])["level"] == level


def test_the_mail_and_sms_notice_carries_no_plate() -> None:
    made = alert(1, NOW)
    text = high_priority_text(made)
    assert made.plate not in text and ENTRY.plate not in text
    assert "console" in text and "CLETS" in text and made.alert_id in text


# ---------------------------------------------------------------------- the dispatch webhook
SECRET = b"0123456789abcdef0123456789abcdef"


def test_a_receiver_can_check_the_signature_and_refuses_changes_and_replays() -> None:
    body = b'{"alert_id": "al-1"}'
    header = signature(SECRET, 1_796_000_000, body)
    assert verify_signature(SECRET, header, body, now=1_796_000_100)
    assert not verify_signature(SECRET, header, body + b" ", now=1_796_000_100)
    assert not verify_signature(b"another key", header, body, now=1_796_000_100)
    assert not verify_signature(SECRET, header, body, now=1_796_000_000 + 301)  # replayed
    assert not verify_signature(SECRET, "t=1796000000,v1=" + "0" * 64, body, 1_796_000_000)


@pytest.mark.parametrize("url", ["http://cad.example/hook", "ftp://cad/", "https://", "",
                                 "http://10.0.0.5/hook"])
def test_the_webhook_must_be_https(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl):
        check_webhook_url(url)
    assert check_webhook_url("https://cad.agency.example/alpr")
    assert check_webhook_url("http://127.0.0.1:8080/alpr")


class Poster:
    def __init__(self, fail: bool = False) -> None:
        self.posts: list[tuple[bytes, str, str]] = []
        self.fail = fail

    def post(self, body: bytes, signed: str, alert_id: str) -> int:
        if self.fail:
            raise RuntimeError("webhook answered 503")
        self.posts.append((body, signed, alert_id))
        return 200


class Secret:
    def value(self) -> bytes:
        return SECRET


class CameraBook:
    def get(self, camera_id: str) -> None:
        return None


def test_each_alert_is_posted_signed_and_the_delivery_recorded() -> None:
    store, poster, audit = StoredAlerts(), Poster(), FakeAuditLog()
    made = alert(1, NOW)
    store.alerts.append(made)
    deps = DispatchDependencies(alerts=store, cameras=CameraBook(), secret=Secret(),
                                poster=poster, audit=audit, clock=lambda: NOW)
    assert dispatch_alert(made.alert_id, deps) == "posted"
    [(body, signed, alert_id)] = poster.posts
    assert alert_id == made.alert_id
    assert verify_signature(SECRET, signed, body, int(NOW.timestamp()))
    document = json.loads(body)
    assert document["plate"] == made.plate and "CLETS" in document["instruction"]
    assert audit.chain[-1].entry.action == "dispatch_alert"
    assert dispatch_alert("not-an-id", deps).startswith("skipped")
    assert payload(made, "Pole 1", (37.3, -121.9)).count(b"37.3") == 1


def test_a_failed_post_raises_so_the_queue_retries_and_records_nothing() -> None:
    store, audit = StoredAlerts(), FakeAuditLog()
    made = alert(1, NOW)
    store.alerts.append(made)
    deps = DispatchDependencies(alerts=store, cameras=CameraBook(), secret=Secret(),
                                poster=Poster(fail=True), audit=audit, clock=lambda: NOW)
    with pytest.raises(RuntimeError):
        dispatch_alert(made.alert_id, deps)
    assert audit.chain == []


# ---------------------------------------------------------------------- hotlists as lists
def load(name: str, source: str, hours_ago: float, accepted: int = 100) -> ListLoad:
    return ListLoad(name, "l1", (NOW - timedelta(hours=hours_ago)).isoformat(), source, source,
                    accepted + 3, accepted, 2, (("bad plate", 1),), "", "admin.demo")


def test_lists_show_their_level_loads_and_whether_they_went_stale() -> None:
    summaries = {item.list_name: item for item in summarize(
        [ListSettings("ncic-daily", "high", "admin.demo", "2026-11-01T00:00:00Z")],
        [load("ncic-daily", "ncic", 60), load("ncic-daily", "ncic", 84),
         load("clew-svs", "clew", 20), load("local-csv", "csv", 900)], NOW)}
    ncic = summaries["ncic-daily"]
    assert (ncic.level, ncic.stale, ncic.age_hours, len(ncic.loads)) == ("high", True, 60.0, 2)
    assert summaries["clew-svs"].stale is False and summaries["clew-svs"].level == "normal"
    assert summaries["local-csv"].stale is False  # hand-made lists expire entry by entry


# ---------------------------------------------------------------------- subscriptions
class Subscriptions:
    def __init__(self) -> None:
        self.items: dict[str, object] = {}

    def put(self, subscription: object) -> None:
        self.items[subscription.subscription_id] = subscription  # type: ignore[attr-defined]

    def get(self, subscription_id: str) -> object:
        return self.items.get(subscription_id)

    def delete(self, subscription_id: str) -> None:
        self.items.pop(subscription_id, None)

    def list_all(self) -> list[object]:
        return list(self.items.values())


class Topic:
    def __init__(self) -> None:
        self.subscribed: list[tuple[str, str]] = []
        self.removed: list[str] = []

    def subscribe(self, protocol: str, endpoint: str) -> str:
        self.subscribed.append((protocol, endpoint))
        return f"arn:aws:sns:us-west-2:1:high:{len(self.subscribed)}"

    def unsubscribe(self, subscription_arn: str) -> None:
        self.removed.append(subscription_arn)


@pytest.mark.parametrize(("protocol", "endpoint"), [
    ("email", "not-an-address"), ("sms", "408-555-0123"), ("sms", "+0123"),
    ("http", "https://example.com"), ("email", "a@b"),
])
def test_only_mail_addresses_and_international_phone_numbers(protocol: str,
                                                            endpoint: str) -> None:
    with pytest.raises(InvalidSubscription):
        validate_endpoint(protocol, endpoint)
    assert validate_endpoint("sms", "+1 (408) 555-0123") == ("sms", "+14085550123")
    assert masked("lee@agency.example") == "le***@agency.example"


def test_a_person_holds_a_few_subscriptions_and_removes_only_their_own() -> None:
    audit = FakeAuditLog()
    deps = SubscriptionDependencies(subscriptions=Subscriptions(), topic=Topic(), audit=audit,
                                    clock=lambda: NOW)  # type: ignore[arg-type]
    lee, kim, admin = person("ofc.lee"), person("ofc.kim"), person("admin", Role.ADMINISTRATOR)
    made = [subscribe({"protocol": "sms", "endpoint": f"+1408555012{n}"}, lee, deps)
            for n in range(3)]
    with pytest.raises(SubscriptionRefused) as refused:
        subscribe({"protocol": "sms", "endpoint": "+14085550129"}, lee, deps)
    assert refused.value.code == "TOO_MANY_SUBSCRIPTIONS"
    with pytest.raises(SubscriptionRefused) as foreign:
        unsubscribe(made[0].subscription_id, kim, deps)
    assert foreign.value.status == 403
    assert [entry.entry.refusal_code for entry in audit.chain if entry.entry.outcome != "allowed"
            ] == ["TOO_MANY_SUBSCRIPTIONS", "NOT_YOUR_SUBSCRIPTION"]
    assert list_subscriptions(kim, deps) == []
    assert len(list_subscriptions(admin, deps)) == 3
    assert subscription_view(made[1], admin)["endpoint"].startswith("+14****")
    unsubscribe(made[0].subscription_id, admin, deps)  # an administrator may remove any
    assert len(list_subscriptions(lee, deps)) == 2
