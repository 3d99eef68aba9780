"""The eligibility API of shared/contracts/eligibility-api.md: facts, eligibility, matching."""

from __future__ import annotations

import re
from datetime import date

import pytest
from rest_framework.test import APIClient

from eligibility.api.views import EligibilityView, FactsView, ProductMatchView
from eligibility.models import EligibilityResult, SavedCalculation
from notifications.models import Notification
from portal.api.throttles import AnonRateThrottle

CJK = re.compile(r"[\u4e00-\u9fff]")
CONTRACT_ROW = {
    "policy_id",
    "title",
    "eligible",
    "amount_yuan",
    "max_amount_yuan",
    "conditions",
    "unmet",
    "missing_facts",
}


@pytest.fixture
def api():
    return APIClient()


def post(api, url, body):
    return api.post(url, body, format="json")


def row_for(response, policy_id):
    rows = [r for r in response.json()["results"] if r["policy_id"] == policy_id]
    assert len(rows) == 1, response.json()
    return rows[0]


# --- GET /api/v1/facts/ -----------------------------------------------------------------------


def test_facts_lists_every_known_fact_anonymously(api, db):
    response = api.get("/api/v1/facts/")
    assert response.status_code == 200
    facts = {f["name"]: f for f in response.json()["results"]}
    assert response.json()["count"] == len(facts)
    for name in ("uscc", "region_code", "annual_revenue_yuan", "qualifications", "listing_board"):
        assert name in facts
    revenue = facts["annual_revenue_yuan"]
    assert (revenue["type"], revenue["unit"]) == ("integer", "元")
    assert CJK.search(revenue["label"])
    assert {c["value"] for c in facts["qualifications"]["choices"]} >= {"high_tech", "srdi"}


def test_facts_include_the_catalogue_declared_ones(api, catalogue):
    names = {f["name"] for f in api.get("/api/v1/facts/").json()["results"]}
    assert {"lessee_is_sme", "loan_product_name"} <= names


def test_endpoints_are_public_with_the_anon_throttle():
    for view in (FactsView, EligibilityView, ProductMatchView):
        assert AnonRateThrottle in view.throttle_classes
        assert [p.__name__ for p in view.permission_classes] == ["AllowAny"]


# --- POST /api/v1/eligibility/ with the seeded catalogue ------------------------------------------


def test_seeded_amounts_through_the_api(api, catalogue):
    equity = catalogue["qd-2024b2-regional-equity-financing-reward"]
    facts = {
        "region_code": "370211",
        "listed_on_regional_equity_market": True,
        "regional_equity_direct_financing_yuan": 3_500_000,
    }
    response = post(api, "/api/v1/eligibility/", {"facts": facts, "as_of": "2024-09-01"})
    assert response.status_code == 200
    row = row_for(response, equity.pk)
    assert set(row) >= CONTRACT_ROW
    assert (row["eligible"], row["amount_yuan"], row["max_amount_yuan"]) == (True, 150_000, 500_000)
    assert row["formula"] == "10万元 + (350万元 − 100万元) × 2% = 15万元"
    assert row["conditions"][0] == {
        "label": "在区域性股权交易市场挂牌",
        "passed": True,
        "fact": "listed_on_regional_equity_market",
    }
    assert row["facts_used"]["regional_equity_direct_financing_yuan"] == 3_500_000
    # The firm outside the region: not eligible, and unmet says so.
    facts["region_code"] = "370911"
    response = post(api, "/api/v1/eligibility/", {"facts": facts, "policies": [equity.pk]})
    row = row_for(response, equity.pk)
    assert row["eligible"] is False
    assert any("不在政策适用区域" in u for u in row["unmet"])


def test_leasing_company_and_staged_and_max_only(api, catalogue):
    lease = catalogue["qd-2024b2-finance-lease-award"]
    dongping = catalogue["ta-dongping-ipo-staged-subsidy"]
    daiyue = catalogue["ta-daiyue-listing-award"]
    body = {
        "facts": {
            "region_code": "370211",
            "beneficiary_kind": "leasing_company",
            "lessee_is_sme": True,
            "lease_amount_yuan": 100_000_000,
            "lease_is_direct": True,
        },
        "policies": [lease.pk],
    }
    row = row_for(post(api, "/api/v1/eligibility/", body), lease.pk)
    assert (row["eligible"], row["amount_yuan"], row["max_amount_yuan"]) == (
        True,
        1_000_000,
        3_000_000,
    )
    body = {
        "facts": {"region_code": "370923", "listing_board": "bse", "listing_stage": "listed"},
        "policies": [dongping.pk, daiyue.pk],
    }
    response = post(api, "/api/v1/eligibility/", body)
    assert row_for(response, dongping.pk)["amount_yuan"] == 1_000_000
    # 岱岳's award says only 最高…: a maximum, never an amount.
    body["facts"]["region_code"] = "370911"
    row = row_for(post(api, "/api/v1/eligibility/", body), daiyue.pk)
    assert row["amount_yuan"] is None
    assert row["max_amount_yuan"] is not None


