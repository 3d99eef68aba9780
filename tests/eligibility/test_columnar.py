"""The column-wise bulk evaluation gives, firm by firm, exactly what ``CompiledRule.quick`` gives."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from eligibility.columnar import FactColumns, prepare, quick_many
from eligibility.engine import compile_rule
from eligibility.facts import BENEFICIARY_KINDS, FACTS
from tests.eligibility.test_matching_seeded import AS_OF, seeded

REGIONS = ["370200", "370211", "370203", "370900", "370911", "370923", "370902-gaoxin", "110101"]


def _numbers(node: Any, out: set) -> set:
    """Every number a rule mentions (its edges)."""
    if isinstance(node, dict):
        for value in node.values():
            _numbers(value, out)
    elif isinstance(node, list):
        for value in node:
            _numbers(value, out)
    elif isinstance(node, int) and not isinstance(node, bool):
        out.add(node)
    return out


def _strings(node: Any, out: set) -> set:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("value", "stages") or isinstance(value, dict | list):
                _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)
    elif isinstance(node, str):
        out.add(node)
    return out


def population(rule: dict, names: list[str], size: int, rng: random.Random) -> list[dict]:
    """Random typed facts around the rule's own edges; each fact absent for 15% of the firms."""
    edges = sorted({n + d for n in _numbers(rule, set()) for d in (-1, 0, 1) if n + d >= 0})
    strings = [*sorted(_strings(rule, set())), "其他"]
    rows = []
    for _ in range(size):
        facts: dict[str, Any] = {}
        for name in {*names, "region_code", "beneficiary_kind"}:
            if rng.random() < 0.15:
                continue
            spec = FACTS[name]
            if name == "region_code":
                value: Any = rng.choice(REGIONS)
            elif name == "beneficiary_kind":
                value = rng.choice(list(BENEFICIARY_KINDS)) if rng.random() < 0.3 else "enterprise"
            elif spec.type == "integer":
                value = rng.choice(edges) if edges and rng.random() < 0.5 else rng.randint(0, 10**9)
            elif spec.type == "number":
                value = Decimal(rng.choice(edges or [0])) + Decimal(rng.choice([0, "0.5"]))
            elif spec.type == "boolean":
                value = rng.random() < 0.5
            elif spec.type == "date":
                value = date(1990, 1, 1) + timedelta(days=rng.randint(0, 13_000))
            elif spec.type == "list":
                pool = list(spec.choices or strings)
                value = rng.sample(pool, rng.randint(0, min(3, len(pool))))
            elif spec.type == "enum":
                value = rng.choice(list(spec.choices))
            else:
                value = rng.choice(strings)
            facts[name] = value
        rows.append(facts)
    return rows


def check(rule: dict, region: str | None, size: int = 600, seed: int = 7) -> bool:
    compiled = compile_rule(rule)
    rows = population(rule, list(compiled.fact_names), size, random.Random(seed))
    bulk = quick_many(compiled, FactColumns(rows), AS_OF, region)
    for i, facts in enumerate(rows):
        assert bulk.row(i) == compiled.quick(facts, AS_OF, region), (rule, facts)
    return bulk.vectorised


def test_every_seeded_rule_agrees_firm_by_firm():
    vectorised = {}
    for key, record in seeded().items():
        rule = dict(record["rule"])
        rule.setdefault("valid_from", record.get("valid_from"))
        rule.setdefault("valid_to", record.get("valid_to"))
        vectorised[key] = check(rule, str(record["region_code"]))
    # The benchmark's four rules run column-wise, not through the per-firm fallback.
    for key in (
        "qd-2024b2-compute-voucher-enterprise",
        "qd-2024b2-regional-equity-financing-reward",
        "qd-2024b2-finance-lease-award",
        "qd-2024b2-data-element-case-award",
    ):
        assert vectorised[key], key
    # So do staged payouts and choices between fixed or maximum-only awards (the nightly
    # re-match's slow cases before).
    for key in ("ta-dongping-ipo-staged-subsidy", "qd-2024b2-first-set-award"):
        assert vectorised[key], key
    assert sum(vectorised.values()) > len(vectorised) // 2


