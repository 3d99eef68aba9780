"""The eligibility engine: operators, three-valued logic, region and beneficiary, every benefit
type at and around its thresholds and caps, the seeded policies, and rule validation."""

from __future__ import annotations

import copy
import itertools
from datetime import date
from decimal import Decimal

import pytest

from eligibility.engine import (
    CompiledRule,
    RuleError,
    compile_rule,
    evaluate,
    format_rate,
    format_wan,
    validate_rule,
)

AS_OF = date(2024, 8, 1)


def leaf(fact, op, value=None, label=None):
    node = {"fact": fact, "op": op, "label": label or f"{fact} {op} {value}"}
    if value is not None:
        node["value"] = value
    return node


def run(rule, facts, *, region=None, as_of=AS_OF):
    """Evaluate, and check that the fast path agrees with the explained one."""
    result = evaluate(policy_region_code=region, rule=rule, facts=facts, as_of=as_of)
    quick = compile_rule(rule).quick(facts, as_of, region)
    assert quick == (result.eligible, result.amount_yuan, result.max_amount_yuan)
    return result


def passes(condition, facts, as_of=AS_OF):
    """The three-valued result of one condition."""
    return run({"conditions": condition}, facts, as_of=as_of).eligible


# -- money formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "text"),
    [
        (150000, "15万元"),
        (1234567, "123.4567万元"),
        (0, "0元"),
        (1000000, "100万元"),
        (10000, "1万元"),
        (15000, "1.5万元"),
        (5000, "5000元"),
        (500000000, "50000万元"),
    ],
)
def test_format_wan(yuan, text):
    assert format_wan(yuan) == text


def test_format_rate():
    assert format_rate(Decimal("0.02")) == "2%"
    assert format_rate(Decimal("0.008")) == "0.8%"
    assert format_rate(Decimal("1")) == "100%"


# -- operators ----------------------------------------------------------------------------------

REVENUE = "annual_revenue_yuan"


@pytest.mark.parametrize(
    ("op", "revenue", "expected"),
    [
        ("gt", 4_999_999, False),
        ("gt", 5_000_000, False),  # 超过: exclusive at the threshold
        ("gt", 5_000_001, True),
        ("gte", 4_999_999, False),
        ("gte", 5_000_000, True),  # 不低于: inclusive at the threshold
        ("lt", 4_999_999, True),
        ("lt", 5_000_000, False),
        ("lte", 5_000_000, True),  # 不超过
        ("lte", 5_000_001, False),
        ("eq", 5_000_000, True),
        ("eq", 5_000_001, False),
        ("ne", 5_000_000, False),
        ("ne", 1, True),
    ],
)
def test_comparison_operators_at_the_threshold(op, revenue, expected):
    assert passes(leaf(REVENUE, op, 5_000_000), {REVENUE: revenue}) is expected


def test_comparison_of_a_number_fact_with_a_fractional_threshold():
    condition = leaf("model_params_billion", "gte", 0.5)
    assert passes(condition, {"model_params_billion": Decimal("0.5")}) is True
    assert passes(condition, {"model_params_billion": Decimal("0.49")}) is False
    assert passes(leaf("model_params_billion", "gte", 1000), {"model_params_billion": 1000})


def test_in_operator():
    condition = leaf("credit_rating", "in", ["AAA", "AA"])
    assert passes(condition, {"credit_rating": "AA"}) is True
    assert passes(condition, {"credit_rating": "A+"}) is False
    assert passes(leaf("employees", "in", [10, 20]), {"employees": 20}) is True


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("is_true", True, True), ("is_true", False, False), ("is_false", False, True)],
)
def test_boolean_operators(op, value, expected):
    assert passes(leaf("model_filed", op), {"model_filed": value}) is expected


@pytest.mark.parametrize(
    ("op", "held", "expected"),
    [
        ("has_any", ["srdi"], True),
        ("has_any", ["tech_sme", "high_tech"], True),
        ("has_any", ["agri"], False),
        ("has_any", [], False),
        ("has_all", ["high_tech", "srdi", "agri"], True),
        ("has_all", ["high_tech"], False),
        ("has_all", [], False),
    ],
)
def test_list_operators(op, held, expected):
    condition = leaf("qualifications", op, ["high_tech", "srdi"])
    assert passes(condition, {"qualifications": held}) is expected


@pytest.mark.parametrize(
    ("outer", "firm", "expected"),
    [
        ("370900", "370911", True),  # a city policy applies to its districts
        ("370900", "370900", True),
        ("370911", "370902", False),  # a district policy does not apply to another district
        ("370902", "370902-gaoxin", True),  # a zone lies inside its district …
        ("370900", "370902-gaoxin", True),  # … and inside the city
        ("370902-gaoxin", "370902", False),  # the district is not inside its zone
        ("370200", "370911", False),
        ("370000", "370211", True),
    ],
)
def test_within(outer, firm, expected):
    assert passes(leaf("region_code", "within", outer), {"region_code": firm}) is expected


@pytest.mark.parametrize(
    ("founded", "op", "expected"),
    [
        (date(2021, 8, 1), "age_years_gte", True),  # exactly 3 years on as_of
        (date(2021, 8, 2), "age_years_gte", False),
        (date(2021, 8, 1), "age_years_lt", False),
        (date(2021, 8, 2), "age_years_lt", True),
        ("2021-08-01", "age_years_gte", True),  # unparsed ISO dates are accepted too
    ],
)
def test_age_operators(founded, op, expected):
    assert passes(leaf("founded_on", op, 3), {"founded_on": founded}) is expected


