"""The response-hours roll-up (TurnHours) and the short cache of the dashboards' numbers.

The roll-up stores each bank turn's working hours to acceptance and to first contact; the
dashboards read it, count afresh any turn it has not caught up with, and so always show the
numbers counted from the cases. The cache keeps a scope's numbers for a minute.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.models import TurnHours
from dashboards.selectors import Filters, dashboard_data, stale_turns
from dashboards.services import turn_hours_refresh
from dashboards.tasks import turn_hours_rollup
from needs.models import Assignment, Deadline
from tests.dashboards.conftest import PERIOD
from tests.dashboards.test_numbers import direct
from tests.dashboards.test_scoping_and_queries import _more_cases

pytestmark = pytest.mark.django_db

HOUR_KEYS = ("median_accept_hours", "median_contact_hours")


def _current_turn(need) -> Assignment:
    """The turn of the bank holding the case (closed cases' turns are no longer "open")."""
    return Assignment.objects.exclude(outcome=Assignment.Outcome.DECLINED).get(need=need)


def test_rollup_stores_each_turns_working_hours(cases):
    written = turn_hours_refresh()
    # One row per turn with a met accept or contact deadline: the four current turns (the
    # declined turn of the rerouted case was never accepted).
    assert written == TurnHours.objects.count() == 4
    hours = TurnHours.objects.get(assignment=_current_turn(cases["rerouted"]))
    assert (hours.accept_hours, hours.contact_hours) == (30.0, 33.0)
    hours = TurnHours.objects.get(assignment=_current_turn(cases["open"]))
    assert (hours.accept_hours, hours.contact_hours) == (2.0, 6.0)
    assert stale_turns() == []


def test_a_second_run_writes_nothing(cases):
    assert turn_hours_rollup() == 4
    before = list(TurnHours.objects.order_by("pk").values())
    assert turn_hours_rollup() == 0
    assert list(TurnHours.objects.order_by("pk").values()) == before


def test_numbers_are_the_same_with_and_without_the_rollup(cases):
    filters = Filters.from_params(PERIOD)
    counted = dashboard_data(cases["staff"], filters)
    turn_hours_refresh()
    rolled = dashboard_data(cases["staff"], filters)
    assert rolled == counted
    expected = direct(cases["daiyue_cases"])
    for key in HOUR_KEYS:
        assert rolled["totals"][key] == expected[key]


def test_medians_from_the_database_equal_those_from_the_samples(cases):
    """PostgreSQL takes the medians from the roll-up in one grouped query when it is current;
    elsewhere (and while a turn is stale) they are counted from the samples. Same numbers."""
    from dashboards.selectors import (
        _medians_in_database,
        _met_deadlines,
        median_hours,
        response_medians,
        response_samples,
    )
    from workdays.selectors import work_calendar

    filters = Filters.from_params(PERIOD)
    calendar = work_calendar()
    staff = cases["staff"]
    if connection.vendor == "postgresql":
        assert _medians_in_database(_met_deadlines(staff, filters)) is None  # not rolled up
    turn_hours_refresh()
    samples = response_samples(staff, filters, calendar)
    counted = {
        kind: {key: median_hours(values) for key, values in groups.items()}
        for kind, groups in samples.items()
    }
    assert response_medians(staff, filters, calendar) == counted
    assert counted["accept"][("all", None)] == 4.0
    assert counted["contact"][("month", "2026-11")] == 9.0  # 6, 7, 11, 33 working hours
    if connection.vendor == "postgresql":
        assert _medians_in_database(_met_deadlines(staff, filters)) == counted


def test_the_dashboard_reads_the_rolled_up_hours(cases):
    """While the stored moments match, the stored figure is what counts (no recount)."""
    turn_hours_refresh()
    turn = _current_turn(cases["disbursed"])  # 1 working hour to acceptance
    TurnHours.objects.filter(assignment=turn).update(accept_hours=3.0)
    totals = dashboard_data(cases["staff"], Filters.from_params(PERIOD))["totals"]
    assert totals["median_accept_hours"] == 4.5  # median of 2, 3, 6, 30


def test_a_changed_case_is_counted_afresh_then_rolled_up(cases):
    turn_hours_refresh()
    need = cases["disbursed"]
    turn = _current_turn(need)
    accept = Deadline.objects.get(assignment=turn, kind=Deadline.Kind.ACCEPT)
    # The bank's acceptance is corrected to 20 working hours after the turn began (the needs
    # services write met_at in bulk, no signal fires).
    Deadline.objects.filter(pk=accept.pk).update(met_at=turn.created_at + timedelta(hours=20))
    from needs.models import FinancingNeed

    FinancingNeed.objects.filter(pk=need.pk).update(
        accepted_at=turn.created_at + timedelta(hours=20)
    )
    assert [row["assignment_id"] for row in stale_turns()] == [turn.pk]
    totals = dashboard_data(cases["staff"], Filters.from_params(PERIOD))["totals"]
    expected = direct(cases["daiyue_cases"])
    assert totals["median_accept_hours"] == expected["median_accept_hours"] == 13.0  # 2 6 20 30
    # The periodic roll-up catches up: only that turn is rewritten.
    assert turn_hours_rollup() == 1
    assert TurnHours.objects.get(assignment=turn).accept_hours == 20.0
    assert stale_turns() == []
    assert dashboard_data(cases["staff"], Filters.from_params(PERIOD))["totals"] == totals


def test_a_rerouted_turn_is_rolled_up_under_its_own_bank(cases):
    turn_hours_refresh()
    need = cases["rerouted"]
    declined = Assignment.objects.get(need=need, outcome=Assignment.Outcome.DECLINED)
    assert not TurnHours.objects.filter(assignment=declined).exists()
    by_bank = {
        row["key"]: row
        for row in dashboard_data(cases["staff"], Filters.from_params(PERIOD))["by_bank"]
    }
    bank = _current_turn(need).branch.bank_id
    assert by_bank[bank]["median_accept_hours"] is not None


def test_the_rollup_is_in_the_beat_schedule():
    from portal.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "dashboards.turn_hours_rollup" in tasks


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def _queries(client, url, params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


def test_cached_numbers_are_the_counted_ones_and_keep_a_constant_query_count(
    cases, client, cached, django_assert_num_queries
):
    client.force_login(cases["staff"])
    expected = dashboard_data(cases["staff"], Filters.from_params(PERIOD))
    counted, first = _queries(client, "/api/v1/stats/summary/", PERIOD)
    hit, second = _queries(client, "/api/v1/stats/summary/", PERIOD)
    assert hit < counted
    assert first.json()["totals"] == second.json()["totals"] == expected["totals"]
    assert second.json()["counted_at"]
    page = client.get("/dashboards/district/", PERIOD)
    assert page.context["data"]["totals"] == expected["totals"]
    assert "统计于" in page.content.decode()
    # Within the minute, more cases change neither the answer nor the number of queries.
    _more_cases(cases, 20)
    with django_assert_num_queries(hit):
        again = client.get("/api/v1/stats/summary/", PERIOD)
    assert again.json()["totals"] == expected["totals"]
    # Once the minute is over, the numbers are counted again.
    cache.clear()
    fresh = client.get("/api/v1/stats/summary/", PERIOD).json()["totals"]
    assert fresh["count"] == expected["totals"]["count"] + 20


def test_the_cache_is_kept_per_scope_and_filters(cases, client, cached):
    client.force_login(cases["staff"])
    daiyue = client.get("/api/v1/stats/summary/", PERIOD).json()["totals"]
    assert daiyue["count"] == 4
    # Another region's staff never get 岱岳's cached numbers.
    client.force_login(cases["other_staff"])
    other = client.get("/api/v1/stats/summary/", PERIOD).json()["totals"]
    assert other["count"] == 1 and other["asked_yuan"] == 9_000_000
    # Other filters are other numbers.
    client.force_login(cases["staff"])
    october = client.get(
        "/api/v1/stats/summary/", {"start": "2026-10-01", "end": "2026-10-31"}
    ).json()
    assert october["totals"]["count"] == 0
    # A bank officer's cached view is their own.
    client.force_login(cases["officer"])
    mine = client.get("/api/v1/stats/summary/", PERIOD).json()["totals"]
    assert mine["count"] < daiyue["count"]


def test_the_cache_does_not_open_the_dashboard_to_others(cases, client, cached):
    client.force_login(cases["staff"])
    assert client.get("/api/v1/stats/summary/", PERIOD).status_code == 200
    client.force_login(cases["member"])
    assert client.get("/api/v1/stats/summary/", PERIOD).status_code == 404


def test_an_officers_month_figures_are_kept_the_queue_is_not(cases, client, cached):
    client.force_login(cases["officer"])
    counted, first = _queries(client, "/dashboards/workbench/", {})
    hit, second = _queries(client, "/dashboards/workbench/", {})
    assert hit < counted
    assert second.context["figures"] == first.context["figures"]
    # The queue itself is read on every request.
    _more_cases(cases, 3)
    third = client.get("/dashboards/workbench/")
    # (The page reads its rows only; a total would be counted on access, so compare rows.)
    assert len(third.context["page"]) == len(first.context["page"]) + 3
