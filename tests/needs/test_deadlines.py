"""Deadlines in Chinese working days (National Day 2026, a make-up Sunday, a year the package lacks)
and the reminders and escalations around them, each sent once."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from needs.deadlines import deadlines_sweep
from needs.models import Deadline, DeadlineAlert, ServiceLevel
from needs.selectors import decision_estimate
from notifications.models import Notification
from workdays.calendar import SHANGHAI
from workdays.models import ScheduleYear, WorkdayOverride
from workdays.selectors import uncovered_years_ahead, work_calendar

pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def submit_at(submit, monkeypatch):
    """Submit (and route) a need as if the clock read ``moment``."""

    def _submit(user, moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        need = submit(user)
        monkeypatch.undo()
        return need

    return _submit


def dues(need):
    return {d.kind: timezone.localtime(d.due_at).date() for d in Deadline.objects.filter(need=need)}


def test_national_day_2026_pushes_deadlines_past_the_holiday(world, submit_at):
    need = submit_at(world["member"], at(2026, 9, 30, 15, 0))
    got = dues(need)
    assert got["accept"] == date(2026, 10, 8)  # 1–7 October off
    assert got["contact"] == date(2026, 10, 9)
    # 8, 9, 10 (a make-up Saturday), 12, 13, 14, 15, 16, 19, 20 October
    assert got["decision"] == date(2026, 10, 20)
    assert not Deadline.objects.filter(need=need, calendar_estimated=True).exists()


def test_a_make_up_sunday_counts_as_a_working_day(world, submit_at):
    # Saturday 19 September 2026: Sunday the 20th is a make-up working day (调休).
    need = submit_at(world["member"], at(2026, 9, 19, 10, 0))
    assert dues(need)["accept"] == date(2026, 9, 20)


def test_district_sets_its_own_deadlines(world, submit_at, regions):
    ServiceLevel.objects.create(region=regions["daiyue"], accept_days=2, contact_days=3)
    need = submit_at(world["member"], at(2026, 11, 2, 9, 0))  # a Monday
    got = dues(need)
    assert (got["accept"], got["contact"]) == (date(2026, 11, 4), date(2026, 11, 5))


def test_submitted_2026_12_30_with_the_deadline_in_2027(world, submit_at):
    need = submit_at(world["member"], at(2026, 12, 30, 16, 0))
    got = dues(need)
    # 31 December is a working day; 2027 is unknown to chinesecalendar: Monday to Friday,
    # so 1 January 2027 (a Friday) counts until staff enter the schedule.
    assert got["accept"] == date(2026, 12, 31)
    assert got["contact"] == date(2027, 1, 1)
    assert Deadline.objects.get(need=need, kind="contact").calendar_estimated
    assert 2027 in uncovered_years_ahead(date(2026, 12, 30))
    # Staff enter the 2027 New Year holiday; new deadlines skip it and the warning goes.
    WorkdayOverride.objects.create(date=date(2027, 1, 1), is_working_day=False, note="元旦")
    ScheduleYear.objects.create(year=2027, notice="国办发明电〔2026〕X号")
    need = submit_at(world["member"], at(2026, 12, 30, 16, 0))
    got = dues(need)
    assert got["contact"] == date(2027, 1, 4)
    assert not Deadline.objects.filter(need=need, calendar_estimated=True).exists()
    assert uncovered_years_ahead(date(2026, 12, 30)) == []


def test_staff_dashboard_warns_about_an_uncovered_year(personas, client):
    client.force_login(personas["staff"])
    page = client.get("/needs/").content.decode()
    calendar = work_calendar()
    this_year = timezone.localdate().year
    missing = [y for y in (this_year, this_year + 1) if not calendar.is_year_covered(y)]
    home = client.get("/home/").content.decode()
    if missing:
        assert "尚未录入" in page and str(missing[0]) in page
        assert "尚未录入" in home
    else:
        assert "尚未录入" not in page and "尚未录入" not in home


def test_reminder_then_manager_then_district_each_once(world, submit_at):
    need = submit_at(world["member"], at(2026, 11, 2, 9, 0))  # Monday; accept due Tue 3rd
    accept = Deadline.objects.get(need=need, kind="accept")
    assert timezone.localtime(accept.due_at).date() == date(2026, 11, 3)
    # Monday afternoon: more than a working day left, nothing yet.
    assert deadlines_sweep(now=at(2026, 11, 2, 15, 0)) == 0
    # Tuesday morning: the officer is reminded, once.
    assert deadlines_sweep(now=at(2026, 11, 3, 9, 0)) >= 1
    assert deadlines_sweep(now=at(2026, 11, 3, 10, 0)) == 0
    reminders = Notification.objects.filter(user=world["officer"], kind="need_deadline_reminder")
    assert reminders.count() == 1 and "接单" in reminders.get().title
    # Wednesday: past due, the branch manager is told, once.
    deadlines_sweep(now=at(2026, 11, 4, 9, 0))
    deadlines_sweep(now=at(2026, 11, 4, 11, 0))
    manager = Notification.objects.filter(user=world["manager"], kind="need_deadline_manager")
    assert manager.count() == 1
    assert not Notification.objects.filter(kind="need_deadline_district").exists()
    # Thursday: one working day after the deadline, district staff, once.
    deadlines_sweep(now=at(2026, 11, 5, 9, 0))
    deadlines_sweep(now=at(2026, 11, 6, 9, 0))
    district = Notification.objects.filter(user=world["staff"], kind="need_deadline_district")
    assert district.filter(title__contains="接单").count() == 1
    assert not Notification.objects.filter(user=world["other_staff"]).exists()
    assert DeadlineAlert.objects.filter(deadline=accept).count() == 3  # reminder, manager, district


def test_met_deadlines_stay_quiet(world, submit_at, run_commit):
    from needs.services import financing_need_accept

    need = submit_at(world["member"], at(2026, 11, 2, 9, 0))
    run_commit(financing_need_accept, need=need, actor=world["officer"])
    deadlines_sweep(now=at(2026, 11, 4, 9, 0))
    assert not Notification.objects.filter(
        kind__startswith="need_deadline", title__contains="接单"
    ).exists()


def test_estimate_uses_the_districts_history(world, submit, submit_at):
    need = submit(world["member"])
    estimate = decision_estimate(need)
    assert (estimate.working_days, estimate.from_history) == (11, False)  # 1 + 10 by default
    for days in (2, 4, 9):
        decided = submit_at(world["member"], at(2026, 11, 2, 9, 0))
        decided.decided_at = at(2026, 11, 2, 9, 0) + timedelta(days=days)
        decided.save(update_fields=["decided_at"])
    estimate = decision_estimate(need)
    # Mon 2 Nov + 2 days = Wed (2 wd), + 4 = Fri (4 wd), + 9 = Wed 11th (7 wd): median 4
    assert (estimate.working_days, estimate.sample_size) == (4, 3)


def test_estimated_flag_reads_the_year_in_shanghai_not_the_active_zone(world, submit_at):
    """2028-01-01 00:30 Shanghai is 2027-12-31 16:30 UTC. With 2028 entered and 2027 not, the
    deadlines run only through 2028 and are not estimated, even with UTC active."""
    ScheduleYear.objects.create(year=2028, notice="国办发明电〔2027〕X号")
    with timezone.override("UTC"):
        need = submit_at(world["member"], at(2028, 1, 1, 0, 30))
    assert dues(need)["accept"] == date(2028, 1, 3)  # Saturday 1st: due Monday 3rd
    assert not Deadline.objects.filter(need=need, calendar_estimated=True).exists()


def test_dashboard_warning_counts_from_the_shanghai_year(personas, client, monkeypatch):
    """At 2027-01-01 00:30 Shanghai (still 2026 in UTC) the warning names 2027 and 2028."""
    monkeypatch.setattr(timezone, "now", lambda: at(2027, 1, 1, 0, 30))
    client.force_login(personas["staff"])
    with timezone.override("UTC"):
        home = client.get("/home/").content.decode()
    assert "2027、2028 年的国务院节假日安排尚未录入" in home
    assert "/calendar/?year=2027" in home