def test_age_on_29_february():
    condition = leaf("founded_on", "age_years_gte", 1)
    assert passes(condition, {"founded_on": date(2023, 2, 28)}, as_of=date(2024, 2, 29)) is True
    assert passes(condition, {"founded_on": date(2023, 3, 1)}, as_of=date(2024, 2, 29)) is False


def test_date_comparison():
    condition = leaf("founded_on", "gte", "2020-01-01")
    assert passes(condition, {"founded_on": date(2020, 1, 1)}) is True
    assert passes(condition, {"founded_on": date(2019, 12, 31)}) is False


def test_starts_with_for_industry_codes():
    condition = leaf("industry_code", "starts_with", ["C", "I65"])
    assert passes(condition, {"industry_code": "C38"}) is True
    assert passes(condition, {"industry_code": "I651"}) is True
    assert passes(condition, {"industry_code": "I64"}) is False


# -- three-valued logic -------------------------------------------------------------------------

T = leaf("model_filed", "is_true", label="已备案")
F = leaf("employees", "gte", 100, label="从业人员不少于100人")
U = leaf("model_scenarios", "gte", 3, label="典型应用场景不少于3个")
FACTS_TF = {"model_filed": True, "employees": 10}  # T true, F false, U missing


@pytest.mark.parametrize(
    ("condition", "eligible", "missing"),
    [
        (U, None, ["model_scenarios"]),
        ({"all": [T, U]}, None, ["model_scenarios"]),
        ({"all": [F, U]}, False, []),
        ({"all": [T, T]}, True, []),
        ({"any": [T, U]}, True, []),
        ({"any": [F, U]}, None, ["model_scenarios"]),
        ({"any": [F, F]}, False, []),
        ({"not": U}, None, ["model_scenarios"]),
        ({"not": F}, True, []),
        ({"not": T}, False, []),
        ({"all": [T, {"any": [F, U]}]}, None, ["model_scenarios"]),
        ({"any": [{"all": [T, U]}, {"all": [F, U]}]}, None, ["model_scenarios"]),
    ],
)
def test_three_valued_logic(condition, eligible, missing):
    result = run({"conditions": condition}, FACTS_TF)
    assert result.eligible is eligible
    assert result.missing_facts == missing


def test_a_missing_fact_is_never_false_or_zero():
    result = run({"conditions": leaf("employees", "lt", 5, label="从业人员少于5人")}, {})
    assert result.eligible is None
    assert result.conditions[0].passed is None
    assert result.missing_facts == ["employees"]
    assert result.unmet == []


def test_conditions_lists_every_leaf_even_after_a_failure():
    result = run({"conditions": {"all": [F, T, U]}}, FACTS_TF)
    assert [(c.label, c.passed) for c in result.conditions] == [
        ("从业人员不少于100人", False),
        ("已备案", True),
        ("典型应用场景不少于3个", None),
    ]
    assert result.conditions[0].fact == "employees"
    assert result.conditions[0].value_used == 10
    assert result.unmet == ["未满足：从业人员不少于100人（从业人员：10人）"]


def test_unmet_texts_for_any_and_not():
    money = leaf(REVENUE, "gt", 5_000_000, label="主营业务收入超过500万元")
    result = run({"conditions": {"all": [money, {"any": [F, T]}]}}, {REVENUE: 3_000_000})
    assert result.eligible is False
    assert result.unmet == ["未满足：主营业务收入超过500万元（上年度主营业务收入：300万元）"]
    result = run({"conditions": {"any": [F, {"not": T}]}}, FACTS_TF)
    assert result.unmet == ["未满足以下任一条件：从业人员不少于100人；不属于：已备案"]
    result = run({"conditions": {"not": T}}, FACTS_TF)
    assert result.unmet == ["存在排除情形：已备案"]


def test_facts_used():
    result = run({"conditions": {"all": [F, T, U]}}, {**FACTS_TF, "region_code": "370911"})
    assert result.facts_used == {"employees": 10, "model_filed": True}
    result = run({"conditions": F}, {"employees": 10, "region_code": "370911"}, region="370900")
    assert result.facts_used == {"employees": 10, "region_code": "370911"}


# -- region, beneficiary, period ----------------------------------------------------------------

RULE_FIXED = {"benefit": {"type": "fixed", "amount_yuan": 100_000}}


@pytest.mark.parametrize(
    ("policy_region", "firm_region", "eligible"),
    [
        ("370900", "370911", True),  # a city policy applies to a district
        ("370911", "370902", False),  # a district policy does not apply to another district
        ("370902", "370902-gaoxin", True),  # the zone is inside 370902 …
        ("370900", "370902-gaoxin", True),  # … and inside 370900
        ("370902-gaoxin", "370902-gaoxin", True),
        ("370902-gaoxin", "370902", False),
    ],
)
def test_policy_region(policy_region, firm_region, eligible):
    result = run(RULE_FIXED, {"region_code": firm_region}, region=policy_region)
    assert result.eligible is eligible
    if not eligible:
        assert result.unmet == [
            f"不在政策适用区域（政策适用区域{policy_region}，企业注册地{firm_region}）"
        ]
        assert result.amount_yuan is None
        assert result.max_amount_yuan == 100_000


def test_missing_region_is_a_missing_fact():
    result = run(RULE_FIXED, {}, region="370900")
    assert result.eligible is None
    assert result.missing_facts == ["region_code"]
    assert result.amount_yuan == 100_000  # what the firm would get if it is inside


def test_no_policy_region_means_no_region_check():
    assert run(RULE_FIXED, {}).eligible is True


