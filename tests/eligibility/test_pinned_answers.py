"""The eligibility answers and the calculator page, pinned byte for byte against the seeded
catalogue, and seen fresh on the next request after any catalogue or rule change.

The pins were written by the evaluation before its process-local rule set and pre-rendered form
parts existed (``PIN_WRITE=1`` rewrites them): a faster path must give the very same bytes.
Database ids differ between runs, so they are replaced by the policies' keys before comparing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from policies.models import Policy, PolicyRule

PINS = Path(__file__).parent / "pins"
URL = "/api/v1/eligibility/"

FACT_SETS = {
    # The load test's request.
    "load": {
        "facts": {
            "region_code": "370911",
            "annual_revenue_yuan": 32_000_000,
            "employees": 120,
            "qualifications": ["tech_sme"],
        },
        "as_of": "2024-08-01",
    },
    # Qingdao, many kinds of facts (dates, decimals, booleans, lists, enums).
    "qingdao": {
        "facts": {
            "region_code": "370211",
            "industry_code": "C38",
            "founded_on": "2019-05-01",
            "annual_revenue_yuan": 80_000_000,
            "employees": 300,
            "qualifications": ["high_tech", "srdi"],
            "listed_on_regional_equity_market": True,
            "regional_equity_direct_financing_yuan": 3_500_000,
            "model_kind": "industry",
            "model_params_billion": 150.5,
            "model_filed": True,
            "uses_city_compute_platform": True,
            "compute_spend_yuan": 2_000_000,
            "loan_amount_yuan": 5_000_000,
            "loan_purpose": "farmland",
            "listing_stage": "counselling_filed",
            "listing_board": "star",
        },
        "as_of": "2024-08-01",
    },
    # Nothing known but a leasing company's kind: every policy undecided or out.
    "leasing": {
        "facts": {"beneficiary_kind": "leasing_company", "region_code": "370200"},
        "as_of": "2023-06-01",
    },
}


def _normalise(content: bytes) -> str:
    keys = dict(Policy.objects.values_list("pk", "key"))
    rules = {
        pk: f"{keys[policy_id]}@{valid_from}"
        for pk, policy_id, valid_from in PolicyRule.objects.values_list(
            "pk", "policy_id", "valid_from"
        )
    }
    text = content.decode()
    text = re.sub(r'"policy_id":(\d+)', lambda m: f'"policy_id":"{keys[int(m[1])]}"', text)
    text = re.sub(r'"rule_version":(\d+)', lambda m: f'"rule_version":"{rules[int(m[1])]}"', text)
    text = re.sub(r"/policies/(\d+)/", lambda m: f"/policies/{keys[int(m[1])]}/", text)
    text = re.sub(r"/reviews/new/(\d+)/", lambda m: f"/reviews/new/{keys[int(m[1])]}/", text)
    return re.sub(r'"result-(\d+)"', lambda m: f'"result-{keys[int(m[1])]}"', text)


def _check(name: str, text: str) -> None:
    path = PINS / name
    if os.environ.get("PIN_WRITE"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(FACT_SETS))
def test_eligibility_json_is_pinned(catalogue, case):
    api = APIClient()
    response = api.post(URL, FACT_SETS[case], format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    _check(f"eligibility_{case}.json", _normalise(response.content))
    # The second answer (from the warm rule set) is the same bytes.
    assert api.post(URL, FACT_SETS[case], format="json").content == response.content


def test_eligibility_json_for_named_policies_is_pinned(catalogue):
    keys = sorted(catalogue)
    ids = [catalogue[k].pk for k in keys[::7]] + [catalogue[keys[0]].pk]
    body = {"facts": FACT_SETS["qingdao"]["facts"], "policies": ids, "as_of": "2023-06-01"}
    response = APIClient().post(URL, body, format="json")
    assert response.status_code == 200
    _check("eligibility_named.json", _normalise(response.content))


def _main(content: bytes) -> str:
    html = content.decode()
    html = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", html)


def test_calculator_pages_are_pinned(client, catalogue, personas):
    firm = personas["firm"]
    firm.annual_revenue_yuan = 32_000_000
    firm.employees = 120
    firm.qualifications = ["tech_sme"]
    firm.credit_rating = "AA"
    firm.save()
    client.force_login(personas["member"])
    first = client.get("/calculator/")
    _check("calculator_member.html", _normalise(_main(first.content).encode()))
    assert _main(client.get("/calculator/").content) == _main(first.content)
    qingdao = client.get(
        "/calculator/", {"region_code": "370211", "beneficiary_kind": "enterprise"}
    )
    _check("calculator_member_qingdao.html", _normalise(_main(qingdao.content).encode()))
    params = {
        "region_code": "370211",
        "beneficiary_kind": "enterprise",
        "calc": "1",
        "annual_revenue_yuan": "80000000",
        "employees": "300",
        "qualifications": ["high_tech", "srdi"],
        "listed_on_regional_equity_market": "true",
        "regional_equity_direct_financing_yuan": "3500000",
    }
    answered = client.get("/calculator/", params)
    _check("calculator_answered.html", _normalise(_main(answered.content).encode()))
    client.logout()
    bad = client.get("/calculator/", {**params, "employees": "很多", "compute_spend_yuan": "-5"})
    _check("calculator_errors.html", _normalise(_main(bad.content).encode()))
    visitor = client.get("/calculator/", {"region_code": "370902", "beneficiary_kind": "bank"})
    _check("calculator_visitor.html", _normalise(_main(visitor.content).encode()))


def _row(response, policy_id):
    return next(r for r in response.json()["results"] if r["policy_id"] == policy_id)


def test_a_rule_change_is_seen_on_the_next_request(make_policy):
    """Direct writes (no catalogue service) and service writes are both seen at once."""
    from policies.services import policy_update

    api = APIClient()
    facts = {"facts": {"region_code": "370911", "annual_revenue_yuan": 6_000_000, "employees": 12}}
    policy = make_policy(region_code="370900")
    first = api.post(URL, facts, format="json")
    assert _row(first, policy.pk)["amount_yuan"] == 100_000
    # A new version of the terms, written straight to the database.
    rule = policy.rules.get()
    rule.data = {**rule.data, "benefit": {"type": "fixed", "amount_yuan": 250_000}}
    rule.save()
    assert _row(api.post(URL, facts, format="json"), policy.pk)["amount_yuan"] == 250_000
    # A new policy, and a renamed one.
    other = make_policy(region_code="370911", title="新政策")
    policy.title = "改名后的政策"
    policy.save()
    rows = api.post(URL, facts, format="json").json()["results"]
    assert {r["policy_id"]: r["title"] for r in rows} == {
        policy.pk: "改名后的政策",
        other.pk: "新政策",
    }
    # The rule deleted: the policy has nothing left to evaluate.
    other.rules.all().delete()
    rows = api.post(URL, facts, format="json").json()["results"]
    assert [r["policy_id"] for r in rows] == [policy.pk]
    # Through the catalogue's service (as the admin pages and the importer write).
    policy_update(policy=policy, data={"title": "服务改名"}, user=None)
    assert _row(api.post(URL, facts, format="json"), policy.pk)["title"] == "服务改名"


def test_the_calculator_sees_a_rule_change_on_the_next_request(client, personas, make_policy):
    policy = make_policy(region_code="370900")
    client.force_login(personas["member"])
    assert list(client.get("/calculator/").context["calc"].form.fields) == [
        "annual_revenue_yuan",
        "employees",
    ]
    rule = policy.rules.get()
    rule.data = {
        "conditions": {"fact": "credit_rating", "op": "in", "value": ["AAA"], "label": "AAA"},
        "benefit": {"type": "fixed", "amount_yuan": 1},
    }
    rule.save()
    assert list(client.get("/calculator/").context["calc"].form.fields) == ["credit_rating"]


def test_another_processs_catalogue_change_is_seen(make_policy):
    """A write in another process reaches this one through the catalogue version alone."""
    from catalogue.cache import catalogue_changed_now
    from eligibility import ruleset

    api = APIClient()
    facts = {"facts": {"region_code": "370911", "annual_revenue_yuan": 6_000_000, "employees": 12}}
    policy = make_policy(region_code="370900")
    api.post(URL, facts, format="json")
    # As if written elsewhere: no signal reaches this process, only the new version.
    PolicyRule.objects.filter(policy=policy).update(
        data={**policy.rules.get().data, "benefit": {"type": "fixed", "amount_yuan": 7}}
    )
    ruleset_before = ruleset.current()
    catalogue_changed_now()
    assert ruleset.current() is not ruleset_before
    assert _row(api.post(URL, facts, format="json"), policy.pk)["amount_yuan"] == 7


@pytest.mark.parametrize("case", sorted(FACT_SETS))
def test_the_fast_json_is_the_renderers_json(catalogue, case):
    """The pre-encoded answer is byte for byte what DRF's JSONRenderer makes of the rows."""
    from datetime import date

    from rest_framework.renderers import JSONRenderer

    from eligibility.api.rendering import eligibility_json
    from eligibility.selectors import eligibility_results, parse_request_facts

    facts, errors = parse_request_facts(FACT_SETS[case]["facts"])
    assert not errors
    for as_of in (date(2023, 6, 1), date(2024, 8, 1), date(2030, 1, 1)):
        for ids in (None, [p.pk for p in list(catalogue.values())[::3]]):
            rows = eligibility_results(facts=facts, as_of=as_of, policy_ids=ids)
            expected = JSONRenderer().render({"results": rows})
            assert eligibility_json(facts=facts, as_of=as_of, policy_ids=ids) == expected


