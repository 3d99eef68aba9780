"""The fast working-hours clock gives the calendar's own numbers, holidays and 调休 included."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from dashboards.clock import WorkingClock
from workdays.calendar import WorkCalendar


def test_clock_equals_the_calendar_across_holidays_and_makeup_days():
    calendar = WorkCalendar({date(2026, 10, 9): False}, [])  # a staff override counts too
    rng = random.Random(5)
    base = datetime(2026, 9, 20, tzinfo=UTC)
    pairs = []
    for _ in range(400):
        start = base + timedelta(minutes=rng.randint(0, 60 * 24 * 40))
        pairs.append((start, start + timedelta(minutes=rng.randint(0, 60 * 24 * 12))))
    clock = WorkingClock.spanning(
        calendar, [moment.timestamp() for pair in pairs for moment in pair]
    )
    for start, end in pairs:
        expected = calendar.working_hours_between(start, end)
        assert abs(clock.hours_between(start.timestamp(), end.timestamp()) - expected) < 1e-6
    # Across the National Day holiday most of the nine calendar days count nothing.
    start = datetime(2026, 9, 30, 4, tzinfo=UTC)  # 12:00 in Shanghai
    end = datetime(2026, 10, 9, 4, tzinfo=UTC)
    hours = clock.hours_between(start.timestamp(), end.timestamp())
    assert hours == calendar.working_hours_between(start, end) and hours <= 48
    assert WorkingClock.month_key(start.timestamp()) == "2026-09"
    assert (
        WorkingClock.month_key(datetime(2026, 9, 30, 16, 30, tzinfo=UTC).timestamp()) == "2026-10"
    )
