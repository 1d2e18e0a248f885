"""What lapses next on an account (the users page): CLETS certification and the idle limit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.domain.access import Role, UserAccount
from chalicelib.policy.access import account_deadlines
from chalicelib.views import account_standing

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def account(**changes: object) -> UserAccount:
    values: dict[str, object] = dict(
        user_id="u1", username="officer.x", agency="PD", roles=frozenset({Role.SWORN_OFFICER}),
        enabled=True, approved_by="admin.x", approved_at=date(2026, 11, 1),
        training_date=date(2026, 1, 5), clets_cert_date=date(2025, 3, 1), mfa_enabled=True,
        last_access=datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    values.update(changes)
    return UserAccount(**values)  # type: ignore[arg-type]


def test_the_certification_lapses_first_when_it_is_older_than_the_idle_window() -> None:
    deadlines = account_deadlines(account(), NOW)
    assert deadlines.certification_expires_on == date(2027, 3, 2)  # 730 days, then refused
    assert deadlines.idle_suspends_on == date(2027, 2, 19)  # 90 days after the last use
    assert deadlines.next_deadline == ("idle_limit", date(2027, 2, 19))
    assert deadlines.refusal is None


def test_the_first_day_refused_is_the_day_named() -> None:
    from chalicelib.policy.access import account_refusal

    user = account(last_access=datetime(2027, 2, 25, 9, 0, tzinfo=UTC))  # not idle then
    lapses = account_deadlines(user, NOW).certification_expires_on
    assert lapses is not None
    day_before = datetime.combine(date.fromordinal(lapses.toordinal() - 1), NOW.timetz())
    assert account_refusal(user, day_before.date(), day_before) is None
    on_the_day = datetime.combine(lapses, NOW.timetz())
    refusal = account_refusal(user, lapses, on_the_day)
    assert refusal is not None and refusal.code == "CERTIFICATION_EXPIRED"


def test_an_idle_account_says_why_and_when() -> None:
    idle = account(last_access=None, approved_at=date(2026, 8, 1))
    view = account_standing(account_deadlines(idle, NOW))
    assert view["usable"] is False and view["refusal_code"] == "ACCOUNT_IDLE"
    assert view["idle_suspends_on"] == "2026-10-31"
    assert view["next_deadline"] == {"what": "idle_limit", "on": "2026-10-31"}


def test_no_certification_on_record_has_no_date_and_cannot_be_used() -> None:
    view = account_standing(account_deadlines(account(clets_cert_date=None), NOW))
    assert view["certification_expires_on"] is None
    assert view["refusal_code"] == "CERTIFICATION_MISSING"