def test_outside_the_region_is_false_even_when_other_facts_are_missing():
    rule = {**RULE_FIXED, "conditions": U}
    result = run(rule, {"region_code": "370211"}, region="370900")
    assert result.eligible is False
    assert result.missing_facts == []


def test_beneficiary_defaults_to_enterprise():
    bank_rule = {**RULE_FIXED, "beneficiary": "bank"}
    result = run(bank_rule, {})
    assert result.eligible is False
    assert result.unmet == ["政策对象为银行机构，申请主体为企业"]
    assert run(bank_rule, {"beneficiary_kind": "bank"}).eligible is True
    assert run(RULE_FIXED, {"beneficiary_kind": "enterprise"}).eligible is True
    assert run(RULE_FIXED, {"beneficiary_kind": "guarantor"}).eligible is False


def test_period_of_validity_is_inclusive():
    rule = {**RULE_FIXED, "valid_from": "2024-01-01", "valid_to": date(2024, 12, 31)}
    assert run(rule, {}, as_of=date(2024, 1, 1)).eligible is True
    assert run(rule, {}, as_of=date(2024, 12, 31)).eligible is True
    result = run(rule, {}, as_of=date(2025, 1, 1))
    assert result.eligible is False
    assert result.unmet[0].startswith("不在政策条款有效期内")
    assert compile_rule(rule).in_force(date(2023, 12, 31)) is False


# -- benefits: fixed, max_only, percent ---------------------------------------------------------


def test_fixed():
    result = run(RULE_FIXED, {})
    assert (result.eligible, result.amount_yuan, result.max_amount_yuan) == (True, 100_000, 100_000)
    assert result.formula == "定额10万元"
    capped = run({"benefit": {"type": "fixed", "amount_yuan": 100_000, "cap_yuan": 80_000}}, {})
    assert (capped.amount_yuan, capped.max_amount_yuan) == (80_000, 80_000)


def test_no_benefit_means_no_amount():
    result = run({"conditions": T}, FACTS_TF)
    assert (result.eligible, result.amount_yuan, result.max_amount_yuan) == (True, None, None)
    assert result.formula is None


def test_max_only():
    rule = {
        "conditions": T,
        "benefit": {"type": "max_only", "max_amount_yuan": 1_000_000, "note": "按实际评审确定"},
    }
    result = run(rule, FACTS_TF)
    assert (result.eligible, result.amount_yuan, result.max_amount_yuan) == (True, None, 1_000_000)
    assert result.benefit_note == "按实际评审确定"
    assert result.formula is None


PERCENT = {
    "benefit": {
        "type": "percent",
        "fact": "compute_spend_yuan",
        "rate": "0.3",
        "cap_yuan": 3_000_000,
    }
}


@pytest.mark.parametrize(
    ("spend", "amount", "formula"),
    [
        (0, 0, "0元 × 30% = 0元"),
        (1_000_000, 300_000, "100万元 × 30% = 30万元"),
        (10_000_000, 3_000_000, "1000万元 × 30% = 300万元"),  # exactly at the cap
        (10_000_001, 3_000_000, "1000.0001万元 × 30% = 300万元"),  # 3000000.3 rounds down
        (
            10_000_002,
            3_000_000,
            "1000.0002万元 × 30% = 300.0001万元，超过上限300万元，按300万元计",
        ),
        (20_000_000, 3_000_000, "2000万元 × 30% = 600万元，超过上限300万元，按300万元计"),
        (12_345, 3_704, "1.2345万元 × 30% = 3704元"),  # 3703.5 rounds half up
    ],
)
def test_percent(spend, amount, formula):
    result = run(PERCENT, {"compute_spend_yuan": spend})
    assert result.eligible is True
    assert result.amount_yuan == amount
    assert result.max_amount_yuan == 3_000_000
    assert result.formula == formula


def test_percent_with_the_fact_missing():
    result = run(PERCENT, {})
    assert result.eligible is True  # the conditions decide eligibility; the amount is open
    assert result.amount_yuan is None
    assert result.max_amount_yuan == 3_000_000
    assert result.missing_facts == ["compute_spend_yuan"]
    assert result.formula is None


def test_percent_without_cap_has_no_maximum():
    rule = {"benefit": {"type": "percent", "fact": "loan_amount_yuan", "rate": "0.01"}}
    result = run(rule, {"loan_amount_yuan": 1_000_000})
    assert (result.amount_yuan, result.max_amount_yuan) == (10_000, None)


def test_percent_per_unit_of_a_counted_fact(extra_labs_fact):
    rule = {"benefit": {"type": "percent", "fact": "labs_accepted", "rate": "50000"}}
    result = run(rule, {"labs_accepted": 3})
    assert result.amount_yuan == 150_000
    assert result.formula == "3间 × 50000元/间 = 15万元"


@pytest.fixture
def extra_labs_fact():
    from eligibility.facts import register_fact, unregister_fact

    register_fact("labs_accepted", "integer", "通过验收的实验室数量", "间")
    yield
    unregister_fact("labs_accepted")


# -- benefits: base_plus_marginal (区域性股权市场直接融资奖励, 青岛) --------------------------------

REGIONAL_EQUITY = {
    "valid_from": "2024-07-17",
    "beneficiary": "enterprise",
    "conditions": {
        "all": [
            leaf("listed_on_regional_equity_market", "is_true", label="在区域性股权交易市场挂牌"),
            leaf(
                "regional_equity_direct_financing_yuan",
                "gte",
                1_000_000,
                label="年度累计直接融资额达到100万元（含）",
            ),
        ]
    },
    "benefit": {
        "type": "base_plus_marginal",
        "fact": "regional_equity_direct_financing_yuan",
        "threshold_yuan": 1_000_000,
        "base_yuan": 100_000,
        "rate": "0.02",
        "cap_yuan": 500_000,
    },
}