def test_missing_facts_are_named_never_false(api, catalogue):
    compute = catalogue["qd-2024b2-compute-voucher-enterprise"]
    body = {
        "facts": {"region_code": "370211", "compute_spend_yuan": 1_000_000},
        "policies": [compute.pk],
    }
    row = row_for(post(api, "/api/v1/eligibility/", body), compute.pk)
    assert row["eligible"] is None
    assert set(row["missing_facts"]) == {"uses_city_compute_platform", "annual_revenue_yuan"}
    assert row["amount_yuan"] == 200_000


def test_all_policies_in_force_by_default_best_first(api, catalogue):
    response = post(api, "/api/v1/eligibility/", {"facts": {"region_code": "370211"}})
    rows = response.json()["results"]
    ids = {r["policy_id"] for r in rows}
    # 泰安's 2022 开门红 subsidy ended in 2022; today it is not listed.
    assert catalogue["ta-taishan-2022-kaimenhong-loan-subsidy"].pk not in ids
    ranks = [{True: 0, None: 1, False: 2}[r["eligible"]] for r in rows]
    assert ranks == sorted(ranks)


# --- as_of and rule versions --------------------------------------------------------------------


def test_as_of_picks_the_version_in_force(api, make_policy):
    from policies.models import PolicyRule

    policy = make_policy(rule_valid_from=date(2023, 1, 1), rule_valid_to=date(2023, 12, 31))
    newer = dict(PolicyRule.objects.get(policy=policy).data)
    newer["benefit"] = {"type": "fixed", "amount_yuan": 200_000}
    PolicyRule.objects.create(policy=policy, valid_from=date(2024, 1, 1), data=newer)
    facts = {"region_code": "370911", "annual_revenue_yuan": 6_000_000, "employees": 20}
    for as_of, amount in (("2023-06-30", 100_000), ("2024-06-30", 200_000)):
        response = post(api, "/api/v1/eligibility/", {"facts": facts, "as_of": as_of})
        assert row_for(response, policy.pk)["amount_yuan"] == amount


def test_policy_not_in_force_is_skipped_or_reported(api, make_policy):
    policy = make_policy(valid_from=date(2024, 1, 1), valid_to=date(2024, 12, 31))
    facts = {"region_code": "370911", "annual_revenue_yuan": 6_000_000, "employees": 20}
    body = {"facts": facts, "as_of": "2025-03-01"}
    assert post(api, "/api/v1/eligibility/", body).json()["results"] == []
    body["policies"] = [policy.pk]
    row = row_for(post(api, "/api/v1/eligibility/", body), policy.pk)
    assert row["eligible"] is False
    assert row["unmet"] == ["政策不在有效期内"]
    body["as_of"] = "2024-12-31"
    assert row_for(post(api, "/api/v1/eligibility/", body), policy.pk)["eligible"] is True


def test_strict_and_inclusive_thresholds_through_the_api(api, make_policy):
    policy = make_policy()
    for revenue, employees, eligible in (
        (5_000_000, 10, False),  # 超过500万: 500万 itself fails
        (5_000_001, 10, True),  # 不少于10人: 10 passes
        (5_000_001, 9, False),
    ):
        facts = {"region_code": "370911", "annual_revenue_yuan": revenue, "employees": employees}
        row = row_for(post(api, "/api/v1/eligibility/", {"facts": facts}), policy.pk)
        assert row["eligible"] is eligible
        if not eligible:
            assert row["unmet"]


# --- Bad input: 400, a Chinese message per field, nothing stored ---------------------------------


@pytest.mark.parametrize(
    ("body", "field_path"),
    [
        ({"facts": {"no_such_fact": 1}}, ("facts", "no_such_fact")),
        ({"facts": {"employees": "很多"}}, ("facts", "employees")),
        ({"facts": {"annual_revenue_yuan": -1}}, ("facts", "annual_revenue_yuan")),
        ({"facts": {"uscc": "91370911MA0000000X"}}, ("facts", "uscc")),
        ({"facts": {"founded_on": "2020/01/01"}}, ("facts", "founded_on")),
        ({"facts": {"uses_city_compute_platform": "yes"}}, ("facts", "uses_city_compute_platform")),
        ({"facts": {"qualifications": ["nobel"]}}, ("facts", "qualifications")),
        ({"facts": {"region_code": "abc"}}, ("facts", "region_code")),
        ({"facts": [1, 2]}, ("facts",)),
        ({"as_of": "2024-13-01"}, ("as_of",)),
        ({"policies": "all"}, ("policies",)),
        ({"policies": [999_999]}, ("policies",)),
        ({"asof": "2024-01-01"}, ("asof",)),
    ],
)
def test_bad_input_is_400_in_chinese_and_stores_nothing(api, make_policy, body, field_path):
    make_policy()
    response = post(api, "/api/v1/eligibility/", body)
    assert response.status_code == 400, response.json()
    node = response.json()
    for key in field_path:
        node = node[key]
    messages = node if isinstance(node, list) else [node]
    assert messages and all(CJK.search(str(m)) for m in messages), messages
    assert EligibilityResult.objects.count() == 0
    assert SavedCalculation.objects.count() == 0
    assert Notification.objects.count() == 0


