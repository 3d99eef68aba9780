"""The working-day calendar in force: chinesecalendar's schedule plus the staff override table."""

from __future__ import annotations

from datetime import date

from workdays.calendar import WorkCalendar
from workdays.models import ScheduleYear, WorkdayOverride


def work_calendar() -> WorkCalendar:
    """The calendar deadlines are counted in (two queries: the overrides and the entered years).

    chinesecalendar supplies the State Council schedule for the years it ships; staff overrides
    win over it; a year neither covers counts Monday to Friday, and the staff dashboard warns
    about it (:func:`uncovered_years_ahead`).
    """
    overrides = dict(WorkdayOverride.objects.values_list("date", "is_working_day"))
    covered = ScheduleYear.objects.values_list("year", flat=True)
    return WorkCalendar(overrides, covered)


def uncovered_years_ahead(today: date, calendar: WorkCalendar | None = None) -> list[int]:
    """This year and next where no holiday schedule is known (deadlines there count Mon–Fri)."""
    calendar = calendar or work_calendar()
    return [year for year in (today.year, today.year + 1) if not calendar.is_year_covered(year)]
