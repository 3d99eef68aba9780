"""The catalogue's paginator: the total read with the page gives what Django's Paginator gives."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from banks.selectors import product_search
from catalogue.cache import catalogue_cached
from catalogue.paging import SearchPaginator
from policies.selectors import policy_search
from policies.services import policy_update
from tests.factories import LoanProductFactory, PolicyFactory


@pytest.fixture
def catalogue(regions):
    for n in range(23):
        PolicyFactory(
            title=f"贴息政策{n}",
            summary="贷款贴息" * (n % 4 + 1),
            region=regions["daiyue"],
            valid_from=date(2024, 1, 1 + n % 5) if n % 3 else None,
        )
    PolicyFactory(title="上市奖励", summary="上市", region=regions["daiyue"])
    for n in range(7):
        LoanProductFactory(name=f"信用贷{n}", description="信用贷款" * (n % 3 + 1))


def _pages(paginator_class, queryset, size: int) -> list[tuple[int, int, list[int]]]:
    paginator = paginator_class(queryset, size)
    out = []
    for number in range(1, 6):
        page = paginator_class(queryset, size).get_page(number)
        out.append((page.number, page.paginator.count, [row.pk for row in page]))
    out.append((paginator.num_pages, paginator.count, []))
    return out


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        "search=贴息",
        "search=贴息&sort=title",
        "sort=expiring",
        "",
        "search=不存在的词",
        "search=上市",
    ],
)
@pytest.mark.parametrize("size", [1, 5, 20, 100])
def test_policy_pages_equal_the_plain_paginator(catalogue, params, size):
    queryset = policy_search(QueryDict(params)).qs
    assert _pages(SearchPaginator, queryset, size) == _pages(Paginator, queryset, size)


@pytest.mark.django_db
@pytest.mark.parametrize("params", ["search=信用", "sort=amount", ""])
def test_product_pages_equal_the_plain_paginator(catalogue, params):
    queryset = product_search(QueryDict(params)).qs
    assert _pages(SearchPaginator, queryset, 3) == _pages(Paginator, queryset, 3)


@pytest.mark.django_db
def test_bad_page_numbers_behave_as_django(catalogue):
    queryset = policy_search(QueryDict("search=贴息")).qs
    paginator = SearchPaginator(queryset, 10)
    with pytest.raises(PageNotAnInteger):
        paginator.page("x")
    with pytest.raises(EmptyPage):
        SearchPaginator(queryset, 10).page(9)
    with pytest.raises(EmptyPage):
        SearchPaginator(queryset, 10).page(0)
    assert SearchPaginator(queryset, 10).get_page("x").number == 1
    assert SearchPaginator(queryset, 10).get_page(99).number == 3
    assert SearchPaginator(queryset, 10).get_page(None).number == 1
    assert SearchPaginator(queryset, 10).page("2").number == 2


@pytest.mark.django_db
def test_a_search_page_runs_one_scan_not_a_count_and_a_page(catalogue):
    queryset = policy_search(QueryDict("search=贴息")).qs
    with CaptureQueriesContext(connection) as ctx:
        page = SearchPaginator(queryset, 5).get_page(2)
        assert page.paginator.count == 23 and len(list(page)) == 5
    assert len(ctx) == 2
    assert not any("COUNT(*) AS" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.django_db
def test_api_answer_is_unchanged(catalogue, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    api = APIClient()
    body = api.get("/api/v1/policies/", {"search": "贴息", "page_size": 10, "page": 2}).json()
    assert body["count"] == 23 and len(body["results"]) == 10
    assert "page=3" in body["next"] and "page_size=10" in body["next"]
    assert body["previous"] is not None
    last = api.get("/api/v1/policies/", {"search": "贴息", "page_size": 10, "page": 3}).json()
    assert len(last["results"]) == 3 and last["next"] is None
    assert api.get("/api/v1/policies/", {"search": "贴息", "page": 9}).status_code == 404
    empty = api.get("/api/v1/policies/", {"search": "不存在的词"}).json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.django_db
def test_catalogue_cached_data_follows_catalogue_changes(regions, settings):
    settings.CATALOGUE_CACHE_SECONDS = 300
    policy = PolicyFactory(title="甲", region=regions["daiyue"])
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert catalogue_cached("test-data", compute) == 1
    assert catalogue_cached("test-data", compute) == 1
    policy_update(policy=policy, data={"title": "乙"})
    assert catalogue_cached("test-data", compute) == 2
    settings.CATALOGUE_CACHE_SECONDS = 0
    assert catalogue_cached("test-data", compute) == 3


@pytest.mark.django_db
def test_bank_filter_choices_follow_a_new_bank(client, regions, settings):
    settings.CATALOGUE_CACHE_SECONDS = 300
    LoanProductFactory(name="甲贷", bank__name="甲银行")
    assert "甲银行" in client.get("/products/").content.decode()
    LoanProductFactory(name="乙贷", bank__name="乙银行")
    body = client.get("/products/", {"sort": "bank"}).content.decode()
    assert "乙银行" in body and "甲银行" in body
