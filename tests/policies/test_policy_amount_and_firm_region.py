"""Issue 3 gaps: the amount-range filter on policies, and a firm's list defaulting to its region."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies.models import Policy
from policies.services import policy_update
from tests.factories import PolicyFactory


def _fixed(yuan: int) -> dict:
    return {"benefit": {"type": "fixed", "amount_yuan": yuan}}


def _max_only(yuan: int) -> dict:
    return {"benefit": {"type": "max_only", "max_amount_yuan": yuan}}


@pytest.fixture
def amounts(regions):
    PolicyFactory(title="定额十万", rule=_fixed(100_000))
    PolicyFactory(title="最高五十万", rule=_max_only(500_000))
    PolicyFactory(
        title="比例封顶三百万",
        rule={
            "benefit": {
                "type": "percent",
                "fact": "loan_amount_yuan",
                "rate": "0.02",
                "cap_yuan": 3_000_000,
            }
        },
    )
    PolicyFactory(
        title="比例不封顶",
        rule={"benefit": {"type": "percent", "fact": "loan_amount_yuan", "rate": "0.02"}},
    )


def _api_titles(**params) -> list[str]:
    response = APIClient().get("/api/v1/policies/", params)
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


@pytest.mark.django_db
def test_max_amount_is_kept_from_the_current_rule(regions):
    policy = PolicyFactory(title="x", rule=_max_only(500_000))
    assert Policy.objects.get(pk=policy.pk).max_amount_yuan == 500_000
    policy_update(policy=policy, data={}, rule=_fixed(80_000))
    assert Policy.objects.get(pk=policy.pk).max_amount_yuan == 80_000
    assert PolicyFactory(title="无条款").max_amount_yuan is None


@pytest.mark.django_db
def test_api_amount_range_in_yuan(amounts):
    assert _api_titles(max_amount_yuan_min=400_000) == [
        "最高五十万",
        "比例不封顶",
        "比例封顶三百万",
    ]
    assert _api_titles(max_amount_yuan_max=500_000) == ["定额十万", "最高五十万"]
    assert _api_titles(max_amount_yuan_min=200_000, max_amount_yuan_max=3_000_000) == [
        "最高五十万",
        "比例封顶三百万",
    ]
    response = APIClient().get("/api/v1/policies/", {"max_amount_yuan_min": 400_000})
    rows = {row["title"]: row for row in response.json()["results"]}
    assert rows["最高五十万"]["max_amount_yuan"] == 500_000
    assert rows["比例不封顶"]["max_amount_yuan"] is None
    assert APIClient().get("/api/v1/policies/", {"max_amount_yuan_min": -1}).status_code == 400


@pytest.mark.django_db
def test_page_amount_range_in_wan(client, amounts):
    page = client.get("/policies/", {"amount_min_wan": "20", "amount_max_wan": "300"})
    text = page.content.decode()
    assert "最高五十万" in text and "比例封顶三百万" in text
    assert "定额十万" not in text and "比例不封顶" not in text
    assert '<label for="id_amount_min_wan">最高支持金额不低于（万元）' in text
    # The yuan bounds of API callers are not shown as inputs on the page.
    assert 'type="hidden" name="max_amount_yuan_min"' in text


@pytest.mark.django_db
def test_firm_sees_its_region_first_and_can_widen(client, personas, regions):
    PolicyFactory(title="市级政策", region=regions["city"])
    PolicyFactory(title="岱岳政策", region=regions["daiyue"])
    PolicyFactory(title="泰山政策", region=regions["taishan"])
    PolicyFactory(title="青岛政策", region=regions["qingdao"])
    # A visitor sees all.
    text = client.get("/policies/").content.decode()
    assert all(t in text for t in ("市级政策", "岱岳政策", "泰山政策", "青岛政策"))
    # The firm (in 岱岳区) sees its district's and its city's policies.
    client.force_login(personas["member"])
    text = client.get("/policies/").content.decode()
    assert "市级政策" in text and "岱岳政策" in text
    assert "泰山政策" not in text and "青岛政策" not in text
    assert '<option value="370911" selected>' in text
    assert "全部地区" in text
    # 全部地区 (an empty region_code) widens it.
    text = client.get("/policies/", {"region_code": ""}).content.decode()
    assert all(t in text for t in ("市级政策", "岱岳政策", "泰山政策", "青岛政策"))
    # Another region chosen explicitly is honoured.
    text = client.get("/policies/", {"region_code": "370200"}).content.decode()
    assert "青岛政策" in text and "岱岳政策" not in text


@pytest.mark.django_db
def test_bank_officer_and_staff_see_all_by_default(client, personas, regions):
    PolicyFactory(title="岱岳政策", region=regions["daiyue"])
    PolicyFactory(title="青岛政策", region=regions["qingdao"])
    for who in ("officer", "staff"):
        client.force_login(personas[who])
        text = client.get("/policies/").content.decode()
        assert "岱岳政策" in text and "青岛政策" in text


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"amount_min_wan": "1"}])
def test_firm_list_runs_constant_queries(client, personas, regions, params):
    client.force_login(personas["member"])

    def queries(n: int) -> int:
        for _ in range(n):
            PolicyFactory(region=regions["daiyue"], rule=_fixed(50_000))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/policies/", {**params, "page_size": 100})
        assert response.status_code == 200
        assert response.context["page"].paginator.count >= n
        return len(ctx)

    assert queries(3) == queries(40)


@pytest.mark.django_db
def test_api_amount_filter_runs_constant_queries(regions, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0

    def queries(n: int) -> int:
        for _ in range(n):
            PolicyFactory(region=regions["daiyue"], rule=_fixed(50_000))
        with CaptureQueriesContext(connection) as ctx:
            response = APIClient().get(
                "/api/v1/policies/", {"max_amount_yuan_min": 1, "page_size": 100}
            )
        assert response.status_code == 200
        return len(ctx)

    assert queries(3) == queries(40)
