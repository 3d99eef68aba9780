"""Who sees what (outsiders get 404, never another region's numbers) and a constant number of
queries on every page and endpoint whatever the number of cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.selectors import Filters, dashboard_data
from needs.models import Assignment, Deadline, FinancingNeed
from tests.dashboards.conftest import MONDAY, PERIOD
from tests.factories import EnterpriseFactory, FinancingNeedFactory

pytestmark = pytest.mark.django_db

PAGES = ["/dashboards/district/", "/dashboards/assessment/"]
ENDPOINTS = [
    "/api/v1/stats/summary/",
    "/api/v1/stats/by/bank/",
    "/api/v1/stats/by/chain/",
    "/api/v1/stats/by/month/",
    "/api/v1/stats/by/size/",
    "/api/v1/stats/declines/",
    "/api/v1/stats/overdue/",
    "/api/v1/stats/applications/",
    "/api/v1/stats/catalogue/",
    "/api/v1/stats/assessment/",
]


def test_other_regions_staff_sees_nothing_of_daiyue(cases, client):
    other = cases["other_staff"]  # 青岛市: sees its own 黄岛 case, none of 岱岳's
    data = dashboard_data(other, Filters.from_params(PERIOD))
    assert data["totals"]["count"] == 1 and data["totals"]["asked_yuan"] == 9_000_000
    assert data["declines"] == [] and data["overdue"] == []
    client.force_login(other)
    assert client.get("/api/v1/stats/summary/", PERIOD).json()["totals"] == data["totals"]
    # Asking for 岱岳 by name is 404, on the page and in the API.
    assert client.get("/dashboards/district/", {"region": "370911"}).status_code == 404
    assert client.get("/api/v1/stats/summary/", {"region": "370911"}).status_code == 404
    assert client.get("/api/v1/stats/assessment/", {"region": "370911"}).status_code == 404


def test_daiyue_staff_does_not_count_huangdao(cases, client):
    client.force_login(cases["staff"])
    body = client.get("/api/v1/stats/summary/", PERIOD).json()
    assert body["totals"]["count"] == 4  # the 黄岛 case is not among them
    # The city's staff see 岱岳 within 泰安, and may narrow to it.
    client.force_login(cases["city_staff"])
    city = client.get("/api/v1/stats/summary/", {**PERIOD, "region": "370911"}).json()
    assert city["totals"] == body["totals"]


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_firms_get_404_everywhere(cases, client, who):
    client.force_login(cases[who])
    for url in [*PAGES, "/dashboards/", "/dashboards/workbench/", "/dashboards/branch/"]:
        assert client.get(url).status_code == 404, url
    for url in [*ENDPOINTS, "/api/v1/stats/"]:
        assert client.get(url).status_code == 404, url


def test_bank_users_see_their_own_cases_not_the_district_sections(cases, client):
    officer = cases["officer"]
    client.force_login(officer)
    body = client.get("/api/v1/stats/summary/", PERIOD).json()
    mine = FinancingNeed.objects.filter(assigned_officer=officer).count()
    assert body["totals"]["count"] == mine
    for url in ("/api/v1/stats/applications/", "/api/v1/stats/catalogue/", PAGES[1]):
        assert client.get(url).status_code == 404
    assert client.get("/api/v1/stats/", {}).status_code == 200


def test_anonymous_is_sent_to_login(client, db):
    assert client.get("/dashboards/district/").status_code == 302
    assert client.get("/api/v1/stats/summary/").status_code in (401, 403)


def _more_cases(cases, n: int) -> None:
    """``n`` more 岱岳 cases, with bank turns, deadlines (some overdue) and decisions."""
    branch = cases["branch"]
    firm = cases["firm"]
    for i in range(n):
        firm_i = firm if i % 2 else EnterpriseFactory(region=firm.region)
        need = FinancingNeedFactory(
            enterprise=firm_i,
            submitted_by=cases["member"],
            status="approved" if i % 3 == 0 else "accepted",
            assigned_branch=branch,
            assigned_officer=cases["officer"],
            amount_yuan=1_000_000 + i,
            approved_amount_yuan=500_000 if i % 3 == 0 else None,
        )
        start = MONDAY + timedelta(hours=i)
        FinancingNeed.objects.filter(pk=need.pk).update(created_at=start, assigned_at=start)
        turn = Assignment.objects.create(need=need, rule="lead_bank", reason="测试", branch=branch)
        Assignment.objects.filter(pk=turn.pk).update(created_at=start)
        Deadline.objects.create(
            need=need,
            assignment=turn,
            kind=Deadline.Kind.ACCEPT,
            due_at=start + timedelta(days=1),
            met_at=start + timedelta(hours=3),
        )
        Deadline.objects.create(
            need=need,
            assignment=turn,
            kind=Deadline.Kind.DECISION,
            due_at=start + timedelta(days=2),
        )


def _count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.parametrize("who", ["staff", "officer", "manager"])
def test_query_counts_do_not_grow_with_the_cases(cases, client, who, django_assert_num_queries):
    user = cases[who]
    client.force_login(user)
    if who == "staff":
        urls = [*PAGES, *ENDPOINTS]
    elif who == "manager":
        urls = ["/dashboards/workbench/", "/dashboards/branch/", "/dashboards/district/"]
    else:
        urls = ["/dashboards/workbench/", "/dashboards/district/", "/api/v1/stats/summary/"]
    params = {**PERIOD, "month": "2026-11"}
    before = {url: _count(client, url, params) for url in urls}
    _more_cases(cases, 30)
    for url in urls:
        with django_assert_num_queries(before[url]):
            assert client.get(url, params).status_code == 200


def test_a_malformed_region_code_is_no_filter(cases, client):
    """Found by the API fuzz test: a NUL byte in ``region`` made PostgreSQL refuse the query."""
    assert Filters.from_params({"region": "37\x000911"}).region == ""
    assert Filters.from_params({"region": "岱岳区"}).region == ""
    assert Filters.from_params({"region": " 370911 "}).region == "370911"
    client.force_login(cases["staff"])
    for url in ("/api/v1/stats/applications/", "/api/v1/stats/summary/"):
        assert client.get(url, {"region": "37\x000911"}).status_code == 200
