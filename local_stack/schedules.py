"""When an EventBridge schedule next fires: `rate(...)` and `cron(...)` as the app declares them.

moto stores EventBridge rules but never fires them, so the background pump (`make run`) fires
each `@app.schedule` handler when its expression says, by the stack's clock. Missed runs (the
clock moved forward by days) fire once, not once per missed period. Anything the parser does
not understand raises instead of being skipped silently.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_SEARCH_DAYS = 366 * 5


class ScheduleUnsupported(ValueError):
    """A schedule expression the local pump cannot evaluate."""


def next_fire(expression: str, after: datetime) -> datetime:
    """The first time strictly after `after` at which the schedule fires (UTC for cron)."""
    rate = _RATE.match(expression)
    if rate:
        return after + int(rate.group(1)) * _UNITS[rate.group(2).rstrip("s")]
    cron = _CRON.match(expression)
    if not cron:
        raise ScheduleUnsupported(f"cannot evaluate the schedule {expression!r}")
    minutes, hours, days, months, weekdays, years = cron.groups()
    allowed_minutes = sorted(_values(minutes, 0, 59))
    allowed_hours = sorted(_values(hours, 0, 23))
    start = after.replace(second=0, microsecond=0)
    for offset in range(_SEARCH_DAYS):
        day = (start + timedelta(days=offset)).date()
        if not (_matches(years, day.year, 1970, 2199) and _matches(months, day.month, 1, 12)
                and _matches(days, day.day, 1, 31)
                and _matches(weekdays, day.isoweekday() % 7 + 1, 1, 7, _WEEKDAYS)):
            continue
        for hour in allowed_hours:
            for minute in allowed_minutes:
                moment = datetime(day.year, day.month, day.day, hour, minute,
                                  tzinfo=after.tzinfo)
                if moment > after:
                    return moment
    raise ScheduleUnsupported(f"{expression!r} does not fire within {_SEARCH_DAYS} days")


def _matches(field: str, value: int, low: int, high: int,
             names: dict[str, int] | None = None) -> bool:
    return field in {"*", "?"} or value in _values(field, low, high, names)


def _values(field: str, low: int, high: int,
            names: dict[str, int] | None = None) -> set[int]:
    if field in {"*", "?"}:
        return set(range(low, high + 1))
    found: set[int] = set()
    for part in field.split(","):
        first, _, last = part.partition("-")
        try:
            start = names[first] if names and first in names else int(first)
            end = (names[last] if names and last in names else int(last)) if last else start
        except ValueError as error:
            raise ScheduleUnsupported(f"cannot evaluate the cron field {field!r}") from error
        if not low <= start <= end <= high:
            raise ScheduleUnsupported(f"cron field {field!r} is out of range")
        found.update(range(start, end + 1))
    return found
