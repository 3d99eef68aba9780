"""The working-day calendar in force: chinesecalendar's schedule plus the staff override table."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import QuerySet

from workdays.calendar import WorkCalendar, package_years, shanghai_date
from workdays.models import ScheduleYear, WorkdayOverride


def work_calendar() -> WorkCalendar:
    """The calendar deadlines are counted in (two queries: the overrides and the entered years).

    Only the staff table is passed as overrides: chinesecalendar's schedule is read inside
    :class:`WorkCalendar`, and staff rows win over it. A year neither covers counts Monday to
    Friday, and the staff dashboard warns about it (:func:`uncovered_years_ahead`).
    """
    overrides = dict(WorkdayOverride.objects.values_list("date", "is_working_day"))
    covered = ScheduleYear.objects.values_list("year", flat=True)
    return WorkCalendar(overrides, covered)


def uncovered_years_ahead(
    moment: date | datetime, calendar: WorkCalendar | None = None
) -> list[int]:
    """This year and next where no holiday schedule is known (deadlines there count Mon–Fri).

    ``moment`` is a day or an aware datetime; "this year" is that of its Shanghai day, so at
    2027-01-01 00:30 Shanghai (2026-12-31 16:30 UTC) the years are 2027 and 2028.
    """
    year = shanghai_date(moment).year
    if calendar is None:
        # Whether a year is covered does not depend on the overrides: one query, two years.
        entered = ScheduleYear.objects.filter(year__in=(year, year + 1))
        calendar = WorkCalendar(covered_years=entered.values_list("year", flat=True))
    return [y for y in (year, year + 1) if not calendar.is_year_covered(y)]


def overrides_of_year(year: int) -> QuerySet[WorkdayOverride]:
    """A year's staff overrides, in date order, with who entered them (one query)."""
    return WorkdayOverride.objects.filter(date__year=year).select_related("updated_by")


def year_status(year: int) -> dict:
    """Where a year's schedule comes from: ``package``, ``staff`` or ``missing``."""
    if year in package_years():
        return {"year": year, "source": "package", "entry": None}
    entry = ScheduleYear.objects.filter(year=year).select_related("entered_by").first()
    return {"year": year, "source": "staff" if entry else "missing", "entry": entry}
