"""The case list pages without counting the whole list: one row more than the page says whether
a next page exists; the rows and their order are those of the plain paginator."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from needs.models import FinancingNeed
from needs.paging import page_number, peek_page
from tests.factories import FinancingNeedFactory

pytestmark = pytest.mark.django_db


def test_page_number_is_forgiving():
    assert [page_number(v) for v in (None, "", "x", "0", "-3", "2", 5)] == [1, 1, 1, 1, 1, 2, 5]


@pytest.mark.parametrize("size", [1, 3, 7])
def test_peek_pages_equal_the_plain_paginator(world, size):
    for _ in range(7):
        FinancingNeedFactory(enterprise=world["firm"], submitted_by=world["member"])
    queryset = FinancingNeed.objects.order_by("-created_at", "-id")
    plain = Paginator(queryset, size)
    for number in plain.page_range:
        page = peek_page(queryset, str(number), size)
        expected = plain.page(number)
        assert [n.pk for n in page] == [n.pk for n in expected]
        assert page.has_next() == expected.has_next()
        assert page.has_previous() == expected.has_previous()
        assert page.paginator.count == 7 and page.paginator.num_pages == plain.num_pages


def test_the_officers_list_reads_no_count(world, client):
    extra = {"assigned_branch": world["branch"], "status": "accepted"}
    for _ in range(23):
        FinancingNeedFactory(enterprise=world["firm"], submitted_by=world["member"], **extra)
    FinancingNeedFactory(
        enterprise=world["firm"],
        submitted_by=world["member"],
        **{**extra, "assigned_branch": world["branch2"]},
    )
    client.force_login(world["officer"])
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/needs/")
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert len(first.context["page"]) == 20 and first.context["page"].has_next()
    assert "第 1 页" in first.content.decode() and "page=2" in first.content.decode()
    second = client.get("/needs/", {"page": "2"})
    rows = list(second.context["page"])
    # The officer's bank's 23 cases; the other bank's case is not among them.
    assert len(rows) == 3 and not second.context["page"].has_next()
    assert all(n.assigned_branch_id == world["branch"].pk for n in rows)
    assert client.get("/needs/", {"page": "abc"}).context["page"].number == 1