def test_every_bad_fact_gets_its_own_message(api, db):
    body = {"facts": {"employees": -3, "annual_revenue_yuan": "x", "bogus": True}}
    errors = post(api, "/api/v1/eligibility/", body).json()["facts"]
    assert set(errors) == {"employees", "annual_revenue_yuan", "bogus"}


def test_null_fact_counts_as_missing(api, make_policy):
    policy = make_policy()
    facts = {"region_code": "370911", "annual_revenue_yuan": None, "employees": 20}
    row = row_for(post(api, "/api/v1/eligibility/", {"facts": facts}), policy.pk)
    assert row["eligible"] is None
    assert row["missing_facts"] == ["annual_revenue_yuan"]


# --- POST /api/v1/products/match/ ---------------------------------------------------------------


def test_product_match_matches_and_near_misses(api, catalogue):
    body = {
        "facts": {
            "region_code": "370911",
            "employees": 50,
            "annual_revenue_yuan": 10_000_000,
            "industry_code": "C30",
        },
        "need": {"amount_yuan": 1_000_000, "term_months": 12, "guarantee_methods": ["credit"]},
    }
    response = post(api, "/api/v1/products/match/", body)
    assert response.status_code == 200
    data = response.json()
    assert data["matches"] and data["near_misses"]
    for row in data["matches"] + data["near_misses"]:
        assert {"product_id", "name", "bank", "reasons"} <= set(row)
        assert row["reasons"] and all(CJK.search(r) for r in row["reasons"])
    from banks.models import LoanProduct

    for row in data["matches"]:
        product = LoanProduct.objects.get(pk=row["product_id"])
        assert product.max_amount_yuan is None or product.max_amount_yuan >= 1_000_000
        assert product.max_term_months is None or product.max_term_months >= 12
    # Asking for more than a matched product lends turns it into a near miss, with the reason.
    first = LoanProduct.objects.get(pk=data["matches"][0]["product_id"])
    if first.max_amount_yuan:
        body["need"]["amount_yuan"] = first.max_amount_yuan + 1
        near = post(api, "/api/v1/products/match/", body).json()["near_misses"]
        reasons = next(r["reasons"] for r in near if r["product_id"] == first.pk)
        assert any("超过产品最高额度" in r for r in reasons)


def test_product_match_is_not_shadowed_by_the_product_router(api, db):
    response = post(api, "/api/v1/products/match/", {"need": {"amount_yuan": 10_000}})
    assert response.status_code == 200
    assert response.json() == {"matches": [], "near_misses": []}


@pytest.mark.parametrize(
    ("body", "field_path"),
    [
        ({"need": {"amount_yuan": -5}}, ("need", "amount_yuan")),
        ({"need": {"term_months": "一年"}}, ("need", "term_months")),
        ({"need": {"guarantee_methods": ["friendship"]}}, ("need", "guarantee_methods")),
        ({"facts": {"employees": -1}}, ("facts", "employees")),
    ],
)
def test_product_match_bad_input(api, db, body, field_path):
    response = post(api, "/api/v1/products/match/", body)
    assert response.status_code == 400
    node = response.json()
    for key in field_path:
        node = node[key]
    assert CJK.search(str(node)), node


# --- Query counts at two data sizes -------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_query_counts_do_not_grow_with_the_catalogue(
    api, make_policy, django_assert_num_queries, size
):
    from tests.factories import BankFactory

    ids = [make_policy(region_code="370900").pk for _ in range(size)]
    bank = BankFactory()
    from banks.models import LoanProduct

    for i in range(size):
        product = LoanProduct.objects.create(
            key=f"p{i}",
            name=f"产品{i}",
            bank=bank,
            region=_region("370900"),
            product_class="信用类",
            max_amount_yuan=5_000_000,
            status="published",
        )
        product.regions_served.add(_region("370900"))
    facts = {"region_code": "370911", "annual_revenue_yuan": 6_000_000, "employees": 20}
    api.get("/api/v1/facts/")  # warm: the catalogue's facts are read once per process
    with django_assert_num_queries(0):
        assert api.get("/api/v1/facts/").status_code == 200
    # The first answer after a catalogue change loads the rule set: policies, rules.
    with django_assert_num_queries(2):
        response = post(api, "/api/v1/eligibility/", {"facts": facts})
    assert len(response.json()["results"]) == size
    # Then none while the catalogue is unchanged (eligibility.ruleset), named policies included.
    with django_assert_num_queries(0):
        assert post(api, "/api/v1/eligibility/", {"facts": facts}).content == response.content
    with django_assert_num_queries(0):
        post(api, "/api/v1/eligibility/", {"facts": facts, "policies": ids[:2]})
    make_policy(region_code="370900")
    with django_assert_num_queries(2):
        response = post(api, "/api/v1/eligibility/", {"facts": facts})
    assert len(response.json()["results"]) == size + 1
    with django_assert_num_queries(2):
        response = post(api, "/api/v1/products/match/", {"facts": facts, "need": {}})
    assert len(response.json()["matches"]) == size


def _region(code):
    from tests.factories import RegionFactory

    return RegionFactory(code=code)