def equity(amount, **more):
    facts = {"listed_on_regional_equity_market": True, "region_code": "370211", **more}
    if amount is not None:
        facts["regional_equity_direct_financing_yuan"] = amount
    return run(REGIONAL_EQUITY, facts, region="370200")


def test_regional_equity_reward_350_wan():
    result = equity(3_500_000)
    assert result.eligible is True
    assert result.amount_yuan == 150_000
    assert result.max_amount_yuan == 500_000
    assert result.formula == "10万元 + (350万元 − 100万元) × 2% = 15万元"
    assert all(c.passed for c in result.conditions)


@pytest.mark.parametrize(
    ("financing", "amount"),
    [
        (1_000_000, 100_000),  # at the threshold: the base
        (1_000_001, 100_000),  # just above: + 0.02 yuan rounds away
        (1_000_025, 100_001),  # + 0.5 yuan rounds half up
        (21_000_000, 500_000),  # exactly at the cap
        (21_000_050, 500_000),  # just above the cap
        (30_000_000, 500_000),
    ],
)
def test_regional_equity_reward_around_threshold_and_cap(financing, amount):
    result = equity(financing)
    assert result.eligible is True
    assert result.amount_yuan == amount
    assert result.max_amount_yuan == 500_000


def test_regional_equity_reward_formulas_at_threshold_and_above_cap():
    assert equity(1_000_000).formula == "10万元 + (100万元 − 100万元) × 2% = 10万元"
    assert equity(21_000_000).formula == "10万元 + (2100万元 − 100万元) × 2% = 50万元"
    assert equity(30_000_000).formula == (
        "10万元 + (3000万元 − 100万元) × 2% = 68万元，超过上限50万元，按50万元计"
    )


def test_regional_equity_reward_below_threshold_and_missing():
    below = equity(999_999)
    assert below.eligible is False
    assert below.amount_yuan is None
    assert below.unmet == [
        "未满足：年度累计直接融资额达到100万元（含）（区域性股权市场年度累计直接融资额：99.9999万元）"
    ]
    missing = equity(None)
    assert missing.eligible is None
    assert missing.amount_yuan is None
    assert missing.max_amount_yuan == 500_000
    assert missing.missing_facts == ["regional_equity_direct_financing_yuan"]


def test_base_plus_marginal_below_threshold_without_a_condition_is_not_eligible():
    rule = {"benefit": REGIONAL_EQUITY["benefit"]}
    result = run(rule, {"regional_equity_direct_financing_yuan": 500_000})
    assert result.eligible is False
    assert result.unmet == ["区域性股权市场年度累计直接融资额50万元，未达到奖补起点100万元"]
    result = run(rule, {})
    assert (result.eligible, result.amount_yuan, result.max_amount_yuan) == (True, None, 500_000)
    assert result.missing_facts == ["regional_equity_direct_financing_yuan"]


def test_regional_equity_reward_outside_qingdao():
    result = equity(3_500_000, region_code="370911")
    assert result.eligible is False
    assert result.unmet[0].startswith("不在政策适用区域（")


def test_annual_cap_applies_to_a_single_claim():
    rule = copy.deepcopy(REGIONAL_EQUITY)
    rule["annual_cap_yuan"] = 120_000
    result = run(rule, {"listed_on_regional_equity_market": True, **_financing(3_500_000)})
    assert (result.amount_yuan, result.max_amount_yuan) == (120_000, 120_000)
    assert result.formula.endswith("，超过年度上限12万元，按12万元计")
    assert compile_rule(rule).max_amount_yuan == 120_000


def _financing(amount):
    return {"regional_equity_direct_financing_yuan": amount}


# -- benefits: percent with rate_overrides (融资租赁) ---------------------------------------------

# The seed: 直租业务或承租人被认定为专精特新、专精特新"小巨人"、省瞪羚、独角兽企业的 … 可提高至1%。
QUALIFIED = ["srdi", "little_giant", "gazelle", "unicorn"]
LEASING = {
    "beneficiary": "leasing_company",
    "annual_cap_yuan": 3_000_000,  # 每家企业每年不超过300万元
    "conditions": leaf("lease_amount_yuan", "gt", 0, label="开展中小企业融资租赁业务"),
    "benefit": {
        "type": "percent",
        "fact": "lease_amount_yuan",
        "rate": "0.008",
        "rate_overrides": [
            {
                "when": {
                    "any": [
                        leaf("lease_is_direct", "is_true", label="直租业务"),
                        leaf(
                            "lessee_qualifications",
                            "has_any",
                            QUALIFIED,
                            label="承租人为专精特新、“小巨人”、省瞪羚或独角兽企业",
                        ),
                    ]
                },
                "rate": "0.01",
                "label": "直租或承租人为专精特新等优质中小企业",
            }
        ],
    },
}


def lease(**facts):
    return run(LEASING, {"beneficiary_kind": "leasing_company", **facts})


def test_leasing_ordinary_rate():
    result = lease(lease_amount_yuan=100_000_000, lease_is_direct=False, lessee_qualifications=[])
    assert (result.eligible, result.amount_yuan, result.max_amount_yuan) == (
        True,
        800_000,
        3_000_000,
    )
    assert result.formula == "10000万元 × 0.8% = 80万元"


