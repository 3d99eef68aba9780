"""Chinese working-day calendar for answer deadlines and working-hour statistics.

Pure Python (no Django): the ``workdays`` app feeds staff overrides into :class:`WorkCalendar`.

Sources, strongest first:

1. **Overrides** kept by staff (``date -> True`` = working day, ``False`` = day off). They win
   over everything else, so staff can enter a year the package lacks, or correct the package.
2. **chinesecalendar** (import name ``chinese_calendar``): the State Council's holidays and
   make-up working days (调休) for the years it ships (:func:`package_years`; 2004-2026 in
   chinesecalendar 1.11.0).
3. **Monday to Friday** for any other year. Such a year is *uncovered*
   (:meth:`WorkCalendar.is_year_covered` is False) until staff list it in ``covered_years``
   after entering its schedule, so the staff dashboard can warn that deadlines in it ignore
   public holidays.

Time rules (all documented on the methods):

* Datetimes must be timezone-aware. They are converted to Asia/Shanghai (``SHANGHAI``) and
  results are returned in Asia/Shanghai; the local calendar day decides which day a moment is on.
* A deadline of N working days is the **end of the N-th working day after the day of
  submission**, whatever the hour of submission: ``23:59:59.999999`` Asia/Shanghai of that day.
  Compare with ``now <= deadline``.
* Working hours are **calendar hours that fall on working days**: a working day counts 24 h,
  a day off counts 0 h, regardless of office hours.

A :class:`WorkCalendar` is immutable once built (it copies its overrides); build a new one when
the overrides change. Per-year tables are computed once and cached, so bulk use does no
repeated package lookups and no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "SHANGHAI",
    "WorkCalendar",
    "default_calendar",
    "end_of_day",
    "package_years",
    "shanghai_date",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)
_HOURS_PER_WORKING_DAY = 24.0


@functools.cache
def package_years() -> frozenset[int]:
    """Return the years for which the installed chinesecalendar has the official schedule.

    Read from the package's own holiday table (the same range it validates against before
    raising ``NotImplementedError``), so a newer package release is picked up automatically.
    """
    years = {d.year for d in chinese_calendar.holidays}
    if not years:
        return frozenset()
    # The package accepts every year between its first and last holiday; mirror that range.
    return frozenset(range(min(years), max(years) + 1))


@functools.lru_cache(maxsize=128)
def _package_year_flags(year: int) -> bytes | None:
    """Working-day flags (one byte per day from 1 January) from the package, or None if absent."""
    if year not in package_years():
        return None
    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days if year < 9999 else 365
    try:
        return bytes(chinese_calendar.is_workday(start + timedelta(days=i)) for i in range(days))
    except NotImplementedError:  # defensive: package range narrower than its table suggests
        return None


def _weekday_flags(year: int) -> bytes:
    """Monday-to-Friday flags for ``year`` (the fallback for years the package lacks)."""
    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days if year < 9999 else 365
    return bytes((start + timedelta(days=i)).weekday() < 5 for i in range(days))


@dataclass(frozen=True, slots=True)
class _YearTable:
    """Flags for one year plus prefix sums: ``prefix[i]`` = working days among the first i days."""

    flags: bytes
    prefix: tuple[int, ...]

    @property
    def total(self) -> int:
        return self.prefix[-1]


def _to_shanghai(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {moment.isoformat()})")
    return moment.astimezone(SHANGHAI)


def shanghai_date(value: date | datetime) -> date:
    """The Asia/Shanghai calendar day of ``value``.

    A ``date`` is returned as is. An aware ``datetime`` is converted to Asia/Shanghai first, so
    2026-12-31 16:30 UTC is 2027-01-01 (taking its ``.date()`` would say 2026-12-31). A naive
    ``datetime`` is read as Shanghai wall-clock time and reduced to its date field.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(SHANGHAI)
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or datetime, not {type(value).__name__}")


def _start_of_day(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=SHANGHAI)


def end_of_day(d: date) -> datetime:
    """Return the last instant of ``d`` in Asia/Shanghai (``23:59:59.999999``), i.e. a deadline."""
    return datetime.combine(d, time.max, tzinfo=SHANGHAI)


