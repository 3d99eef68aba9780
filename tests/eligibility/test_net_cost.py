"""The product page shows a loan's net cost after the 贴息 / guarantee-fee subsidies combining with it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eligibility.selectors import net_cost_for_product
from tests.factories import LoanProductFactory

# The seeded 高标准农田 / 设施农业 subsidy: 2% of the loan (qd-cj-farmland-facility-agri-loan-subsidy).
FARMLAND_RULE = {
    "conditions": {
        "all": [
            {
                "fact": "loan_purpose",
                "op": "in",
                "value": ["farmland", "facility_agriculture"],
                "label": "贷款用于高标准农田建设或设施农业",
            },
            {"fact": "loan_amount_yuan", "op": "gt", "value": 0, "label": "有贷款"},
        ]
    },
    "benefit": {"type": "percent", "fact": "loan_amount_yuan", "rate": "0.02"},
}
GUARANTEE_FEE_RULE = {
    "conditions": {"fact": "loan_amount_yuan", "op": "gt", "value": 0, "label": "有贷款"},
    "benefit": {"type": "percent", "fact": "loan_amount_yuan", "rate": "0.005", "cap_yuan": 3000},
}


@pytest.fixture
def subsidies(regions, make_policy):
    return {
        "farmland": make_policy(
            region_code="370200", rule=FARMLAND_RULE, support_type="贴息", title="农田贷款贴息"
        ),
        "fee": make_policy(
            region_code="370200",
            rule=GUARANTEE_FEE_RULE,
            support_type="担保费补贴",
            title="担保费补贴",
        ),
        # An award computed from the loan amount is no loan subsidy.
        "award": make_policy(
            region_code="370200",
            rule={**GUARANTEE_FEE_RULE, "benefit": {"type": "fixed", "amount_yuan": 9_999}},
            title="与贷款无关的奖励",
        ),
        # A 泰安 subsidy does not combine with a 青岛 product.
        "taian": make_policy(
            region_code="370900", rule=GUARANTEE_FEE_RULE, support_type="贴息", title="泰安贴息"
        ),
    }


@pytest.fixture
def product(regions):
    return LoanProductFactory(
        name="惠农贷",
        max_amount_yuan=1_000_000,
        rate_min_percent=Decimal("3.5"),
        regions_served=[regions["qingdao"]],
    )


def test_net_cost_deducts_the_subsidies_the_firm_qualifies_for(subsidies, product):
    facts = {"region_code": "370211", "loan_purpose": "farmland"}
    cost = net_cost_for_product(product, facts)
    assert cost.amount_yuan == 1_000_000
    assert cost.annual_interest_yuan == 35_000  # 100万 × 3.5%
    assert [s["title"] for s in cost.subsidies] == ["农田贷款贴息", "担保费补贴"]
    assert [s["amount_yuan"] for s in cost.subsidies] == [20_000, 3_000]  # 2%; 0.5% capped
    assert cost.subsidies[0]["formula"] == "100万元 × 2% = 2万元"
    assert cost.subsidy_yuan == 23_000
    assert cost.net_cost_yuan == 12_000
    assert cost.possible_net_cost_yuan == 12_000


def test_an_undecided_subsidy_is_listed_not_deducted(subsidies, product):
    cost = net_cost_for_product(product, {"region_code": "370211"}, amount_yuan=500_000)
    farmland = next(s for s in cost.subsidies if s["title"] == "农田贷款贴息")
    assert farmland["eligible"] is None and farmland["missing_facts"] == ["贷款用途"]
    assert cost.annual_interest_yuan == 17_500
    assert cost.subsidy_yuan == 2_500  # only the guarantee-fee subsidy
    assert cost.net_cost_yuan == 15_000
    assert cost.possible_net_cost_yuan == 5_000  # if the loan is for farmland too
    # A loan for something else: the farmland subsidy does not apply at all.
    cost = net_cost_for_product(product, {"region_code": "370211", "loan_purpose": "equipment"})
    assert [s["title"] for s in cost.subsidies] == ["担保费补贴"]


def test_outside_the_region_nothing_is_deducted(subsidies, product):
    cost = net_cost_for_product(product, {"region_code": "370911", "loan_purpose": "farmland"})
    assert cost.subsidies == [] and cost.net_cost_yuan == 35_000


def test_no_amount_or_no_rate(subsidies, regions):
    bare = LoanProductFactory(regions_served=[regions["qingdao"]])
    assert net_cost_for_product(bare, {}) is None
    no_rate = LoanProductFactory(max_amount_yuan=100_000, regions_served=[regions["qingdao"]])
    cost = net_cost_for_product(no_rate, {"region_code": "370211", "loan_purpose": "farmland"})
    assert cost.net_cost_yuan is None and cost.subsidy_yuan == 2_500


def test_the_product_page_shows_the_net_cost(client, subsidies, product, personas):
    html = client.get(f"/products/{product.pk}/").content.decode()
    assert "叠加政策补贴后的融资成本" in html
    assert "农田贷款贴息" in html and "泰安贴息" not in html and "与贷款无关的奖励" not in html
    assert "需确认条件" in html and "还需确认：注册地行政区划代码、贷款用途" in html
    assert "扣除补贴后的年融资成本" in html
    assert "如符合全部待确认条件" in html
    # A 青岛 firm's member: its profile region decides the region condition.
    firm = personas["other_firm"]
    client.force_login(personas["other_member"])
    html = client.get(f"/products/{product.pk}/").content.decode()
    assert firm.region.code == "370211"
    # It now qualifies for the guarantee-fee subsidy: 3.5万 − 3000元 = 3.2万.
    assert "符合，补贴 3000元" in html and "已扣除符合条件的补贴 3000元" in html
    assert "<strong>3.2万元</strong>" in html


def test_a_product_without_combining_subsidies_shows_no_section(client, regions, product):
    html = client.get(f"/products/{product.pk}/").content.decode()
    assert "叠加政策补贴后的融资成本" not in html


@pytest.mark.parametrize("extra", [0, 10])
def test_product_page_query_count_is_constant(
    client, subsidies, product, make_policy, django_assert_num_queries, extra
):
    for _ in range(extra):
        make_policy(region_code="370200", rule=GUARANTEE_FEE_RULE, support_type="贴息")
    url = f"/products/{product.pk}/"
    client.get(url)  # warm the per-process caches
    with django_assert_num_queries(QUERIES):
        assert client.get(url).status_code == 200


# product (with bank, branch, region), regions served; the subsidy policies and their rules come
# from the process's rule set of the current catalogue version (eligibility.ruleset); the view is
# counted in the cache, not the database.
QUERIES = 2