def test_leasing_direct_lease_gets_one_percent():
    result = lease(lease_amount_yuan=100_000_000, lease_is_direct=True)
    assert result.amount_yuan == 1_000_000
    assert result.formula == "10000万元 × 1%（直租或承租人为专精特新等优质中小企业） = 100万元"


@pytest.mark.parametrize("qualification", QUALIFIED)
def test_leasing_qualified_lessee_gets_one_percent(qualification):
    result = lease(
        lease_amount_yuan=100_000_000,
        lease_is_direct=False,
        lessee_qualifications=[qualification],
    )
    assert result.amount_yuan == 1_000_000


@pytest.mark.parametrize("qualification", ["high_tech", "tech_sme", "agri"])
def test_leasing_other_lessee_tags_keep_the_ordinary_rate(qualification):
    result = lease(
        lease_amount_yuan=100_000_000,
        lease_is_direct=False,
        lessee_qualifications=[qualification],
    )
    assert result.amount_yuan == 800_000


def test_leasing_rate_override_without_a_label_describes_its_condition():
    rule = copy.deepcopy(LEASING)
    del rule["benefit"]["rate_overrides"][0]["label"]
    result = run(
        rule,
        {
            "beneficiary_kind": "leasing_company",
            "lease_amount_yuan": 1_000_000,
            "lease_is_direct": True,
        },
    )
    assert result.formula == (
        "100万元 × 1%（直租业务或承租人为专精特新、“小巨人”、省瞪羚或独角兽企业） = 1万元"
    )


@pytest.mark.parametrize(
    ("amount", "direct", "expected"),
    [
        (375_000_000, False, 3_000_000),  # 0.8% exactly at the cap
        (375_000_100, False, 3_000_000),
        (300_000_000, True, 3_000_000),  # 1% exactly at the cap
        (500_000_000, True, 3_000_000),
        (299_999_900, True, 2_999_999),
    ],
)
def test_leasing_cap(amount, direct, expected):
    result = lease(lease_amount_yuan=amount, lease_is_direct=direct, lessee_qualifications=[])
    assert result.amount_yuan == expected
    assert result.max_amount_yuan == 3_000_000


def test_leasing_with_an_undecidable_rate():
    result = lease(lease_amount_yuan=100_000_000, lessee_qualifications=[])
    assert result.eligible is True
    assert result.amount_yuan is None
    assert result.max_amount_yuan == 3_000_000
    assert result.missing_facts == ["lease_is_direct"]
    # A qualified lessee decides the rate without knowing whether the lease is direct.
    decided = lease(lease_amount_yuan=100_000_000, lessee_qualifications=["gazelle"])
    assert decided.amount_yuan == 1_000_000
    assert decided.missing_facts == []


def test_leasing_policy_is_not_for_enterprises():
    result = run(LEASING, {"lease_amount_yuan": 100_000_000, "lease_is_direct": True})
    assert result.eligible is False
    assert result.unmet == ["政策对象为融资租赁公司，申请主体为企业"]


# -- benefits: tiers ----------------------------------------------------------------------------

TIERS = {
    "benefit": {
        "type": "tiers",
        "fact": "data_trading_volume_yuan",
        "tiers": [
            {"gte": 1_000_000, "lt": 5_000_000, "amount_yuan": 100_000},
            {"gte": 5_000_000, "rate": "0.03"},
        ],
        "cap_yuan": 300_000,
    }
}


@pytest.mark.parametrize(
    ("volume", "amount", "formula"),
    [
        (1_000_000, 100_000, "100万元，属于100万元（含）至500万元档：10万元"),
        (4_999_999, 100_000, "499.9999万元，属于100万元（含）至500万元档：10万元"),
        (5_000_000, 150_000, "500万元 × 3% = 15万元（500万元（含）以上档）"),
        (10_000_000, 300_000, "1000万元 × 3% = 30万元（500万元（含）以上档）"),
        (
            20_000_000,
            300_000,
            "2000万元 × 3% = 60万元（500万元（含）以上档），超过上限30万元，按30万元计",
        ),
    ],
)
def test_tiers(volume, amount, formula):
    result = run(TIERS, {"data_trading_volume_yuan": volume})
    assert result.eligible is True
    assert (result.amount_yuan, result.max_amount_yuan) == (amount, 300_000)
    assert result.formula == formula


def test_tiers_below_every_tier_and_missing():
    below = run(TIERS, {"data_trading_volume_yuan": 999_999})
    assert below.eligible is False
    assert below.unmet == ["年度数据产品流通交易额99.9999万元，不在任何奖补档次内"]
    missing = run(TIERS, {})
    assert (missing.eligible, missing.amount_yuan, missing.max_amount_yuan) == (True, None, 300_000)
    assert missing.missing_facts == ["data_trading_volume_yuan"]


def test_fixed_tiers_give_their_highest_amount_as_maximum():
    rule = {
        "benefit": {
            "type": "tiers",
            "fact": "data_trading_rank",
            "tiers": [
                {"lt": 4, "amount_yuan": 500_000, "label": "前三名"},
                {"gte": 4, "lt": 11, "amount_yuan": 200_000, "label": "第四至十名"},
            ],
        }
    }
    first = run(rule, {"data_trading_rank": 1})
    assert (first.amount_yuan, first.max_amount_yuan) == (500_000, 500_000)
    assert first.formula == "1名，属于前三名：50万元"
    assert run(rule, {"data_trading_rank": 10}).amount_yuan == 200_000
    assert run(rule, {"data_trading_rank": 11}).eligible is False


# -- benefits: staged (东平 IPO 500万 1:3:4:2) ------------------------------------------------------