class WorkCalendar:
    """Working-day calendar: staff overrides, then chinesecalendar, then Monday to Friday.

    ``overrides`` maps a date to True (working day, e.g. a make-up Saturday) or False (day off);
    they win over the package. ``covered_years`` lists years whose full State Council schedule
    staff have entered, so they count as covered even though the package lacks them.
    """

    __slots__ = ("_covered_years", "_overrides", "_years")

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        covered_years: Iterable[int] | None = None,
    ) -> None:
        """Build a calendar; ``overrides`` and ``covered_years`` are copied (later edits ignored)."""
        normalised: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            normalised[shanghai_date(day)] = bool(working)
        self._overrides: Mapping[date, bool] = normalised
        self._covered_years: frozenset[int] = frozenset(int(y) for y in (covered_years or ()))
        self._years: dict[int, _YearTable] = {}

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(overrides={len(self._overrides)} dates, "
            f"covered_years={sorted(self._covered_years)})"
        )

    # ------------------------------------------------------------------ per-year tables

    def _table(self, year: int) -> _YearTable:
        table = self._years.get(year)
        if table is None:
            base = _package_year_flags(year)
            flags = bytearray(base if base is not None else _weekday_flags(year))
            jan1 = date(year, 1, 1)
            for day, working in self._overrides.items():
                if day.year == year:
                    flags[(day - jan1).days] = working
            prefix = [0]
            for flag in flags:
                prefix.append(prefix[-1] + flag)
            table = _YearTable(bytes(flags), tuple(prefix))
            self._years[year] = table
        return table

    def _count_inclusive(self, first: date, last: date) -> int:
        """Working days d with ``first <= d <= last`` (0 if ``first > last``)."""
        if first > last:
            return 0
        if first.year == last.year:
            table = self._table(first.year)
            return (
                table.prefix[last.timetuple().tm_yday] - table.prefix[first.timetuple().tm_yday - 1]
            )
        head = self._table(first.year)
        total = head.total - head.prefix[first.timetuple().tm_yday - 1]
        for year in range(first.year + 1, last.year):
            total += self._table(year).total
        return total + self._table(last.year).prefix[last.timetuple().tm_yday]

    # ------------------------------------------------------------------ public API

    def is_working_day(self, d: date) -> bool:
        """Return True if ``d`` is a working day (a datetime counts by its Shanghai day)."""
        d = shanghai_date(d)
        return bool(self._table(d.year).flags[d.timetuple().tm_yday - 1])

    def is_year_covered(self, year: int) -> bool:
        """Return True if the official schedule of ``year`` is known (package or staff-entered).

        An uncovered year still works, on the Monday-to-Friday rule plus any overrides already
        entered, but its public holidays are missing: callers should warn.
        """
        return year in package_years() or year in self._covered_years

    def uncovered_years(self, start: date, end: date) -> list[int]:
        """Return the sorted years touched by ``start..end`` (inclusive, either order) not covered.

        Datetimes count by their Shanghai day (see :func:`shanghai_date`).
        """
        low, high = sorted((shanghai_date(start).year, shanghai_date(end).year))
        return [y for y in range(low, high + 1) if not self.is_year_covered(y)]

    def next_working_day(self, d: date) -> date:
        """Return the first working day strictly after ``d`` (a datetime: its Shanghai day)."""
        d = shanghai_date(d) + _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the deadline ``days`` working days after the moment ``start``.

        The deadline is the end (``23:59:59.999999`` Asia/Shanghai) of the ``days``-th working
        day after the local day of ``start``, whatever the hour: a need submitted on
        2026-09-30 at 15:00 with 1 working day is due 2026-10-08 23:59:59.999999 (National Day
        in between). The day of submission never counts, even if it is a working day, and a
        submission on a day off runs from the next working day like any other.
        ``days == 0`` means the end of the submission day if it is a working day, otherwise the
        end of the next working day.

        ``start`` must be timezone-aware (converted to Asia/Shanghai); the result is in
        Asia/Shanghai. Raises ``ValueError`` for a naive ``start`` or negative ``days``.
        """
        local = _to_shanghai(start, "start")
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = local.date()
        if days == 0:
            if not self.is_working_day(day):
                day = self.next_working_day(day)
            return end_of_day(day)
        for _ in range(days):
            day = self.next_working_day(day)
        return end_of_day(day)

    def working_days_between(self, start: date, end: date) -> int:
        """Return the number of working days d with ``start < d <= end``.

        This is the inverse of :meth:`add_working_days`: for ``n >= 1``,
        ``working_days_between(s.date(), add_working_days(s, n).date()) == n``.
        If ``end < start`` the result is negative (``-working_days_between(end, start)``), which
        reads naturally as "working days overdue". Datetimes count by their Shanghai day
        (see :func:`shanghai_date`).
        """
        start, end = shanghai_date(start), shanghai_date(end)
        if end < start:
            return -self.working_days_between(end, start)
        return self._count_inclusive(start + _ONE_DAY, end)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Return the hours of ``[start, end)`` that fall on working days.

        Calendar hours, not office hours: each working day (Asia/Shanghai, midnight to midnight)
        contributes up to 24 h, days off contribute nothing. Used for "median working hours to
        acceptance" and "working hours left" (``working_hours_between(now, deadline)``; a
        deadline at ``23:59:59.999999`` leaves a microsecond short of whole hours).
        Negative if ``end < start``. Both moments must be timezone-aware.
        """
        s = _to_shanghai(start, "start")
        e = _to_shanghai(end, "end")
        if e < s:
            return -self.working_hours_between(e, s)
        first, last = s.date(), e.date()
        if first == last:
            worked = _elapsed(s, e) if self.is_working_day(first) else timedelta(0)
            return worked.total_seconds() / 3600
        worked = timedelta(0)
        if self.is_working_day(first):
            worked += _elapsed(s, _start_of_day(first + _ONE_DAY))
        if self.is_working_day(last):
            worked += _elapsed(_start_of_day(last), e)
        full_days = self._count_inclusive(first + _ONE_DAY, last - _ONE_DAY)
        return worked.total_seconds() / 3600 + full_days * _HOURS_PER_WORKING_DAY


def _elapsed(a: datetime, b: datetime) -> timedelta:
    """Real elapsed time from ``a`` to ``b`` (via UTC, so it is right even across offset changes)."""
    return b.astimezone(UTC) - a.astimezone(UTC)


@functools.cache
def default_calendar() -> WorkCalendar:
    """Return a shared calendar with no staff overrides (package data plus Monday to Friday)."""
    return WorkCalendar()
