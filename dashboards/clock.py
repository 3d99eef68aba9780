"""Working hours for many samples at once, as plain arithmetic on epoch seconds.

The dashboards take medians over every bank turn of the period — 100,000s of (start, end) pairs.
Loading each timestamp as an aware datetime and calling ``WorkCalendar.working_hours_between``
costs tens of microseconds per pair; here the database hands over epoch seconds (:class:`Epoch`)
and :class:`WorkingClock` answers the same number with two table look-ups.

The definition is the calendar's: hours of [start, end) that fall on Asia/Shanghai working days.
Asia/Shanghai has been UTC+8 without daylight saving since 1991, so a local day is
``(epoch + 8 h) // 24 h``.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from django.db.models import FloatField, Func

from workdays.calendar import WorkCalendar

OFFSET = 8 * 3600
DAY = 86400
EPOCH_DAY0 = date(1970, 1, 1)


class Epoch(Func):
    """Seconds since 1970-01-01 UTC of a datetime column, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps UTC text; julianday() reads it (no "%" in the template: the backend
        # rewrites "%s" placeholders).
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra,
        )


class WorkingClock:
    """Cumulative working seconds at any moment of a span of days, from one calendar."""

    def __init__(self, calendar: WorkCalendar, first_epoch: float, last_epoch: float) -> None:
        self.first_day = int((first_epoch + OFFSET) // DAY)
        last_day = int((last_epoch + OFFSET) // DAY)
        self.working: list[bool] = []
        self.before: list[int] = [0]  # working days before each day of the span
        for index in range(last_day - self.first_day + 1):
            day = EPOCH_DAY0 + timedelta(days=self.first_day + index)
            flag = calendar.is_working_day(day)
            self.working.append(flag)
            self.before.append(self.before[-1] + flag)

    @classmethod
    def spanning(cls, calendar: WorkCalendar, moments: list[float]) -> WorkingClock:
        return cls(calendar, min(moments), max(moments)) if moments else cls(calendar, 0, 0)

    def worked(self, moment: float) -> float:
        """Working seconds from the start of the span to ``moment``."""
        local = moment + OFFSET
        day = int(local // DAY)
        index = day - self.first_day
        seconds = self.before[index] * DAY
        if self.working[index]:
            seconds += local - day * DAY
        return seconds

    def hours_between(self, start: float, end: float) -> float:
        """Working hours of [start, end) (negative when end < start), as the calendar counts."""
        return (self.worked(end) - self.worked(start)) / 3600

    @staticmethod
    def month_key(moment: float) -> str:
        """YYYY-MM of ``moment`` in Asia/Shanghai."""
        return _month_of_day(int((moment + OFFSET) // DAY))


@functools.lru_cache(maxsize=4096)
def _month_of_day(day: int) -> str:
    found = EPOCH_DAY0 + timedelta(days=day)
    return f"{found.year:04d}-{found.month:02d}"