DONGPING_IPO = {
    "beneficiary": "enterprise",
    "conditions": leaf("listing_board", "in", ["main", "star", "chinext", "bse"], label="境内上市"),
    "benefit": {
        "type": "staged",
        "total_yuan": 5_000_000,
        "ratios": [1, 3, 4, 2],
        "stage_fact": "listing_stage",
        "stages": ["signed", "counselling_filed", "application_accepted", "listed"],
        "stage_labels": ["签订辅导协议", "辅导备案", "申报材料获受理", "成功上市"],
    },
}


@pytest.mark.parametrize(
    ("stage", "amount", "formula"),
    [
        ("signed", 500_000, "签订辅导协议：500万元 × 1/10 = 50万元"),
        ("counselling_filed", 1_500_000, "辅导备案：500万元 × 3/10 = 150万元"),
        ("application_accepted", 2_000_000, "申报材料获受理：500万元 × 4/10 = 200万元"),
        ("listed", 1_000_000, "成功上市：500万元 × 2/10 = 100万元"),
    ],
)
def test_dongping_ipo_stages(stage, amount, formula):
    facts = {"listing_board": "main", "listing_stage": stage, "region_code": "370923"}
    result = run(DONGPING_IPO, facts, region="370923")
    assert result.eligible is True
    assert (result.amount_yuan, result.max_amount_yuan) == (amount, 5_000_000)
    assert result.formula == formula


def test_dongping_ipo_stage_missing():
    result = run(DONGPING_IPO, {"listing_board": "star"})
    assert (result.eligible, result.amount_yuan, result.max_amount_yuan) == (True, None, 5_000_000)
    assert result.missing_facts == ["listing_stage"]


def test_dongping_ipo_not_for_another_county():
    facts = {"listing_board": "main", "listing_stage": "listed", "region_code": "370921"}
    assert run(DONGPING_IPO, facts, region="370923").eligible is False


def test_staged_shares_always_add_up_to_the_total():
    rule = copy.deepcopy(DONGPING_IPO)
    rule["benefit"].update(
        total_yuan=1_000_001, ratios=[1, 1, 1], stages=["signed", "listed", "counselling_filed"]
    )
    del rule["benefit"]["stage_labels"]
    shares = [
        run(rule, {"listing_board": "main", "listing_stage": s}).amount_yuan
        for s in ("signed", "listed", "counselling_filed")
    ]
    assert shares == [333_334, 333_333, 333_334]
    assert sum(shares) == 1_000_001


def test_staged_stage_outside_the_stages():
    rule = copy.deepcopy(DONGPING_IPO)
    rule["benefit"].update(ratios=[1, 1], stages=["signed", "listed"])
    del rule["benefit"]["stage_labels"]
    result = run(rule, {"listing_board": "main", "listing_stage": "counselling_filed"})
    assert result.eligible is False
    assert result.unmet == [
        "上市进程阶段为“辅导备案”，不在分阶段奖补的阶段（签订上市辅导协议、成功上市）之内"
    ]


# -- benefits: choose (首台(套) national 150万 / provincial 100万) ----------------------------------

FIRST_SET = {
    "conditions": leaf("first_set_kind", "in", ["equipment", "core_component"], label="首台（套）"),
    "benefit": {
        "type": "choose",
        "options": [
            {
                "when": leaf("first_set_level", "eq", "national", label="国家级首台（套）"),
                "benefit": {"type": "fixed", "amount_yuan": 1_500_000},
            },
            {
                "when": leaf("first_set_level", "eq", "provincial", label="省级首台（套）"),
                "benefit": {"type": "fixed", "amount_yuan": 1_000_000},
            },
        ],
    },
}


@pytest.mark.parametrize(
    ("level", "amount", "formula"),
    [
        ("national", 1_500_000, "国家级首台（套）：定额150万元"),
        ("provincial", 1_000_000, "省级首台（套）：定额100万元"),
    ],
)
def test_first_set_choose(level, amount, formula):
    result = run(FIRST_SET, {"first_set_kind": "equipment", "first_set_level": level})
    assert result.eligible is True
    assert (result.amount_yuan, result.max_amount_yuan) == (amount, amount)
    assert result.formula == formula


def test_first_set_level_missing():
    # The level decides whether any option holds (a municipal 首台（套） gets nothing), so a
    # missing level leaves eligibility undecided: never taken as satisfied.
    result = run(FIRST_SET, {"first_set_kind": "equipment"})
    assert result.eligible is None
    assert (result.amount_yuan, result.max_amount_yuan) == (None, 1_500_000)
    assert result.missing_facts == ["first_set_level"]


def test_choose_with_max_only_options():
    rule = copy.deepcopy(FIRST_SET)
    for option, cap in zip(rule["benefit"]["options"], (1_500_000, 1_000_000), strict=True):
        option["benefit"] = {"type": "max_only", "max_amount_yuan": cap}
    result = run(rule, {"first_set_kind": "equipment", "first_set_level": "provincial"})
    assert (result.eligible, result.amount_yuan, result.max_amount_yuan) == (True, None, 1_000_000)
    assert result.formula is None


def test_choose_when_no_option_holds():
    rule = copy.deepcopy(FIRST_SET)
    rule["benefit"]["options"].pop()
    result = run(rule, {"first_set_kind": "equipment", "first_set_level": "provincial"})
    assert result.eligible is False
    assert result.unmet == ["不符合任何一种奖补情形：国家级首台（套）"]
    assert result.max_amount_yuan == 1_500_000


# -- consistency of the fast path ---------------------------------------------------------------