@pytest.mark.parametrize(
    "rule",
    [
        {  # not / any / all nesting, strict and inclusive, a date condition
            "conditions": {
                "all": [
                    {"not": {"fact": "credit_rating", "op": "eq", "value": "C", "label": "非C"}},
                    {
                        "any": [
                            {"fact": "employees", "op": "gte", "value": 10, "label": "≥10人"},
                            {
                                "fact": "annual_revenue_yuan",
                                "op": "gt",
                                "value": 5_000_000,
                                "label": "收入",
                            },
                        ]
                    },
                    {"fact": "founded_on", "op": "age_years_gte", "value": 3, "label": "成立满3年"},
                ]
            },
            "benefit": {"type": "fixed", "amount_yuan": 200_000, "cap_yuan": 150_000},
        },
        {  # a base plus a raised marginal rate, capped per claim and per year
            "annual_cap_yuan": 400_000,
            "conditions": {
                "fact": "qualifications",
                "op": "has_all",
                "value": ["srdi"],
                "label": "专精特新",
            },
            "benefit": {
                "type": "base_plus_marginal",
                "fact": "annual_revenue_yuan",
                "threshold_yuan": 1_000_000,
                "base_yuan": 50_000,
                "rate": "0.015",
                "cap_yuan": 500_000,
                "rate_overrides": [
                    {
                        "when": {"fact": "employees", "op": "lt", "value": 50, "label": "小于50人"},
                        "rate": "0.025",
                    },
                    {
                        "when": {
                            "fact": "credit_rating",
                            "op": "in",
                            "value": ["AAA"],
                            "label": "AAA",
                        },
                        "rate": "0.03",
                    },
                ],
            },
        },
        {  # a threshold given as a decimal on an integer fact; no benefit at all
            "conditions": {"fact": "employees", "op": "gt", "value": 9.5, "label": "多于9.5人"}
        },
        {  # a maximum only, for another beneficiary kind
            "beneficiary": "bank",
            "conditions": {
                "fact": "annual_revenue_yuan",
                "op": "lte",
                "value": 10**8,
                "label": "≤1亿",
            },
            "benefit": {"type": "max_only", "max_amount_yuan": 1_000_000},
        },
        {  # a choice: the first option that holds; an unknown one before it leaves it open
            "annual_cap_yuan": 1_200_000,
            "conditions": {"fact": "employees", "op": "gte", "value": 10, "label": "≥10人"},
            "benefit": {
                "type": "choose",
                "cap_yuan": 1_500_000,
                "options": [
                    {
                        "when": {
                            "fact": "model_kind",
                            "op": "eq",
                            "value": "general",
                            "label": "通用",
                        },
                        "benefit": {"type": "fixed", "amount_yuan": 2_000_000},
                    },
                    {
                        "when": {
                            "fact": "uses_city_compute_platform",
                            "op": "is_true",
                            "label": "算力平台",
                        },
                        "benefit": {"type": "max_only", "max_amount_yuan": 500_000},
                    },
                    {
                        "when": {
                            "fact": "annual_revenue_yuan",
                            "op": "gt",
                            "value": 5_000_000,
                            "label": "收入超过500万",
                        },
                        "benefit": {"type": "fixed", "amount_yuan": 300_000, "cap_yuan": 250_000},
                    },
                ],
            },
        },
        {  # staged payouts by ratio, capped per claim; a stage outside the staged ones is no
            "conditions": {
                "fact": "listing_board",
                "op": "ne",
                "value": "neeq",
                "label": "非新三板",
            },
            "benefit": {
                "type": "staged",
                "total_yuan": 5_000_000,
                "ratios": [1, 3, 4],
                "stage_fact": "listing_stage",
                "stages": ["signed", "counselling_filed", "application_accepted"],
                "cap_yuan": 1_800_000,
            },
        },
    ],
)
@pytest.mark.parametrize("region", [None, "370200", "370911"])
def test_rule_shapes_agree_firm_by_firm(rule, region):
    assert check(rule, region, seed=len(str(rule)))


def test_a_rule_out_of_force_is_no_for_everyone():
    rule = {
        "valid_to": "2020-12-31",
        "conditions": {"fact": "employees", "op": "gte", "value": 1, "label": "有员工"},
        "benefit": {"type": "fixed", "amount_yuan": 1},
    }
    compiled = compile_rule(rule)
    bulk = quick_many(compiled, FactColumns([{"employees": 5}, {}]), AS_OF)
    assert [bulk.row(i) for i in range(2)] == [(False, None, 1), (False, None, 1)]


def test_a_fact_no_firm_has_is_unknown_for_all():
    rule = {
        "conditions": {
            "any": [
                {"fact": "qualifications", "op": "has_any", "value": ["srdi"], "label": "专精特新"},
                {"fact": "uses_city_compute_platform", "op": "is_true", "label": "算力平台"},
            ]
        }
    }
    rows = [{"employees": 3}, {"uses_city_compute_platform": True}]
    bulk = quick_many(compile_rule(rule), FactColumns(rows), AS_OF)
    assert bulk.vectorised
    assert [bulk.row(i)[0] for i in range(2)] == [None, True]


# A rule reading integer, boolean and list facts, its benefit a rate of an integer fact.
MIXED_RULE = {
    "conditions": {
        "all": [
            {"fact": "uses_city_compute_platform", "op": "is_true", "label": "算力平台"},
            {"fact": "annual_revenue_yuan", "op": "gt", "value": 5_000_000, "label": "收入"},
            {
                "any": [
                    {"fact": "employees", "op": "gte", "value": 10, "label": "≥10人"},
                    {
                        "fact": "qualifications",
                        "op": "has_any",
                        "value": ["srdi", "little_giant"],
                        "label": "专精特新",
                    },
                ]
            },
        ]
    },
    "benefit": {"type": "percent", "fact": "compute_spend_yuan", "rate": "0.2", "cap_yuan": 10**6},
}


