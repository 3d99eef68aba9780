"""Loan products: /api/v1/products/ per the contract, the public pages, constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import BankFactory, LoanProductFactory

CONTRACT_FIELDS = {
    "id",
    "name",
    "bank",
    "min_amount_yuan",
    "max_amount_yuan",
    "max_term_months",
    "rate_text",
    "guarantee_methods",
    "conditions_text",
}


@pytest.mark.django_db
def test_contract_fields_and_unknown_figures_are_null(regions):
    bank = BankFactory(name="中国工商银行", short_name="工商银行")
    LoanProductFactory(name="国担快贷", bank=bank, max_amount_yuan=5_000_000, rate_text="3.75%")
    row = APIClient().get("/api/v1/products/").json()["results"][0]
    assert set(row) >= CONTRACT_FIELDS
    assert row["bank"] == "中国工商银行" and row["max_amount_yuan"] == 5_000_000
    assert row["min_amount_yuan"] is None and row["max_term_months"] is None


@pytest.mark.django_db
def test_filters_bank_guarantee_amount_region(regions):
    icbc = BankFactory(name="中国工商银行", short_name="工商银行")
    other = BankFactory(name="泰安银行")
    LoanProductFactory(
        name="信用快贷",
        bank=icbc,
        guarantee_methods=["credit"],
        max_amount_yuan=3_000_000,
        regions_served=[regions["city"]],
    )
    LoanProductFactory(
        name="抵押贷",
        bank=other,
        guarantee_methods=["mortgage", "guarantee"],
        min_amount_yuan=1_000_000,
        max_amount_yuan=50_000_000,
        regions_served=[regions["qingdao"]],
    )
    api = APIClient()

    def names(**params):
        return sorted(r["name"] for r in api.get("/api/v1/products/", params).json()["results"])

    assert names(bank="工商银行") == ["信用快贷"]
    assert names(bank="中国工商银行") == ["信用快贷"]
    assert names(bank=str(other.pk)) == ["抵押贷"]
    assert names(guarantee="guarantee") == ["抵押贷"]
    assert names(guarantee="credit") == ["信用快贷"]
    assert names(amount_wan="500") == ["抵押贷"]
    assert names(amount_wan="50") == ["信用快贷"]
    assert names(region_code="370911") == ["信用快贷"]
    assert names(search="抵押") == ["抵押贷"]


@pytest.mark.django_db
def test_pages_list_and_detail(client, regions):
    product = LoanProductFactory(
        name="科创贷",
        max_amount_yuan=10_000_000,
        max_term_months=36,
        source_passage="科创贷最高1000万元",
    )
    page = client.get("/products/", {"q": "科创"}).content.decode()
    assert "科创贷" in page and "1000万元" in page and "最长36个月" in page
    detail = client.get(f"/products/{product.pk}/").content.decode()
    assert "科创贷最高1000万元" in detail and "最低额度" in detail and "未载明" in detail


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/products/", "/api/v1/products/"])
def test_lists_run_constant_queries(client, regions, url, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0  # the queries of a real render, not of a cache hit

    def queries(n: int) -> int:
        for _ in range(n):
            LoanProductFactory(
                bank=BankFactory(),
                description="信用贷款",
                regions_served=[regions["city"], regions["daiyue"]],
            )
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"search": "信用", "page_size": 100})
        assert response.status_code == 200
        return len(ctx)

    assert queries(2) == queries(30)