def test_quick_agrees_with_evaluate_on_many_fact_combinations():
    rules = [REGIONAL_EQUITY, LEASING, DONGPING_IPO, FIRST_SET, TIERS, PERCENT]
    values = {
        "listed_on_regional_equity_market": [None, True, False],
        "regional_equity_direct_financing_yuan": [None, 999_999, 3_500_000, 40_000_000],
        "lease_is_direct": [None, True, False],
        "lessee_qualifications": [None, [], ["srdi"]],
        "listing_stage": [None, "signed", "listed"],
        "first_set_level": [None, "national"],
        "region_code": [None, "370211", "370923"],
        "beneficiary_kind": [None, "leasing_company"],
    }
    names = list(values)
    count = 0
    for combo in itertools.product(*values.values()):
        facts = {n: v for n, v in zip(names, combo, strict=True) if v is not None}
        facts.setdefault("lease_amount_yuan", 100_000_000)
        facts.setdefault("listing_board", "main")
        facts.setdefault("first_set_kind", "equipment")
        for rule in rules:
            for region in (None, "370200"):
                run(rule, facts, region=region)  # asserts quick == evaluate
                count += 1
    assert count > 10_000


def test_evaluate_accepts_a_compiled_rule_and_compile_is_reusable():
    compiled = compile_rule(REGIONAL_EQUITY)
    assert isinstance(compiled, CompiledRule)
    facts = {"listed_on_regional_equity_market": True, **_financing(3_500_000)}
    result = evaluate(policy_region_code=None, rule=compiled, facts=facts, as_of=AS_OF)
    assert result.amount_yuan == 150_000
    assert compiled.fact_names == (
        "listed_on_regional_equity_market",
        "regional_equity_direct_financing_yuan",
    )
    assert compiled.max_amount_yuan == 500_000
    assert result.to_dict()["conditions"][0] == {
        "label": "在区域性股权交易市场挂牌",
        "passed": True,
        "fact": "listed_on_regional_equity_market",
    }


# -- validate_rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule", [REGIONAL_EQUITY, LEASING, TIERS, DONGPING_IPO, FIRST_SET, PERCENT, RULE_FIXED, {}]
)
def test_valid_rules_have_no_errors(rule):
    assert validate_rule(rule) == []


