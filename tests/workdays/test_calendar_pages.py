"""Staff keep the calendar in the staff UI: a year's State Council schedule (2027, which
chinesecalendar lacks) and single overrides; bad input changes nothing; others get 404."""

from datetime import date

import pytest

from workdays.forms import parse_schedule
from workdays.models import ScheduleYear, WorkdayOverride
from workdays.selectors import uncovered_years_ahead, work_calendar

pytestmark = pytest.mark.django_db

SCHEDULE_2027 = """
2027-01-01 休 元旦
2027-02-06~2027-02-12 休 春节
2027-02-14 班 春节调休
2027-10-01～2027-10-07 休 国庆节
2027-09-26 班 国庆节调休
"""


def post_schedule(client, text=SCHEDULE_2027, year=2027, notice="国办发明电〔2026〕X号"):
    return client.post(
        "/calendar/schedule/",
        {"schedule-year": year, "schedule-notice": notice, "schedule-entries": text},
    )


def test_staff_enter_2027_and_deadlines_and_warning_follow(personas, client):
    client.force_login(personas["staff"])
    assert 2027 in uncovered_years_ahead(date(2026, 12, 30))
    response = post_schedule(client)
    assert response.status_code == 302 and response.url == "/calendar/?year=2027"
    schedule = ScheduleYear.objects.get(year=2027)
    assert (schedule.notice, schedule.entered_by) == ("国办发明电〔2026〕X号", personas["staff"])
    assert WorkdayOverride.objects.filter(date__year=2027).count() == 1 + 7 + 1 + 7 + 1
    calendar = work_calendar()
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 2, 14))  # a make-up Sunday
    assert calendar.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)
    assert uncovered_years_ahead(date(2026, 12, 30)) == []
    page = client.get("/calendar/?year=2027").content.decode()
    assert "已人工录入" in page and "春节调休" in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-01-01 休 元旦\n2027-13-01 休 错", "第 2 行日期无效"),
        ("2027-01-01 元旦", "第 1 行格式不对"),
        ("2027-01-01 休 元旦\n2028-01-01 休 元旦", "2028-01-01 不在 2027 年内"),
        ("2027-01-01 休 元旦\n2027-01-01 班 调休", "同时被录入为放假和上班"),
        ("2027-02-14 班 春节调休", "请至少录入一天放假日期"),
        ("2027-10-07~2027-10-01 休 国庆节", "日期范围无效"),
    ],
)
def test_bad_schedules_say_why_and_save_nothing(personas, client, text, message):
    client.force_login(personas["staff"])
    response = post_schedule(client, text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WorkdayOverride.objects.exists() and not ScheduleYear.objects.exists()


def test_notice_is_required(personas, client):
    client.force_login(personas["staff"])
    response = post_schedule(client, notice="")
    assert response.status_code == 400
    assert not WorkdayOverride.objects.exists()


def test_parse_schedule_expands_ranges():
    entries = parse_schedule("2027-10-01~2027-10-03 休 国庆节\n\n2027-09-26 上班 调休")
    assert [(e.day.day, e.working, e.note) for e in entries] == [
        (1, False, "国庆节"),
        (2, False, "国庆节"),
        (3, False, "国庆节"),
        (26, True, "调休"),
    ]


def test_single_override_set_then_deleted(personas, client):
    client.force_login(personas["city_staff"])
    response = client.post(
        "/calendar/overrides/",
        {
            "override-date": "2026-11-23",
            "override-is_working_day": "0",
            "override-note": "临时停工",
        },
    )
    assert response.status_code == 302
    override = WorkdayOverride.objects.get(date=date(2026, 11, 23))
    assert (override.is_working_day, override.updated_by) == (False, personas["city_staff"])
    assert not work_calendar().is_working_day(date(2026, 11, 23))
    # The same date again updates the row instead of failing on the unique date.
    client.post(
        "/calendar/overrides/",
        {"override-date": "2026-11-23", "override-is_working_day": "1", "override-note": ""},
    )
    assert WorkdayOverride.objects.get(date=date(2026, 11, 23)).is_working_day
    assert client.post(f"/calendar/overrides/{override.pk}/delete/").status_code == 302
    assert not WorkdayOverride.objects.exists()
    bad = client.post("/calendar/overrides/", {"override-date": "不是日期"})
    assert bad.status_code == 400 and not WorkdayOverride.objects.exists()


@pytest.mark.parametrize("persona", ["member", "officer", "manager"])
def test_others_get_404(personas, client, persona):
    client.force_login(personas[persona])
    assert client.get("/calendar/").status_code == 404
    assert post_schedule(client).status_code == 404
    assert not ScheduleYear.objects.exists()


def test_calendar_page_runs_constant_queries(personas, client, django_assert_num_queries):
    client.force_login(personas["staff"])
    WorkdayOverride.objects.create(date=date(2027, 1, 1), is_working_day=False)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/calendar/?year=2027").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for day in range(2, 20):
        WorkdayOverride.objects.create(
            date=date(2027, 1, day), is_working_day=False, updated_by=personas["staff"]
        )
    with django_assert_num_queries(before):
        client.get("/calendar/?year=2027")
