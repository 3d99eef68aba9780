"""Working-day calendar: chinesecalendar data, staff overrides, uncovered years, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workdays.calendar import (
    SHANGHAI,
    WorkCalendar,
    default_calendar,
    end_of_day,
    package_years,
)

CAL = WorkCalendar()


def sh(*args: int) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- package data


def test_package_years_run_to_2026_and_not_beyond():
    years = package_years()
    assert 2026 in years
    assert 2027 not in years
    assert min(years) == 2004
    assert years == frozenset(range(min(years), max(years) + 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_national_day_2026_is_seven_days_with_make_up_sunday_and_saturday():
    for day in range(1, 8):
        assert not CAL.is_working_day(date(2026, 10, day)), f"2026-10-0{day}"
    assert CAL.is_working_day(date(2026, 10, 8))  # Thursday back at work
    # 调休: Sunday 20 September and Saturday 10 October are working days.
    assert date(2026, 9, 20).weekday() == 6
    assert CAL.is_working_day(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5
    assert CAL.is_working_day(date(2026, 10, 10))
    assert not CAL.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    # Mid-Autumn Festival the week before.
    assert not CAL.is_working_day(date(2026, 9, 25))


def test_make_up_days_2026_match_the_package():
    expected = {
        date(2026, 1, 4),  # Sunday, New Year's Day
        date(2026, 2, 14),  # Saturday, Spring Festival
        date(2026, 2, 28),  # Saturday, Spring Festival
        date(2026, 5, 9),  # Saturday, Labour Day
        date(2026, 9, 20),  # Sunday, National Day
        date(2026, 10, 10),  # Saturday, National Day
    }
    found = {
        date(2026, 1, 1) + timedelta(days=i)
        for i in range(365)
        if (date(2026, 1, 1) + timedelta(days=i)).weekday() >= 5
        and CAL.is_working_day(date(2026, 1, 1) + timedelta(days=i))
    }
    assert found == expected


def test_agrees_with_package_for_every_covered_day():
    day, last = date(min(package_years()), 1, 1), date(max(package_years()), 12, 31)
    while day <= last:
        assert CAL.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --------------------------------------------------------------------------- deadlines


def test_one_working_day_over_national_day():
    deadline = CAL.add_working_days(sh(2026, 9, 30, 15, 0), 1)
    assert deadline == datetime.combine(date(2026, 10, 8), time.max, tzinfo=SHANGHAI)
    assert deadline.tzinfo is SHANGHAI
    assert deadline == end_of_day(date(2026, 10, 8))


def test_hour_of_submission_does_not_matter():
    early = CAL.add_working_days(sh(2026, 9, 30, 0, 0), 3)
    late = CAL.add_working_days(sh(2026, 9, 30, 23, 59, 59), 3)
    assert early == late == end_of_day(date(2026, 10, 10))  # 8, 9, make-up Saturday 10


def test_weekend_make_up_day_counts_as_working():
    # Friday before National Day week: next working day is the make-up Sunday 20 September.
    assert CAL.add_working_days(sh(2026, 9, 19, 9, 0), 1) == end_of_day(date(2026, 9, 20))
    assert CAL.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)


def test_add_working_days_across_spring_festival_2026():
    friday = sh(2026, 2, 13, 10, 0)
    assert CAL.add_working_days(friday, 1) == end_of_day(date(2026, 2, 14))  # make-up Saturday
    assert CAL.add_working_days(friday, 2) == end_of_day(date(2026, 2, 24))  # after 15-23 off
    assert CAL.add_working_days(friday, 5) == end_of_day(date(2026, 2, 27))
    assert CAL.add_working_days(friday, 6) == end_of_day(date(2026, 2, 28))  # make-up Saturday
    assert CAL.add_working_days(friday, 7) == end_of_day(date(2026, 3, 2))


def test_submission_on_a_holiday_runs_from_the_next_working_day():
    assert CAL.add_working_days(sh(2026, 10, 3, 11, 0), 1) == end_of_day(date(2026, 10, 8))
    assert CAL.add_working_days(sh(2026, 10, 3, 11, 0), 0) == end_of_day(date(2026, 10, 8))
    assert CAL.add_working_days(sh(2026, 9, 30, 11, 0), 0) == end_of_day(date(2026, 9, 30))


def test_deadline_into_uncovered_2027_uses_monday_to_friday():
    start = sh(2026, 12, 30, 16, 0)  # Wednesday
    assert date(2027, 1, 1).weekday() == 4  # Friday
    # 31 Dec, 1 Jan (Friday, unknown holiday -> working), 4-8 Jan, 11-13 Jan.
    assert CAL.add_working_days(start, 10) == end_of_day(date(2027, 1, 13))
    assert CAL.is_working_day(date(2027, 1, 1))
    assert not CAL.is_working_day(date(2027, 1, 2))


def test_override_makes_new_year_2027_a_holiday():
    cal = WorkCalendar({date(2027, 1, 1): False})
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.add_working_days(sh(2026, 12, 30, 16, 0), 10) == end_of_day(date(2027, 1, 14))
    # Still uncovered: one override is not a year's schedule.
    assert not cal.is_year_covered(2027)


def test_aware_datetimes_in_other_zones_are_read_in_shanghai():
    # 17:00 UTC on 8 October is 01:00 on Friday 9 October in Shanghai.
    deadline = CAL.add_working_days(datetime(2026, 10, 8, 17, 0, tzinfo=UTC), 1)
    assert deadline == end_of_day(date(2026, 10, 10))
    assert deadline.tzinfo is SHANGHAI


def test_naive_datetimes_and_negative_days_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_days(datetime(2026, 9, 30, 15, 0), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_hours_between(datetime(2026, 9, 30), sh(2026, 10, 8))
    with pytest.raises(ValueError, match=">= 0"):
        CAL.add_working_days(sh(2026, 9, 30, 15, 0), -1)


# --------------------------------------------------------------------------- coverage


def test_year_coverage_and_staff_covered_years():
    assert CAL.is_year_covered(2026)
    assert not CAL.is_year_covered(2027)
    assert not CAL.is_year_covered(2003)
    staff = WorkCalendar({date(2027, 1, 1): False}, covered_years={2027})
    assert staff.is_year_covered(2027)
    assert not staff.is_year_covered(2028)


def test_uncovered_years():
    assert CAL.uncovered_years(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert CAL.uncovered_years(date(2026, 6, 1), date(2028, 2, 1)) == [2027, 2028]
    assert CAL.uncovered_years(date(2028, 2, 1), date(2026, 6, 1)) == [2027, 2028]
    staff = WorkCalendar(covered_years={2027})
    assert staff.uncovered_years(date(2026, 6, 1), date(2028, 2, 1)) == [2028]


def test_overrides_win_over_the_package():
    cal = WorkCalendar(
        {
            date(2026, 10, 8): False,  # package: working Thursday
            date(2026, 10, 3): True,  # package: National Day Saturday
            datetime(2026, 10, 10, 9, 0): False,  # a datetime key is reduced to its date
        }
    )
    assert not cal.is_working_day(date(2026, 10, 8))
    assert cal.is_working_day(date(2026, 10, 3))
    assert not cal.is_working_day(date(2026, 10, 10))
    assert cal.add_working_days(sh(2026, 9, 30, 15, 0), 1) == end_of_day(date(2026, 10, 3))
    assert cal.add_working_days(sh(2026, 10, 3, 15, 0), 1) == end_of_day(date(2026, 10, 9))
    assert CAL.is_working_day(date(2026, 10, 8))  # other calendars unaffected


def test_overrides_are_copied():
    overrides = {date(2026, 10, 8): False}
    cal = WorkCalendar(overrides)
    overrides[date(2026, 10, 8)] = True
    assert not cal.is_working_day(date(2026, 10, 8))


# --------------------------------------------------------------------------- counting


def test_next_working_day():
    assert CAL.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CAL.next_working_day(date(2026, 10, 8)) == date(2026, 10, 9)
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)
    assert CAL.next_working_day(date(2026, 12, 31)) == date(2027, 1, 1)


def test_working_days_between():
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 9, 30)) == 0
    assert CAL.working_days_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    # Spring Festival 2026: Feb has 20 weekdays minus 6 days off on weekdays plus 2 make-ups.
    assert CAL.working_days_between(date(2026, 1, 31), date(2026, 2, 28)) == 20 - 6 + 2
    # Across the year boundary into uncovered 2027.
    assert CAL.working_days_between(date(2026, 12, 30), date(2027, 1, 13)) == 10


def test_working_days_between_matches_day_by_day_count_over_many_years():
    cal = WorkCalendar({date(2027, 10, 1): False, date(2030, 2, 2): True})
    start, end = date(2003, 12, 20), date(2031, 1, 10)
    expected = sum(
        cal.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
    )
    assert cal.working_days_between(start, end) == expected


def test_working_hours_across_national_day():
    start, end = sh(2026, 9, 30, 12, 0), sh(2026, 10, 8, 12, 0)
    assert CAL.working_hours_between(start, end) == 24.0  # 12 h on 30 Sep + 12 h on 8 Oct
    assert CAL.working_hours_between(end, start) == -24.0
    assert CAL.working_hours_between(start, sh(2026, 10, 9, 6, 30)) == 12 + 24 + 6.5
    # Entirely within the holiday.
    assert CAL.working_hours_between(sh(2026, 10, 1, 8, 0), sh(2026, 10, 7, 20, 0)) == 0.0
    # Same working day.
    assert CAL.working_hours_between(sh(2026, 10, 8, 9, 0), sh(2026, 10, 8, 17, 30)) == 8.5


def test_working_hours_left_to_a_deadline():
    now = sh(2026, 9, 30, 15, 0)
    deadline = CAL.add_working_days(now, 1)
    assert CAL.working_hours_between(now, deadline) == pytest.approx(9 + 24)
    # Mixed time zones: 04:00 UTC on 30 Sep is 12:00 in Shanghai.
    assert (
        CAL.working_hours_between(datetime(2026, 9, 30, 4, 0, tzinfo=UTC), sh(2026, 10, 8, 12, 0))
        == 24.0
    )


def test_default_calendar_is_shared_and_has_no_overrides():
    assert default_calendar() is default_calendar()
    assert default_calendar().is_working_day(date(2027, 1, 1))


@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.just(SHANGHAI),
    ),
    days=st.integers(min_value=1, max_value=60),
)
def test_deadline_is_the_nth_working_day(start: datetime, days: int):
    deadline = CAL.add_working_days(start, days)
    assert deadline.time() == time.max
    assert CAL.is_working_day(deadline.date())
    assert CAL.working_days_between(start.date(), deadline.date()) == days
    assert CAL.working_days_between(start.date(), deadline.date() - timedelta(days=1)) == days - 1
