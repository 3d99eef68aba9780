"""The calculator page: scope first, then only the questions the candidates need, then results."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from eligibility.models import SavedCalculation

URL = "/calculator/"


def test_the_nav_links_the_calculator(client, db):
    assert reverse("eligibility:calculator") == URL
    page = client.get("/").content.decode()
    assert 'href="/calculator/"' in page


def test_step_one_asks_region_and_beneficiary(client, catalogue):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "企业注册地" in html and "申请主体类型" in html
    assert "开始测算" not in html


def test_step_two_asks_only_what_the_candidates_need(client, catalogue):
    response = client.get(URL, {"region_code": "370923", "beneficiary_kind": "enterprise"})
    form = response.context["calc"].form
    names = list(form.fields)
    # 东平 firms: 东平's and 泰安's and 山东's policies, none of 青岛's.
    assert "listing_stage" in names and "listing_board" in names
    assert "compute_spend_yuan" not in names
    assert "region_code" not in names and "beneficiary_kind" not in names
    # Most decisive first: listing facts decide several 东平 policies.
    assert names.index("listing_board") < names.index("restructuring_intermediary_fees_yuan")


def test_results_with_amounts_formula_and_near_misses(client, regions, catalogue):
    params = {
        "region_code": "370211",
        "beneficiary_kind": "enterprise",
        "calc": "1",
        "listed_on_regional_equity_market": "true",
        "regional_equity_direct_financing_yuan": "3,500,000",
        "compute_spend_yuan": "1000000",
    }
    response = client.get(URL, params)
    html = response.content.decode()
    calc = response.context["calc"]
    titles = {r["title"]: r for r in calc.eligible}
    assert titles["区域性股权交易市场直接融资奖励"]["amount_yuan"] == 150_000
    assert "10万元 + (350万元 − 100万元) × 2% = 15万元" in html
    assert "15万元" in html
    compute = next(r for r in calc.possible if r["title"].startswith("算力券"))
    assert "年度主营业务收入" in "、".join(compute["missing_labels"])
    assert "还需补充" in html
    assert "保存测算结果" not in html  # anonymous visitors cannot save


def test_bad_answers_show_chinese_errors(client, regions, catalogue):
    params = {
        "region_code": "370211",
        "beneficiary_kind": "enterprise",
        "calc": "1",
        "regional_equity_direct_financing_yuan": "-5",
        "compute_spend_yuan": "很多",
    }
    response = client.get(URL, params)
    calc = response.context["calc"]
    assert calc.results is None
    errors = calc.form.errors
    assert "金额不能为负数" in errors["regional_equity_direct_financing_yuan"][0]
    assert "应为非负整数" in errors["compute_spend_yuan"][0]
    response = client.get(URL, {"region_code": "999999", "beneficiary_kind": "enterprise"})
    assert response.context["calc"].scope.errors["region_code"]


def test_a_firm_member_sees_its_profile_prefilled_and_saves(client, catalogue, personas):
    member = personas["member"]
    firm = personas["firm"]
    firm.qualifications = ["srdi"]
    firm.save()
    client.force_login(member)
    response = client.get(URL)
    calc = response.context["calc"]
    assert calc.scope.data["region_code"] == firm.region.code
    assert calc.form is not None
    query = {
        "region_code": firm.region.code,
        "beneficiary_kind": "enterprise",
        "calc": "1",
        "listing_board": "main",
        "listing_stage": "listed",
    }
    response = client.get(URL, query)
    assert "保存测算结果" in response.content.decode()
    response = client.post(reverse("eligibility:save"), {"query": urlencode(query)})
    assert response.status_code == 302
    saved = SavedCalculation.objects.get()
    assert saved.enterprise == firm and saved.created_by == member
    assert saved.facts["listing_board"] == "main"
    assert saved.results
    page = client.get(reverse("eligibility:saved")).content.decode()
    assert "已保存的测算结果" in page


def test_only_firm_members_save(client, catalogue, personas):
    client.force_login(personas["staff"])
    query = urlencode({"region_code": "370911", "beneficiary_kind": "enterprise", "calc": "1"})
    assert client.post(reverse("eligibility:save"), {"query": query}).status_code == 403
    client.logout()
    assert client.post(reverse("eligibility:save"), {"query": query}).status_code == 302
    assert SavedCalculation.objects.count() == 0


def test_saved_calculations_are_scoped_to_the_firm(client, catalogue, personas):
    query = urlencode({"region_code": "370911", "beneficiary_kind": "enterprise", "calc": "1"})
    client.force_login(personas["member"])
    client.post(reverse("eligibility:save"), {"query": query})
    client.force_login(personas["other_member"])
    assert client.get(reverse("eligibility:saved")).context["saved"] == []


@pytest.mark.parametrize("size", [3, 30])
def test_calculator_query_counts(client, regions, make_policy, django_assert_num_queries, size):
    for i in range(size):
        rule = {
            "conditions": {
                "fact": "employees",
                "op": "gte",
                "value": 10 + i,
                "label": f"从业人员不少于{10 + i}人",
            },
            "benefit": {"type": "fixed", "amount_yuan": 10_000},
        }
        make_policy(region_code="370900", rule=rule)
    params = {"region_code": "370911", "beneficiary_kind": "enterprise", "calc": "1"}
    # The first page after a catalogue change loads the rule set: policies, rules (and the
    # regions the form offers).
    with django_assert_num_queries(3):
        client.get(URL, {**params, "employees": "20"})
    # Then a visitor's pages read no table while the catalogue is unchanged.
    with django_assert_num_queries(0):
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(URL, {**params, "employees": "20"})
    assert len(response.context["calc"].eligible) == min(size, 11)


def test_the_profile_prefills_the_answers(client, personas, make_policy):
    firm = personas["firm"]
    firm.annual_revenue_yuan = 6_000_000
    firm.employees = 12
    firm.save()
    make_policy(region_code="370900")  # revenue > 500万 and employees ≥ 10
    client.force_login(personas["member"])
    response = client.get(URL)
    calc = response.context["calc"]
    assert list(calc.form.fields) == ["annual_revenue_yuan", "employees"]
    assert calc.form.initial == {"annual_revenue_yuan": "6000000", "employees": "12"}
    html = response.content.decode()
    assert 'value="6000000"' in html and "已根据" in html and firm.name in html
    # A visitor gets the same questions, blank.
    client.logout()
    calc = client.get(URL, {"region_code": "370911", "beneficiary_kind": "enterprise"}).context[
        "calc"
    ]
    assert list(calc.form.fields) == ["annual_revenue_yuan", "employees"]
    assert calc.form.initial == {}


@pytest.mark.parametrize("size", [3, 30])
def test_member_pages_query_counts(client, personas, make_policy, django_assert_num_queries, size):
    from eligibility.services import eligibility_rematch, saved_calculation_create

    member = personas["member"]
    for _ in range(size):
        make_policy(region_code="370900")
    eligibility_rematch()  # the stored matches the page lists
    params = {"region_code": "370911", "beneficiary_kind": "enterprise", "calc": "1"}
    for _ in range(size):
        saved_calculation_create(
            user=member, facts={"employees": 20}, results=[], as_of=date(2026, 1, 1)
        )
    client.force_login(member)
    client.get(URL)  # warm the per-process caches
    # user, firm, stored matches (the session from the cache; the regions, policies and rules
    # from the process's rule set of the current catalogue version).
    with django_assert_num_queries(3):
        response = client.get(URL)
    assert len(response.context["matched"]) == min(size, 20)
    with django_assert_num_queries(3):
        response = client.get(URL, {**params, "annual_revenue_yuan": "6000000", "employees": "20"})
    assert len(response.context["calc"].eligible) == size
    with django_assert_num_queries(2):  # user, saved calculations (the session from the cache)
        response = client.get(reverse("eligibility:saved"))
    assert len(response.context["saved"]) == size
