"""The local pump fires each schedule when its rate or cron expression says (moto never does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.settings import AUDIT_TABLE, adopt_local_stack_environment
from local_stack.schedules import ScheduleUnsupported, next_fire

T = datetime(2026, 12, 31, 23, 58, 30, tzinfo=UTC)


def test_rates_count_from_the_last_run() -> None:
    assert next_fire("rate(5 minutes)", T) == T + timedelta(minutes=5)
    assert next_fire("rate(1 day)", T) == T + timedelta(days=1)
    assert next_fire("rate(2 hours)", T) == T + timedelta(hours=2)


def test_the_monthly_audit_cron_fires_at_six_on_the_first() -> None:
    # What app.py declares for monthly_audit: Cron(0, 6, 1, "*", "?", "*").
    assert next_fire("cron(0 6 1 * ? *)", T) == datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    assert next_fire("cron(0 6 1 * ? *)", datetime(2027, 1, 1, 6, 0, tzinfo=UTC)) == datetime(
        2027, 2, 1, 6, 0, tzinfo=UTC)


def test_cron_lists_ranges_and_weekdays() -> None:
    assert next_fire("cron(15,45 9-10 ? * MON-FRI *)", T) == datetime(2027, 1, 1, 9, 15,
                                                                       tzinfo=UTC)  # a Friday
    assert next_fire("cron(0 12 ? * SUN *)", T) == datetime(2027, 1, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("expression", ["cron(*/5 * * * ? *)", "rate(5 fortnights)",
                                        "cron(0 25 * * ? *)", "every five minutes"])
def test_what_the_pump_cannot_evaluate_is_refused_not_skipped(expression: str) -> None:
    with pytest.raises(ScheduleUnsupported):
        next_fire(expression, T)


def test_every_schedule_of_the_app_can_be_evaluated() -> None:
    from chalice.app import ScheduledEventConfig

    from app import app

    schedules = {config.name: config.schedule_expression for config in app.event_sources
                 if isinstance(config, ScheduledEventConfig)}
    assert {"checkpoint", "monthly_audit", "retention_check"} <= set(schedules)
    for expression in schedules.values():
        text = expression if isinstance(expression, str) else expression.to_string()
        assert next_fire(text, T) > T
    assert next_fire(schedules["checkpoint"].to_string(), T) == T + timedelta(minutes=5)


def test_command_line_tools_find_the_running_local_stack(tmp_path: Path) -> None:
    env_file = tmp_path / "local-stack.env"
    env_file.write_text("AWS_ENDPOINT_URL=http://127.0.0.1:5555\n"
                        f"{AUDIT_TABLE}=platekeeper-local-AuditTable\n"
                        "PLATEKEEPER_AGENCY_NAME='Police Department'\n", encoding="utf-8")
    environ: dict[str, str] = {}
    assert adopt_local_stack_environment(env_file, environ)
    assert environ == {"AWS_ENDPOINT_URL": "http://127.0.0.1:5555",
                       AUDIT_TABLE: "platekeeper-local-AuditTable",
                       "PLATEKEEPER_AGENCY_NAME": "Police Department"}
    named = {AUDIT_TABLE: "prod-audit"}
    assert not adopt_local_stack_environment(env_file, named)  # a named deployment wins
    assert named == {AUDIT_TABLE: "prod-audit"}
    assert not adopt_local_stack_environment(tmp_path / "absent.env", {})
