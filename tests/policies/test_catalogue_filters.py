"""Every filter, sort order and the paging of the policy and product catalogues."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import BankFactory, LoanProductFactory, PolicyFactory


@pytest.fixture
def api():
    return APIClient()


def _titles(api, **params) -> list[str]:
    response = api.get("/api/v1/policies/", params)
    assert response.status_code == 200
    return [row["title"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_category_support_type_and_beneficiary(api, regions):
    PolicyFactory(title="科技贴息", category="科技创新", support_type="贴息")
    PolicyFactory(title="物流奖补", category="物流", support_type="奖补")
    PolicyFactory(
        title="银行风险补偿", category="普惠金融", support_type="风险补偿", beneficiary="bank"
    )
    PolicyFactory(title="租赁奖补", category="普惠金融", beneficiary="leasing_company")
    assert _titles(api, category="物流") == ["物流奖补"]
    assert _titles(api, support_type="贴息") == ["科技贴息"]
    assert _titles(api, beneficiary="bank") == ["银行风险补偿"]
    assert sorted(_titles(api, category="普惠金融")) == ["租赁奖补", "银行风险补偿"]
    assert api.get("/api/v1/policies/", {"category": "不存在"}).status_code == 400


@pytest.mark.django_db
def test_open_now_expired_and_future(api, client, regions):
    today = timezone.localdate()
    PolicyFactory(title="正在申报", valid_from=today - timedelta(days=5), valid_to=today)
    PolicyFactory(
        title="已过期", valid_from=today - timedelta(days=90), valid_to=today - timedelta(days=1)
    )
    PolicyFactory(title="尚未开始", valid_from=today + timedelta(days=3))
    PolicyFactory(title="长期有效")
    assert sorted(_titles(api)) == ["正在申报", "长期有效"]
    assert sorted(_titles(api, include_expired="true")) == [
        "尚未开始",
        "已过期",
        "正在申报",
        "长期有效",
    ]
    # open_now wins over include_expired: only what can be applied for today.
    assert sorted(_titles(api, include_expired="true", open_now="true")) == ["正在申报", "长期有效"]
    future = (today + timedelta(days=4)).isoformat()
    assert sorted(_titles(api, in_force_on=future)) == ["尚未开始", "长期有效"]
    # Shown on request, an expired policy is marked on the page and in the API.
    page = client.get("/policies/", {"include_expired": "on"}).content.decode()
    assert "已过期" in page and 'class="badge expired"' in page
    rows = api.get("/api/v1/policies/", {"include_expired": "true"}).json()["results"]
    assert {r["title"]: r["expired"] for r in rows}["已过期"] is True


@pytest.mark.django_db
def test_policy_sort_orders_and_pages(api, regions):
    today = timezone.localdate()
    for n, title in enumerate(["丙", "甲", "乙", "丁", "戊"]):
        PolicyFactory(
            title=f"{title}政策",
            valid_from=today - timedelta(days=10 * (n + 1)),
            valid_to=today + timedelta(days=30 * (5 - n)),
        )
    assert _titles(api, sort="newest") == ["丙政策", "甲政策", "乙政策", "丁政策", "戊政策"]
    assert _titles(api, sort="expiring") == ["戊政策", "丁政策", "乙政策", "甲政策", "丙政策"]
    assert _titles(api, sort="title") == sorted(["丙政策", "甲政策", "乙政策", "丁政策", "戊政策"])
    first = api.get("/api/v1/policies/", {"sort": "newest", "page_size": 2}).json()
    second = api.get("/api/v1/policies/", {"sort": "newest", "page_size": 2, "page": 3}).json()
    assert first["count"] == 5 and [r["title"] for r in first["results"]] == ["丙政策", "甲政策"]
    assert first["next"] and first["previous"] is None
    assert [r["title"] for r in second["results"]] == ["戊政策"] and second["next"] is None


@pytest.mark.django_db
def test_policy_list_page_pages_and_keeps_the_filters(client, regions):
    for n in range(25):
        PolicyFactory(title=f"贴息政策{n:02d}", support_type="贴息")
    page1 = client.get("/policies/", {"support_type": "贴息", "sort": "title"}).content.decode()
    assert "共 25 条政策" in page1 and "贴息政策00" in page1 and "贴息政策24" not in page1
    assert "support_type=%E8%B4%B4%E6%81%AF" in page1 and "page=2" in page1
    page2 = client.get("/policies/", {"support_type": "贴息", "sort": "title", "page": 2})
    assert "贴息政策24" in page2.content.decode()
    small = client.get("/policies/", {"page_size": 5}).content.decode()
    assert len(re.findall(r'href="/policies/\d+/"', small)) == 5


@pytest.mark.django_db
def test_product_class_amount_range_sort_and_pages(api, regions):
    bank = BankFactory(name="泰安银行")
    LoanProductFactory(
        name="小额信用贷",
        bank=bank,
        product_class="信用类",
        max_amount_yuan=500_000,
        max_term_months=12,
        rate_min_percent="4.35",
    )
    LoanProductFactory(
        name="中额担保贷",
        bank=bank,
        product_class="担保类",
        min_amount_yuan=1_000_000,
        max_amount_yuan=10_000_000,
        max_term_months=36,
        rate_min_percent="3.45",
    )
    LoanProductFactory(
        name="大额抵押贷",
        bank=bank,
        product_class="抵质押类",
        min_amount_yuan=20_000_000,
        max_amount_yuan=100_000_000,
        max_term_months=60,
    )
    LoanProductFactory(name="额度未载明贷", bank=bank, product_class="涉农类")

    def names(**params) -> list[str]:
        response = api.get("/api/v1/products/", params)
        assert response.status_code == 200
        return [r["name"] for r in response.json()["results"]]

    assert names(product_class="担保类") == ["中额担保贷"]
    # A range [min, max] in 万元 keeps the products whose own range overlaps it.
    assert sorted(names(amount_min_wan="100", amount_max_wan="1000")) == [
        "中额担保贷",
        "额度未载明贷",
    ]
    assert sorted(names(amount_min_wan="3000")) == ["大额抵押贷", "额度未载明贷"]
    assert sorted(names(amount_max_wan="60")) == ["小额信用贷", "额度未载明贷"]
    assert names(sort="amount") == ["大额抵押贷", "中额担保贷", "小额信用贷", "额度未载明贷"]
    assert names(sort="term") == ["大额抵押贷", "中额担保贷", "小额信用贷", "额度未载明贷"]
    assert names(sort="rate")[:2] == ["中额担保贷", "小额信用贷"]
    paged = api.get("/api/v1/products/", {"sort": "amount", "page_size": 3, "page": 2}).json()
    assert paged["count"] == 4 and [r["name"] for r in paged["results"]] == ["额度未载明贷"]
    assert api.get("/api/v1/products/", {"amount_min_wan": "-1"}).status_code == 400