def with_benefit(**benefit):
    return {"benefit": benefit}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("not a rule", "规则应为映射（键值对）"),
        ({"benefits": {}}, "规则中有未知字段：benefits"),
        ({"valid_from": "2024-13-01"}, "valid_from：应为 YYYY-MM-DD 格式的日期"),
        ({"valid_from": "2024-06-01", "valid_to": "2024-01-01"}, "valid_to：截止日期早于起始日期"),
        ({"beneficiary": "person"}, "beneficiary：未知的政策对象“person”"),
        ({"one_time": "yes"}, "one_time：应为布尔值（true 或 false）"),
        ({"annual_cap_yuan": -5}, "annual_cap_yuan：应为以元为单位的非负整数"),
        ({"conditions": leaf("employees", "gtt", 5)}, "conditions：未知的运算符“gtt”"),
        (
            {"conditions": {"fact": "employees", "op": "gt", "value": 5}},
            "conditions：缺少中文说明（label）",
        ),
        ({"conditions": leaf("turnover", "gt", 5)}, "conditions：未知的事实名称“turnover”"),
        ({"conditions": {"all": []}}, "conditions.all：应为非空的条件列表"),
        (
            {"conditions": {"all": [T], "any": [T]}},
            "conditions：一个条件只能是 all、any、not、fact 之一",
        ),
        ({"conditions": {"op": "gt"}}, "conditions：条件缺少 fact（或 all、any、not）"),
        (
            {"conditions": {"all": [T, leaf("employees", "gt", "5")]}},
            "conditions.all[1]（employees gt）：value 应为数值",
        ),
        ({"conditions": leaf("employees", "gt")}, "conditions（employees gt）：缺少 value"),
        (
            {"conditions": leaf("employees", "is_true")},
            "conditions（employees is_true）：is_true 只能用于布尔事实，employees 的类型为 integer",
        ),
        ({"conditions": leaf("employees", "has_any", ["x"])}, "has_any 只能用于列表事实"),
        ({"conditions": leaf("qualifications", "has_any", ["famous"])}, "未知的代码“famous”"),
        (
            {"conditions": leaf("qualifications", "eq", "srdi")},
            "eq 不能用于列表事实，请用 has_any 或 has_all",
        ),
        ({"conditions": leaf("listing_stage", "eq", "ipo")}, "“ipo”不是 listing_stage 的可选值"),
        (
            {"conditions": leaf("region_code", "within", "3709")},
            "value “3709”不是有效的行政区划代码",
        ),
        ({"conditions": leaf("employees", "within", "370900")}, "within 只能用于行政区划代码事实"),
        ({"conditions": leaf("founded_on", "age_years_gte", 2.5)}, "value 应为非负整数（年数）"),
        (
            {"conditions": leaf("founded_on", "gte", "2020/01/01")},
            "value 应为 YYYY-MM-DD 格式的日期",
        ),
        ({"conditions": {**T, "extra": 1}}, "conditions：条件中有未知字段：extra"),
        (with_benefit(type="lottery"), "benefit.type：未知的奖补类型“lottery”"),
        (with_benefit(type="fixed"), "benefit：fixed 奖补缺少字段：amount_yuan"),
        (
            with_benefit(type="fixed", amount_yuan=1.5),
            "benefit.amount_yuan：应为以元为单位的非负整数",
        ),
        (
            with_benefit(type="fixed", amount_yuan=True),
            "benefit.amount_yuan：应为以元为单位的非负整数",
        ),
        (
            with_benefit(type="fixed", amount_yuan=1, rate="0.1"),
            "benefit：fixed 奖补中有未知字段：rate",
        ),
        (
            with_benefit(type="percent", fact="loan_amount_yuan", rate=0.02),
            "benefit.rate：比例应写成字符串形式的小数",
        ),
        (
            with_benefit(type="percent", fact="loan_amount_yuan", rate="2%"),
            "benefit.rate：“2%”不是小数",
        ),
        (
            with_benefit(type="percent", fact="loan_amount_yuan", rate="2"),
            "benefit.rate：“2”大于1（100%）",
        ),
        (
            with_benefit(type="percent", fact="loan_amount_yuan", rate="-0.1"),
            "benefit.rate：“-0.1”应为非负的小数",
        ),
        (
            with_benefit(type="percent", fact="loan_purpose", rate="0.1"),
            "benefit.fact：应为数值事实",
        ),
        (
            with_benefit(type="percent", fact="nope", rate="0.1"),
            "benefit.fact：未知的事实名称“nope”",
        ),
        (
            with_benefit(
                type="percent",
                fact="loan_amount_yuan",
                rate="0.1",
                rate_overrides=[{"rate": "0.2"}],
            ),
            "benefit.rate_overrides[0]：缺少 when 条件",
        ),
        (
            with_benefit(
                type="percent",
                fact="loan_amount_yuan",
                rate="0.1",
                rate_overrides=[{"when": T, "rate": 0.2}],
            ),
            "benefit.rate_overrides[0].rate：比例应写成字符串形式的小数",
        ),
        (
            with_benefit(
                type="tiers", fact="loan_amount_yuan", tiers=[{"gte": 5, "lt": 1, "amount_yuan": 1}]
            ),
            "benefit.tiers[0]：gte 应小于 lt",
        ),
        (
            with_benefit(
                type="tiers",
                fact="loan_amount_yuan",
                tiers=[{"gte": 5, "amount_yuan": 1, "rate": "0.1"}],
            ),
            "每个档次须有且只有 amount_yuan 或 rate 之一",
        ),
        (
            with_benefit(
                type="staged",
                total_yuan=5_000_000,
                ratios=[1, 3, 4],
                stage_fact="listing_stage",
                stages=["signed", "counselling_filed", "application_accepted", "listed"],
            ),
            "benefit：ratios 有 3 项而 stages 有 4 项，两者应一一对应",
        ),
        (
            with_benefit(
                type="staged",
                total_yuan=5_000_000,
                ratios=[1, 0],
                stage_fact="listing_stage",
                stages=["signed", "listed"],
            ),
            "benefit.ratios：应为正整数列表",
        ),
        (
            with_benefit(
                type="staged",
                total_yuan=5_000_000,
                ratios=[1, 1],
                stage_fact="listing_stage",
                stages=["signed", "ipo"],
            ),
            "benefit.stages：ipo 不是 listing_stage 的可选值",
        ),
        (
            with_benefit(
                type="staged",
                total_yuan=5_000_000,
                ratios=[1, 1],
                stage_fact="listing_stage",
                stages=["signed", "listed"],
                stage_labels=["签约"],
            ),
            "benefit.stage_labels：项数应与 stages 相同",
        ),
        (with_benefit(type="choose", options=[]), "benefit.options：应为非空列表"),
        (
            with_benefit(
                type="choose",
                options=[
                    {
                        "when": {"fact": "first_set_level", "op": "eq", "value": "national"},
                        "benefit": {"type": "fixed", "amount_yuan": 1},
                    }
                ],
            ),
            "benefit.options[0].when：缺少中文说明（label）",
        ),
        (
            with_benefit(type="choose", options=[{"when": T, "benefit": {"type": "fixed"}}]),
            "benefit.options[0].benefit：fixed 奖补缺少字段：amount_yuan",
        ),
    ],
)
def test_validate_rule_errors(rule, expected):
    errors = validate_rule(rule)
    assert any(expected in e for e in errors), errors


def test_validate_rule_reports_every_problem():
    rule = {
        "conditions": {
            "all": [leaf("employees", "gtt", 5), {"fact": "turnover", "op": "gt", "value": 1}]
        },
        "benefit": {"type": "percent", "fact": "loan_amount_yuan", "rate": 0.02},
    }
    assert validate_rule(rule) == [
        "conditions.all[0]：未知的运算符“gtt”，可选：gt、gte、lt、lte、eq、ne、in、is_true、is_false、has_any、has_all、within、age_years_gte、age_years_lt、starts_with",
        "conditions.all[1]：缺少中文说明（label）",
        "conditions.all[1]：未知的事实名称“turnover”",
        'benefit.rate：比例应写成字符串形式的小数（如 "0.02" 表示2%），不能是 0.02',
    ]


def test_compile_rule_raises_rule_error():
    with pytest.raises(RuleError) as info:
        compile_rule({"benefit": {"type": "lottery"}})
    assert info.value.errors == [
        "benefit.type：未知的奖补类型“lottery”，可选：fixed、max_only、percent、base_plus_marginal、tiers、staged、choose"
    ]


def test_evaluate_rejects_an_invalid_rule():
    with pytest.raises(RuleError):
        evaluate(policy_region_code=None, rule={"conditions": {"op": "gt"}}, facts={}, as_of=AS_OF)


def test_registered_facts_can_be_used_in_rules(extra_labs_fact):
    rule = {"conditions": leaf("labs_accepted", "gte", 1, label="建成实验室")}
    assert validate_rule(rule) == []
    assert run(rule, {"labs_accepted": 2}).eligible is True