def test_other_renderings_take_the_generic_path(catalogue):
    api = APIClient()
    plain = api.post(URL, FACT_SETS["load"], format="json")
    indented = api.post(
        URL, FACT_SETS["load"], format="json", HTTP_ACCEPT="application/json; indent=2"
    )
    assert indented.status_code == 200
    assert indented["Content-Type"] == plain["Content-Type"] == "application/json"
    versioned = api.post(
        URL, FACT_SETS["load"], format="json", HTTP_ACCEPT="application/json; version=2"
    )
    assert versioned["Content-Type"] == "application/json"
    assert versioned.content == plain.content
    assert b'\n  "results"' in indented.content
    assert json.loads(indented.content) == json.loads(plain.content)
    browsable = api.post(URL, FACT_SETS["load"], format="json", HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and b"<html" in browsable.content
    # Bad input is still the serializer's 400, in Chinese, whatever the fast path.
    bad = api.post(URL, {"facts": {"employees": -1, "nonsense": 1}}, format="json")
    assert bad.status_code == 400 and set(bad.json()["facts"]) == {"employees", "nonsense"}
    assert api.post(URL, {"facts": None}, format="json").status_code == 400
    assert api.post(URL, {"facts": [1]}, format="json").status_code == 400


def test_prefill_stays_per_user_and_escaped(client, personas, make_policy):
    """The form's HTML is kept per field and chosen code, never with a firm's own values."""
    from django.utils.html import escape

    from accounts.models import Role
    from tests.factories import EnterpriseFactory, UserFactory

    make_policy(region_code="370900")  # asks revenue and employees
    rating = {
        "conditions": {"fact": "credit_rating", "op": "in", "value": ["AAA"], "label": "AAA"},
        "benefit": {"type": "fixed", "amount_yuan": 1},
    }
    make_policy(region_code="370900", rule=rating)
    firm = personas["firm"]
    firm.annual_revenue_yuan, firm.employees = 6_000_000, 12
    firm.save()
    other_firm = EnterpriseFactory(region=firm.region, annual_revenue_yuan=9_900_000, employees=77)
    other = UserFactory(username="other", role=Role.ENTERPRISE_MEMBER, enterprise=other_firm)
    client.force_login(personas["member"])
    mine = client.get("/calculator/").content.decode()
    client.force_login(other)
    theirs = client.get("/calculator/").content.decode()
    assert 'value="6000000"' in mine and 'value="12"' in mine
    assert 'value="9900000"' in theirs and 'value="77"' in theirs
    assert "9900000" not in mine and "6000000" not in theirs
    client.logout()
    blank = client.get("/calculator/", {"region_code": "370911", "beneficiary_kind": "enterprise"})
    assert "6000000" not in blank.content.decode() and "9900000" not in blank.content.decode()
    scope = {"region_code": "370911", "beneficiary_kind": "enterprise", "calc": "1"}
    for rating in ('A"><b>x', "B&<i>y"):
        typed = client.get("/calculator/", {**scope, "credit_rating": rating})
        assert typed.context["calc"].results is not None  # a valid answer: no field errors
        html = typed.content.decode()
        assert f'value="{escape(rating)}"' in html and "<b>x" not in html and "<i>y" not in html


def test_a_rule_set_read_in_a_transaction_that_rolls_back_is_not_kept(make_policy):
    from django.db import transaction

    api = APIClient()
    facts = {"facts": {"region_code": "370911", "annual_revenue_yuan": 6_000_000, "employees": 12}}
    kept = make_policy(region_code="370900")
    assert len(api.post(URL, facts, format="json").json()["results"]) == 1

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        make_policy(region_code="370900")
        assert len(api.post(URL, facts, format="json").json()["results"]) == 2
        raise Rollback
    rows = api.post(URL, facts, format="json").json()["results"]
    assert [r["policy_id"] for r in rows] == [kept.pk]


def test_without_the_catalogue_cache_every_answer_reads_the_catalogue(
    settings, make_policy, django_assert_num_queries
):
    settings.CATALOGUE_CACHE_SECONDS = 0
    api = APIClient()
    make_policy(region_code="370900")
    facts = {"facts": {"region_code": "370911"}}
    for _ in range(2):
        with django_assert_num_queries(2):  # policies, rules
            assert api.post(URL, facts, format="json").status_code == 200
