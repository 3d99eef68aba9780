"""The staff override table and entered years feed the calendar deadlines are counted in."""

from datetime import date

import pytest

from workdays.models import ScheduleYear, WorkdayOverride
from workdays.selectors import uncovered_years_ahead, work_calendar

pytestmark = pytest.mark.django_db


def test_overrides_win_and_entered_years_count_as_covered():
    calendar = work_calendar()
    assert calendar.is_working_day(date(2027, 2, 8))  # a Monday; 2027 unknown to the package
    assert not calendar.is_year_covered(2027)
    assert uncovered_years_ahead(date(2026, 12, 1)) == [2027]
    WorkdayOverride.objects.create(date=date(2027, 2, 8), is_working_day=False, note="春节")
    WorkdayOverride.objects.create(date=date(2027, 2, 20), is_working_day=True, note="春节调休")
    ScheduleYear.objects.create(year=2027)
    calendar = work_calendar()
    assert not calendar.is_working_day(date(2027, 2, 8))
    assert calendar.is_working_day(date(2027, 2, 20))  # a Saturday
    assert calendar.is_year_covered(2027)
    assert uncovered_years_ahead(date(2026, 12, 1)) == []
    # A staff correction of a package year wins too.
    WorkdayOverride.objects.create(date=date(2026, 11, 23), is_working_day=False)
    assert not work_calendar().is_working_day(date(2026, 11, 23))


def test_one_override_per_date():
    from django.db import IntegrityError

    WorkdayOverride.objects.create(date=date(2027, 1, 1), is_working_day=False)
    with pytest.raises(IntegrityError):
        WorkdayOverride.objects.create(date=date(2027, 1, 1), is_working_day=True)
