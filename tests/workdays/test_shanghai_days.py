"""Which calendar day a moment is on is decided in Asia/Shanghai, whatever zone the value carries
or Django has active. The moments sit on the year boundary, where UTC is still the old year."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from workdays.calendar import SHANGHAI, WorkCalendar, shanghai_date
from workdays.models import ScheduleYear
from workdays.selectors import uncovered_years_ahead, work_calendar

#: 2027-01-01 00:30 in Shanghai is 2026-12-31 16:30 in UTC.
NEW_YEAR_UTC = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
#: 2026-12-31 23:30 in Shanghai is 15:30 UTC: the same calendar day in both zones.
LAST_EVENING_UTC = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)


def test_shanghai_date_converts_aware_moments():
    assert shanghai_date(NEW_YEAR_UTC) == date(2027, 1, 1)
    assert shanghai_date(LAST_EVENING_UTC) == date(2026, 12, 31)
    assert shanghai_date(datetime(2027, 1, 1, 0, 30)) == date(2027, 1, 1)  # naive: Shanghai wall
    assert shanghai_date(date(2027, 1, 1)) == date(2027, 1, 1)
    with pytest.raises(TypeError):
        shanghai_date("2027-01-01")


def test_is_working_day_reads_the_shanghai_day():
    calendar = WorkCalendar({date(2027, 1, 1): False})  # 元旦 2027, entered by staff
    assert not calendar.is_working_day(NEW_YEAR_UTC)  # its UTC date field says 31 December
    assert calendar.is_working_day(LAST_EVENING_UTC)
    assert calendar.is_working_day(datetime(2027, 1, 4, 0, 30, tzinfo=SHANGHAI))


def test_next_working_day_and_counting_read_the_shanghai_day():
    calendar = WorkCalendar({date(2027, 1, 1): False})
    assert calendar.next_working_day(NEW_YEAR_UTC) == date(2027, 1, 4)
    # Without the override 1 January 2027 (a Friday) counts: the next one after it is the 4th.
    assert WorkCalendar().next_working_day(NEW_YEAR_UTC) == date(2027, 1, 4)
    assert calendar.next_working_day(LAST_EVENING_UTC) == date(2027, 1, 4)
    # 31 December (Thursday) to 4 January: only the 4th counts; from 1 January the same.
    assert calendar.working_days_between(NEW_YEAR_UTC, date(2027, 1, 4)) == 1
    assert WorkCalendar().working_days_between(NEW_YEAR_UTC, date(2027, 1, 4)) == 1


def test_overrides_keyed_by_aware_datetimes_land_on_the_shanghai_day():
    calendar = WorkCalendar({NEW_YEAR_UTC: False})
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2026, 12, 31))


def test_uncovered_years_reads_the_shanghai_day():
    calendar = WorkCalendar(covered_years={2028})
    # 2027-12-31 16:30 UTC is 2028-01-01 in Shanghai: only 2028 is touched, and it is covered.
    moment = datetime(2027, 12, 31, 16, 30, tzinfo=UTC)
    assert calendar.uncovered_years(moment, date(2028, 1, 3)) == []


@pytest.mark.django_db
def test_uncovered_years_ahead_counts_from_the_shanghai_year():
    assert uncovered_years_ahead(NEW_YEAR_UTC) == [2027, 2028]
    assert uncovered_years_ahead(LAST_EVENING_UTC) == [2027]
    with timezone.override("UTC"):
        assert uncovered_years_ahead(NEW_YEAR_UTC) == [2027, 2028]


@pytest.mark.django_db
def test_work_calendar_passes_only_the_staff_table_as_overrides():
    """The package schedule is read inside WorkCalendar; it is not copied in as overrides."""
    assert repr(work_calendar()) == "WorkCalendar(overrides=0 dates, covered_years=[])"
    ScheduleYear.objects.create(year=2027, notice="国办发明电〔2026〕X号")
    assert repr(work_calendar()) == "WorkCalendar(overrides=0 dates, covered_years=[2027])"
    assert not work_calendar().is_working_day(date(2026, 10, 1))  # still from the package