def _mixed_rows(size: int, rng: random.Random) -> list[dict]:
    rows = []
    for _ in range(size):
        facts: dict[str, Any] = {"region_code": rng.choice(REGIONS)}
        for name, value in (
            ("uses_city_compute_platform", rng.random() < 0.7),
            ("annual_revenue_yuan", rng.choice([5_000_000, 5_000_001, rng.randint(0, 10**7)])),
            ("employees", rng.randint(0, 20)),
            ("qualifications", rng.sample(["srdi", "little_giant", "tech_sme"], rng.randint(0, 2))),
            ("compute_spend_yuan", rng.randint(0, 10**7)),
        ):
            if rng.random() >= 0.1:
                facts[name] = value
        rows.append(facts)
    return rows


def _agrees(rule: dict, rows: list[dict], region: str | None = "370200") -> bool:
    compiled = compile_rule(rule)
    bulk = quick_many(compiled, FactColumns(rows), AS_OF, region)
    assert [bulk.row(i) for i in range(len(rows))] == [
        compiled.quick(facts, AS_OF, region) for facts in rows
    ]
    return bulk.vectorised


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("annual_revenue_yuan", True),  # a bool where an integer belongs
        ("annual_revenue_yuan", Decimal("5000000.5")),
        ("annual_revenue_yuan", 5_000_001.0),  # a float
        ("annual_revenue_yuan", 2**70),  # beyond int64
        ("employees", 10.0),
        ("uses_city_compute_platform", 1),  # an int where a bool belongs: not ``True``
        ("uses_city_compute_platform", "true"),
        ("qualifications", ("srdi",)),  # a tuple where a list belongs
        ("qualifications", "srdi"),  # a bare string: has_any reads its letters
        ("qualifications", ["srdi", 1]),
        ("employees", True),
        ("compute_spend_yuan", Decimal("300000")),  # the benefit's fact: the per-firm path
        ("compute_spend_yuan", 2**80),
    ],
)
@pytest.mark.parametrize("where", [(5,), (2100, 2599)])  # the first block; later ones only
def test_an_unparsed_value_gives_what_the_per_firm_path_gives(name, value, where):
    """Facts that did not come through ``parse_facts`` (a value of the wrong type, in the first
    block of firms or after whole blocks of well-typed ones) give what ``quick`` gives."""
    rows = _mixed_rows(2600, random.Random(11))
    for i in where:
        rows[i] = {**rows[i], "region_code": "370211", "uses_city_compute_platform": True}
        rows[i].update({"employees": 12, "annual_revenue_yuan": 6_000_000, name: value})
    _agrees(MIXED_RULE, rows)
    # The firms whose value differs from well-typed ones did reach the rule's conditions.
    compiled = compile_rule(MIXED_RULE)
    assert compiled.quick(rows[where[-1]], AS_OF, "370200")[0] is not False or name in (
        "uses_city_compute_platform",
        "annual_revenue_yuan",
    )


def test_columns_built_block_by_block_match_one_pass(monkeypatch):
    """Blocks of 7 firms: categories in order of first appearance over all blocks, lists that
    first appear in a late block, a column whose every block is empty of the fact."""
    rows = _mixed_rows(300, random.Random(3))
    for row in rows[:40]:
        row.pop("qualifications", None)
    one_pass = FactColumns(rows)
    monkeypatch.setattr("eligibility.columnar._BLOCK", 7)
    blocked = FactColumns(rows)
    names = ["qualifications", "region_code", "uses_city_compute_platform", "credit_rating"]
    blocked.prepare([(n, "categorical") for n in names] + [("employees", "numeric")])
    for name in names:
        a, b = one_pass.categorical(name), blocked.categorical(name)
        assert a.categories == b.categories, name
        assert a.codes.tolist() == b.codes.tolist(), name
        assert a.known.tolist() == b.known.tolist(), name
    a, b = one_pass.numeric("employees"), blocked.numeric("employees")
    assert (a.values.tolist(), a.known.tolist()) == (b.values.tolist(), b.known.tolist())
    assert _agrees(MIXED_RULE, rows)


def test_prepare_builds_every_column_the_rules_read_once():
    rows = _mixed_rows(50, random.Random(5))
    cols = FactColumns(rows)
    rules = [(compile_rule(MIXED_RULE), "370200"), (compile_rule(MIXED_RULE), None)]
    prepare(cols, rules, AS_OF)
    assert set(cols._numeric) == {"annual_revenue_yuan", "employees", "compute_spend_yuan"}
    assert set(cols._categorical) == {
        "beneficiary_kind",
        "region_code",
        "uses_city_compute_platform",
        "qualifications",
    }
    assert cols._raw == {}  # taken block by block, no whole-column pass
    for compiled, region in rules:
        bulk = quick_many(compiled, cols, AS_OF, region)
        assert [bulk.row(i) for i in range(len(rows))] == [
            compiled.quick(facts, AS_OF, region) for facts in rows
        ]
