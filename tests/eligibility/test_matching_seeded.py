"""Every seeded policy with quantified terms gives the amounts its text gives.

The rules are read from the real catalogue files (fixtures/catalogue/*.yaml), exactly as
``load_catalogue`` stores them, and evaluated by the engine with the policy's own region. Each
rule is tested at its edges: at the threshold, just above it, at the cap, beyond it, outside the
region, with a fact missing. ``test_api.py`` checks the same amounts through the loaded catalogue.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest
import yaml

from eligibility.engine import compile_rule
from eligibility.facts import parse_facts, register_facts

CATALOGUE = Path(__file__).resolve().parents[2] / "fixtures" / "catalogue"
AS_OF = date(2024, 9, 1)
QINGDAO_DISTRICT = "370211"  # 黄岛区, inside 青岛市 (370200)
TAIAN_DISTRICT = "370911"  # 岱岳区, outside 青岛市
DONGPING = "370923"


@cache
def _documents() -> tuple[list[dict], dict[str, dict]]:
    facts, policies = [], {}
    for path in sorted(CATALOGUE.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        facts.extend(document.get("facts") or [])
        for record in document.get("policies") or []:
            policies[record["key"]] = record
    return facts, policies


def seeded() -> dict[str, dict]:
    """The seeded policy records, their declared facts registered (again: other tests may have
    reset the registry since)."""
    facts, policies = _documents()
    register_facts(facts)
    return policies


def run(key: str, facts: dict, *, as_of: date = AS_OF):
    """(evaluation, quick result) of the seeded policy ``key`` for ``facts``."""
    record = seeded()[key]
    rule = dict(record["rule"])
    rule.setdefault("valid_from", record.get("valid_from"))
    rule.setdefault("valid_to", record.get("valid_to"))
    parsed, errors = parse_facts(facts)
    assert not errors, errors
    compiled = compile_rule(rule)
    region = str(record["region_code"])
    evaluation = compiled.evaluate(parsed, as_of, region)
    assert compiled.quick(parsed, as_of, region) == (
        evaluation.eligible,
        evaluation.amount_yuan,
        evaluation.max_amount_yuan,
    )
    return evaluation


def outcome(key: str, facts: dict, **kwargs) -> tuple:
    ev = run(key, facts, **kwargs)
    return ev.eligible, ev.amount_yuan, ev.max_amount_yuan


# --- 区域性股权市场直接融资奖励: 10万 at 100万 (含), + 2% above, 最高50万 -------------------------

EQUITY = "qd-2024b2-regional-equity-financing-reward"
EQUITY_FACTS = {"region_code": QINGDAO_DISTRICT, "listed_on_regional_equity_market": True}


@pytest.mark.parametrize(
    ("financing", "expected"),
    [
        (999_999, (False, None, 500_000)),  # below 100万: not eligible
        (1_000_000, (True, 100_000, 500_000)),  # at the threshold (达到, inclusive): 10万
        (1_000_050, (True, 100_001, 500_000)),  # just above: 10万 + 50 × 2%
        (3_500_000, (True, 150_000, 500_000)),  # the worked example: 15万
        (21_000_000, (True, 500_000, 500_000)),  # exactly at the cap
        (30_000_000, (True, 500_000, 500_000)),  # beyond: capped at 50万
    ],
)
def test_regional_equity_reward(financing, expected):
    facts = {**EQUITY_FACTS, "regional_equity_direct_financing_yuan": financing}
    assert outcome(EQUITY, facts) == expected


def test_regional_equity_reward_formula_and_cap_text():
    ev = run(EQUITY, {**EQUITY_FACTS, "regional_equity_direct_financing_yuan": 3_500_000})
    assert ev.formula == "10万元 + (350万元 − 100万元) × 2% = 15万元"
    assert [c.passed for c in ev.conditions] == [True, True]
    ev = run(EQUITY, {**EQUITY_FACTS, "regional_equity_direct_financing_yuan": 30_000_000})
    assert "按50万元计" in ev.formula


def test_regional_equity_reward_outside_region_and_missing_fact():
    facts = {
        **EQUITY_FACTS,
        "region_code": TAIAN_DISTRICT,
        "regional_equity_direct_financing_yuan": 3_500_000,
    }
    ev = run(EQUITY, facts)
    assert ev.eligible is False
    assert any("不在政策适用区域" in u for u in ev.unmet)
    ev = run(EQUITY, EQUITY_FACTS)
    assert (ev.eligible, ev.amount_yuan, ev.max_amount_yuan) == (None, None, 500_000)
    assert ev.missing_facts == ["regional_equity_direct_financing_yuan"]
    # A city policy applies to all of its districts.
    facts["region_code"] = "370203"
    assert run(EQUITY, facts).eligible is True


# --- 融资租赁: 0.8% of the lease, 1% for 直租 or qualified lessees, 每家每年不超过300万 ------------

LEASE = "qd-2024b2-finance-lease-award"
LEASE_FACTS = {
    "region_code": QINGDAO_DISTRICT,
    "beneficiary_kind": "leasing_company",
    "lessee_is_sme": True,
    "lease_is_direct": False,
    "lessee_qualifications": [],
}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"lease_amount_yuan": 100_000_000}, (True, 800_000, 3_000_000)),  # 0.8%
        ({"lease_amount_yuan": 100_000_000, "lease_is_direct": True}, (True, 1_000_000, 3_000_000)),
        (
            {"lease_amount_yuan": 100_000_000, "lessee_qualifications": ["little_giant"]},
            (True, 1_000_000, 3_000_000),
        ),
        ({"lease_amount_yuan": 375_000_000}, (True, 3_000_000, 3_000_000)),  # exactly at the cap
        ({"lease_amount_yuan": 500_000_000}, (True, 3_000_000, 3_000_000)),  # capped
        ({"lease_amount_yuan": 1}, (True, 0, 3_000_000)),  # just above 0 (超过 0)
        ({"lease_amount_yuan": 0}, (False, None, 3_000_000)),  # at 0: no lease business
    ],
)
def test_finance_lease_award(extra, expected):
    assert outcome(LEASE, {**LEASE_FACTS, **extra}) == expected


def test_finance_lease_award_beneficiary_region_and_missing_rate_fact():
    facts = {**LEASE_FACTS, "lease_amount_yuan": 100_000_000}
    ev = run(LEASE, {**facts, "beneficiary_kind": "enterprise"})
    assert ev.eligible is False
    assert any("融资租赁公司" in u for u in ev.unmet)
    assert run(LEASE, {**facts, "region_code": TAIAN_DISTRICT}).eligible is False
    undecided = {k: v for k, v in facts.items() if k not in ("lease_is_direct",)}
    undecided.pop("lessee_qualifications")
    ev = run(LEASE, undecided)
    # Whether the rate is 0.8% or 1% is unknown: no amount, the cap as maximum.
    assert (ev.eligible, ev.amount_yuan, ev.max_amount_yuan) == (True, None, 3_000_000)
    assert "lease_is_direct" in ev.missing_facts


# --- 数据要素×: 30% of the investment, 最高100万 --------------------------------------------------

DATA_CASE = "qd-2024b2-data-element-case-award"
DATA_FACTS = {"region_code": QINGDAO_DISTRICT, "data_element_case_level": "national"}


@pytest.mark.parametrize(
    ("investment", "expected"),
    [
        (2_000_000, (True, 600_000, 1_000_000)),
        (3_333_333, (True, 1_000_000, 1_000_000)),  # 999,999.9 rounds to the cap
        (3_333_334, (True, 1_000_000, 1_000_000)),  # just above the cap
        (5_000_000, (True, 1_000_000, 1_000_000)),
    ],
)
def test_data_element_case_award(investment, expected):
    assert outcome(DATA_CASE, {**DATA_FACTS, "project_investment_yuan": investment}) == expected


def test_data_element_case_award_level_region_missing():
    facts = {**DATA_FACTS, "project_investment_yuan": 2_000_000}
    assert run(DATA_CASE, {**facts, "data_element_case_level": "provincial"}).eligible is False
    assert run(DATA_CASE, {**facts, "region_code": TAIAN_DISTRICT}).eligible is False
    ev = run(DATA_CASE, DATA_FACTS)
    assert (ev.eligible, ev.amount_yuan, ev.max_amount_yuan) == (True, None, 1_000_000)
    assert ev.missing_facts == ["project_investment_yuan"]
    ev = run(DATA_CASE, {"region_code": QINGDAO_DISTRICT, "project_investment_yuan": 1})
    assert ev.eligible is None and ev.missing_facts == ["data_element_case_level"]


# --- 数据产品流通交易: 1% of the volume, 前十, 最高20万 -------------------------------------------

TRADING = "qd-2024b2-data-product-trading-award"


@pytest.mark.parametrize(
    ("volume", "rank", "expected"),
    [
        (10_000_000, 3, (True, 100_000, 200_000)),
        (20_000_000, 10, (True, 200_000, 200_000)),  # rank 10 is 前十 (inclusive); at the cap
        (30_000_000, 1, (True, 200_000, 200_000)),  # capped
        (30_000_000, 11, (False, None, 200_000)),  # just outside the top ten
        (0, 1, (False, None, 200_000)),
    ],
)
def test_data_trading_award(volume, rank, expected):
    facts = {
        "region_code": QINGDAO_DISTRICT,
        "data_trading_volume_yuan": volume,
        "data_trading_rank": rank,
    }
    assert outcome(TRADING, facts) == expected


def test_data_trading_award_missing_rank():
    ev = run(TRADING, {"region_code": QINGDAO_DISTRICT, "data_trading_volume_yuan": 10_000_000})
    assert (ev.eligible, ev.amount_yuan) == (None, 100_000)
    assert ev.missing_facts == ["data_trading_rank"]


# --- 首台（套）: 技术装备最高150万, 关键核心零部件最高100万 (a maximum, not an amount) ---------------

FIRST_SET = "qd-2024b2-first-set-award"


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"first_set_level": "provincial", "first_set_kind": "equipment"}, (True, None, 1_500_000)),
        (
            {"first_set_level": "provincial", "first_set_kind": "core_component"},
            (True, None, 1_000_000),
        ),
        ({"first_set_level": "national", "first_set_kind": "equipment"}, (False, None, 1_500_000)),
        ({"first_set_level": "provincial"}, (None, None, 1_500_000)),  # kind missing
    ],
)
def test_first_set_award(facts, expected):
    assert outcome(FIRST_SET, {"region_code": QINGDAO_DISTRICT, **facts}) == expected


def test_first_set_award_outside_region():
    facts = {"region_code": TAIAN_DISTRICT, "first_set_level": "provincial"}
    assert run(FIRST_SET, {**facts, "first_set_kind": "equipment"}).eligible is False


# --- 东平: 500万 paid 1:3:4:2 over four IPO stages ------------------------------------------------

DONGPING_IPO = "ta-dongping-ipo-staged-subsidy"


@pytest.mark.parametrize(
    ("stage", "amount"),
    [
        ("signed", 500_000),
        ("counselling_filed", 1_500_000),
        ("application_accepted", 2_000_000),
        ("listed", 1_000_000),
    ],
)
def test_dongping_staged_subsidy(stage, amount):
    facts = {"region_code": DONGPING, "listing_board": "star", "listing_stage": stage}
    assert outcome(DONGPING_IPO, facts) == (True, amount, 5_000_000)


def test_dongping_stages_add_up_and_edges():
    stages = ["signed", "counselling_filed", "application_accepted", "listed"]
    total = sum(
        run(
            DONGPING_IPO, {"region_code": DONGPING, "listing_board": "main", "listing_stage": s}
        ).amount_yuan
        for s in stages
    )
    assert total == 5_000_000
    ev = run(
        DONGPING_IPO, {"region_code": DONGPING, "listing_board": "main", "listing_stage": "signed"}
    )
    assert ev.formula == "上市签约：500万元 × 1/10 = 50万元"
    neeq = {"region_code": DONGPING, "listing_board": "neeq", "listing_stage": "listed"}
    assert run(DONGPING_IPO, neeq).eligible is False
    outside = {"region_code": TAIAN_DISTRICT, "listing_board": "main", "listing_stage": "listed"}
    assert run(DONGPING_IPO, outside).eligible is False
    ev = run(DONGPING_IPO, {"region_code": DONGPING, "listing_board": "main"})
    assert (ev.eligible, ev.amount_yuan, ev.max_amount_yuan) == (None, None, 5_000_000)
    assert ev.missing_facts == ["listing_stage"]


# --- 高标准农田 / 设施农业贷款: 2% 贴息 ----------------------------------------------------------

FARMLAND = "qd-cj-farmland-facility-agri-loan-subsidy"


@pytest.mark.parametrize(
    ("purpose", "loan", "expected"),
    [
        ("farmland", 1_000_000, (True, 20_000, None)),
        ("facility_agriculture", 500_000, (True, 10_000, None)),
        ("farmland", 1, (True, 0, None)),  # just above 0
        ("farmland", 0, (False, None, None)),
        ("equipment", 1_000_000, (False, None, None)),
    ],
)
def test_farmland_loan_subsidy(purpose, loan, expected):
    facts = {"region_code": QINGDAO_DISTRICT, "loan_purpose": purpose, "loan_amount_yuan": loan}
    assert outcome(FARMLAND, facts) == expected


def test_farmland_loan_subsidy_region_and_missing():
    facts = {"region_code": TAIAN_DISTRICT, "loan_purpose": "farmland", "loan_amount_yuan": 10**6}
    assert run(FARMLAND, facts).eligible is False
    ev = run(FARMLAND, {"region_code": QINGDAO_DISTRICT, "loan_purpose": "farmland"})
    assert ev.eligible is None and ev.missing_facts == ["loan_amount_yuan"]
    assert ev.formula is None
    ev = run(FARMLAND, {**facts, "region_code": QINGDAO_DISTRICT})
    assert ev.formula == "100万元 × 2% = 2万元"


# --- 算力券: 20% of compute spend; firms >500万 revenue (超过, strict), spend >10万; 最高100万 -----

COMPUTE = "qd-2024b2-compute-voucher-enterprise"
COMPUTE_FACTS = {"region_code": QINGDAO_DISTRICT, "uses_city_compute_platform": True}


@pytest.mark.parametrize(
    ("revenue", "spend", "expected"),
    [
        (5_000_000, 1_000_000, (False, None, 1_000_000)),  # at 500万: 超过 is strict
        (5_000_001, 1_000_000, (True, 200_000, 1_000_000)),  # just above
        (8_000_000, 100_000, (False, None, 1_000_000)),  # spend at 10万: not 超过
        (8_000_000, 100_005, (True, 20_001, 1_000_000)),  # just above
        (8_000_000, 5_000_000, (True, 1_000_000, 1_000_000)),  # at the cap
        (8_000_000, 9_000_000, (True, 1_000_000, 1_000_000)),  # capped
    ],
)
def test_compute_voucher_enterprise(revenue, spend, expected):
    facts = {**COMPUTE_FACTS, "annual_revenue_yuan": revenue, "compute_spend_yuan": spend}
    assert outcome(COMPUTE, facts) == expected


def test_compute_voucher_region_and_missing():
    facts = {**COMPUTE_FACTS, "annual_revenue_yuan": 8_000_000, "compute_spend_yuan": 10**6}
    assert run(COMPUTE, {**facts, "region_code": TAIAN_DISTRICT}).eligible is False
    ev = run(COMPUTE, {**COMPUTE_FACTS, "compute_spend_yuan": 10**6})
    assert (ev.eligible, ev.amount_yuan) == (None, 200_000)
    assert ev.missing_facts == ["annual_revenue_yuan"]
    facts.pop("uses_city_compute_platform")
    assert run(COMPUTE, facts).missing_facts == ["uses_city_compute_platform"]


LARGE_MODEL = "qd-2024b2-compute-voucher-large-model"


@pytest.mark.parametrize(
    ("kind", "params", "spend", "expected"),
    [
        ("general", 1000, 10_000_000, (True, 2_000_000, 5_000_000)),  # 不低于千亿: inclusive
        ("general", 999, 10_000_000, (False, None, 5_000_000)),
        ("industry", 100, 25_000_000, (True, 5_000_000, 5_000_000)),  # at the cap
        ("industry", 100, 40_000_000, (True, 5_000_000, 5_000_000)),
        ("industry", 99, 10_000_000, (False, None, 5_000_000)),
    ],
)
def test_compute_voucher_large_model(kind, params, spend, expected):
    facts = {
        **COMPUTE_FACTS,
        "model_kind": kind,
        "model_params_billion": params,
        "model_scenarios": 5,
        "model_filed": True,
        "compute_spend_yuan": spend,
    }
    assert outcome(LARGE_MODEL, facts) == expected


# --- Fixed awards and "最高X" (a maximum, not an amount) ------------------------------------------


def test_fixed_and_max_only_seeded_terms():
    for key, record in seeded().items():
        benefit = (record.get("rule") or {}).get("benefit") or {}
        if benefit.get("type") == "fixed":
            assert compile_rule(record["rule"]).max_amount_yuan == benefit["amount_yuan"], key
        if benefit.get("type") == "max_only":
            region = str(record["region_code"])
            ev = compile_rule(record["rule"]).evaluate({"region_code": "999999"}, AS_OF, region)
            assert ev.amount_yuan is None, key
            assert compile_rule(record["rule"]).max_amount_yuan == benefit["max_amount_yuan"]


def test_every_seeded_rule_is_valid():
    from eligibility.engine import validate_rule

    for key, record in seeded().items():
        assert validate_rule(record["rule"]) == [], key


# --- Per-unit awards: 人工智能教育实验室 5万元/间, 海铁联运 300元/标准箱 (2024 only) ----------------

AI_LAB = "qd-2024b2-ai-education-lab-award"
SEA_RAIL = "qd-2024b2-sea-rail-container-award"


@pytest.mark.parametrize(
    ("labs", "expected"),
    [(0, (False, None, None)), (1, (True, 50_000, None)), (3, (True, 150_000, None))],
)
def test_ai_education_lab_award(labs, expected):
    facts = {
        "region_code": QINGDAO_DISTRICT,
        "beneficiary_kind": "institution",
        "ai_education_labs_accepted": labs,
    }
    assert outcome(AI_LAB, facts) == expected


def test_ai_education_lab_award_region_kind_missing():
    facts = {"region_code": TAIAN_DISTRICT, "beneficiary_kind": "institution"}
    assert run(AI_LAB, {**facts, "ai_education_labs_accepted": 2}).eligible is False
    ev = run(AI_LAB, {"region_code": QINGDAO_DISTRICT, "ai_education_labs_accepted": 2})
    assert ev.eligible is False  # an enterprise is not the beneficiary
    ev = run(AI_LAB, {**facts, "region_code": QINGDAO_DISTRICT})
    assert (ev.eligible, ev.amount_yuan) == (None, None)
    assert ev.missing_facts == ["ai_education_labs_accepted"]


@pytest.mark.parametrize(
    ("teu", "as_of", "expected"),
    [
        (0, AS_OF, (False, None, None)),  # 超过 0: none shipped is no award
        (1, AS_OF, (True, 300, None)),
        (1_000, AS_OF, (True, 300_000, None)),
        (1_000, date(2024, 12, 31), (True, 300_000, None)),  # the last day of 2024
        (1_000, date(2025, 1, 1), (False, None, None)),  # the 2024 terms have ended
    ],
)
def test_sea_rail_container_award(teu, as_of, expected):
    facts = {
        "region_code": QINGDAO_DISTRICT,
        "is_port_operator": True,
        "sea_rail_containers_teu": teu,
    }
    assert outcome(SEA_RAIL, facts, as_of=as_of) == expected


def test_sea_rail_container_award_region_and_missing():
    facts = {"region_code": TAIAN_DISTRICT, "is_port_operator": True, "sea_rail_containers_teu": 9}
    assert run(SEA_RAIL, facts).eligible is False
    ev = run(SEA_RAIL, {**facts, "region_code": QINGDAO_DISTRICT, "is_port_operator": None})
    assert (ev.eligible, ev.amount_yuan) == (None, 2_700)
    assert ev.missing_facts == ["is_port_operator"]


# --- 区域性股权: the 培育机构 reward (30万 / 50万) and the 运营市场 reward (1%, 最高200万) ----------

CULTIVATION = "qd-2024b2-regional-equity-cultivation-reward"
OPERATOR = "qd-2024b2-regional-equity-market-operator-reward"


@pytest.mark.parametrize(
    ("extra", "amount"),
    [
        ({"listing_board": "neeq"}, 300_000),  # 新三板挂牌: 30万元/户
        ({"listing_board": "star", "listing_stage": "listed"}, 500_000),  # 上市: 50万元/户
        ({"listing_board": "hkex", "listing_stage": "listed"}, 500_000),  # 境外主要交易所
    ],
)
def test_regional_equity_cultivation_reward(extra, amount):
    facts = {
        "region_code": QINGDAO_DISTRICT,
        "beneficiary_kind": "institution",
        "cultivated_by_regional_equity_market": True,
        **extra,
    }
    assert outcome(CULTIVATION, facts)[:2] == (True, amount)


def test_regional_equity_cultivation_reward_edges():
    base = {
        "region_code": QINGDAO_DISTRICT,
        "beneficiary_kind": "institution",
        "cultivated_by_regional_equity_market": True,
    }
    # Not yet listed, or only on the 四板: neither amount applies.
    assert (
        run(CULTIVATION, {**base, "listing_board": "main", "listing_stage": "signed"}).eligible
        is False
    )
    assert run(CULTIVATION, {**base, "listing_board": "regional"}).eligible is False
    assert (
        run(CULTIVATION, {**base, "cultivated_by_regional_equity_market": False}).eligible is False
    )
    outside = {**base, "region_code": TAIAN_DISTRICT, "listing_board": "neeq"}
    assert run(CULTIVATION, outside).eligible is False
    ev = run(CULTIVATION, {**base, "listing_board": "main"})  # listed or not: unknown
    assert ev.eligible is None and ev.amount_yuan is None
    assert "listing_stage" in ev.missing_facts


@pytest.mark.parametrize(
    ("growth", "financing", "expected"),
    [
        (0.05, 100_000_000, (False, None, 2_000_000)),  # 增长超过5%: 5% itself is not enough
        (0.0501, 100_000_000, (True, 1_000_000, 2_000_000)),  # just above: 1%
        (0.2, 200_000_000, (True, 2_000_000, 2_000_000)),  # exactly at the cap
        (0.2, 300_000_000, (True, 2_000_000, 2_000_000)),  # capped
    ],
)
def test_regional_equity_market_operator_reward(growth, financing, expected):
    facts = {
        "region_code": QINGDAO_DISTRICT,
        "beneficiary_kind": "platform",
        "regional_equity_financing_growth_rate": growth,
        "regional_equity_market_financing_yuan": financing,
    }
    assert outcome(OPERATOR, facts) == expected


def test_regional_equity_market_operator_reward_region_and_missing():
    facts = {"beneficiary_kind": "platform", "regional_equity_financing_growth_rate": 0.1}
    outside = {**facts, "region_code": TAIAN_DISTRICT, "regional_equity_market_financing_yuan": 1}
    assert run(OPERATOR, outside).eligible is False
    ev = run(OPERATOR, {**facts, "region_code": QINGDAO_DISTRICT})
    assert (ev.eligible, ev.amount_yuan, ev.max_amount_yuan) == (True, None, 2_000_000)
    assert ev.missing_facts == ["regional_equity_market_financing_yuan"]


# --- 小微企业贷款风险补偿: 30% of the principal, to the bank -------------------------------------

RISK = "qd-2024b2-sme-loan-risk-compensation"
RISK_FACTS = {
    "region_code": QINGDAO_DISTRICT,
    "beneficiary_kind": "bank",
    "selected_by_authority": True,
    "loan_is_new_small_micro_working_capital": True,
    "loan_confirmed_nonperforming": True,
}


def test_sme_loan_risk_compensation():
    assert outcome(RISK, {**RISK_FACTS, "loan_amount_yuan": 1_000_000}) == (True, 300_000, None)
    assert outcome(RISK, {**RISK_FACTS, "loan_amount_yuan": 5}) == (True, 2, None)  # 1.5 → 2
    facts = {**RISK_FACTS, "loan_amount_yuan": 1_000_000, "loan_confirmed_nonperforming": False}
    assert outcome(RISK, facts) == (False, None, None)
    assert (
        run(RISK, {**RISK_FACTS, "region_code": TAIAN_DISTRICT, "loan_amount_yuan": 1}).eligible
        is False
    )
    ev = run(RISK, {**RISK_FACTS, "loan_confirmed_nonperforming": None, "loan_amount_yuan": 10})
    assert (ev.eligible, ev.amount_yuan) == (None, 3)
    assert ev.missing_facts == ["loan_confirmed_nonperforming"]


# --- One-off awards chosen by level: 民营500强/100强, 工程研究中心, 企业技术中心, 产业创新中心 ----------


@pytest.mark.parametrize(
    ("key", "fact", "value", "expected"),
    [
        (
            "qd-2024b2-private-top-enterprise-award",
            "private_enterprise_ranking",
            "national_500",
            (True, 2_000_000, 2_000_000),
        ),
        (
            "qd-2024b2-private-top-enterprise-award",
            "private_enterprise_ranking",
            "shandong_100",
            (True, 1_000_000, 1_000_000),
        ),
        (
            "qd-2024b2-engineering-research-center-award",
            "engineering_research_center_level",
            "national",
            (True, 10_000_000, 10_000_000),
        ),
        (
            "qd-2024b2-engineering-research-center-award",
            "engineering_research_center_level",
            "provincial",
            (True, 500_000, 500_000),
        ),
        (
            "qd-2024b2-enterprise-tech-center-award",
            "enterprise_tech_center_level",
            "national",
            (True, 5_000_000, 5_000_000),
        ),
        (
            "qd-2024b2-enterprise-tech-center-award",
            "enterprise_tech_center_level",
            "provincial",
            (True, 500_000, 500_000),
        ),
        # 最高不超过3000万元、500万元: a maximum, not an amount.
        (
            "qd-2024b2-industry-innovation-center-award",
            "industry_innovation_center_level",
            "national",
            (True, None, 30_000_000),
        ),
        (
            "qd-2024b2-industry-innovation-center-award",
            "industry_innovation_center_level",
            "provincial",
            (True, None, 5_000_000),
        ),
    ],
)
def test_one_off_awards_by_level(key, fact, value, expected):
    facts = {"region_code": QINGDAO_DISTRICT, fact: value, "newly_recognized": True}
    assert outcome(key, facts) == expected
    assert run(key, {**facts, "region_code": TAIAN_DISTRICT}).eligible is False
    ev = run(key, {"region_code": QINGDAO_DISTRICT, "newly_recognized": True})
    assert ev.eligible is None and ev.amount_yuan is None and fact in ev.missing_facts


@pytest.mark.parametrize(
    "key",
    [
        "qd-2024b2-private-top-enterprise-award",
        "qd-2024b2-engineering-research-center-award",
        "qd-2024b2-enterprise-tech-center-award",
    ],
)
def test_one_off_awards_only_for_the_newly_recognised(key):
    record = seeded()[key]
    fact = record["rule"]["conditions"]["all"][0]["fact"]
    value = record["rule"]["conditions"]["all"][0]["value"][0]
    facts = {"region_code": QINGDAO_DISTRICT, fact: value, "newly_recognized": False}
    assert run(key, facts).eligible is False
    ev = run(key, {"region_code": QINGDAO_DISTRICT, fact: value})
    assert ev.eligible is None and ev.missing_facts == ["newly_recognized"]


# --- 泰安 listing awards: 新泰 1000万 / 150万, 肥城 100万 / 10万, 东平 100万 / 30万 -----------------

XINTAI, FEICHENG = "370982", "370983"


@pytest.mark.parametrize(
    ("key", "region", "facts", "amount"),
    [
        (
            "ta-xintai-ipo-award",
            XINTAI,
            {"listing_stage": "listed", "listing_board": "main"},
            10_000_000,
        ),
        (
            "ta-xintai-ipo-award",
            XINTAI,
            {"listing_stage": "listed", "listing_board": "hkex"},
            10_000_000,
        ),
        ("ta-xintai-neeq-award", XINTAI, {"listing_board": "neeq"}, 1_500_000),
        ("ta-feicheng-neeq-award", FEICHENG, {"listing_board": "neeq"}, 1_000_000),
        ("ta-feicheng-regional-board-award", FEICHENG, {"listing_board": "regional"}, 100_000),
        ("ta-dongping-neeq-subsidy", DONGPING, {"listing_board": "neeq"}, 1_000_000),
        ("ta-dongping-regional-board-subsidy", DONGPING, {"listing_board": "regional"}, 300_000),
    ],
)
def test_taian_listing_awards(key, region, facts, amount):
    assert outcome(key, {"region_code": region, **facts}) == (True, amount, amount)
    # Another county's firm, or another board, gets nothing.
    assert run(key, {"region_code": TAIAN_DISTRICT, **facts}).eligible is False
    other = "regional" if facts.get("listing_board") != "regional" else "neeq"
    assert run(key, {"region_code": region, **facts, "listing_board": other}).eligible is False
    ev = run(key, {"region_code": region})
    assert (
        ev.eligible is None and "listing_board" in ev.missing_facts
    ) or "listing_stage" in ev.missing_facts


def test_xintai_ipo_award_needs_the_listing_itself():
    facts = {
        "region_code": XINTAI,
        "listing_board": "main",
        "listing_stage": "application_accepted",
    }
    assert run("ta-xintai-ipo-award", facts).eligible is False
    ev = run("ta-xintai-ipo-award", {"region_code": XINTAI, "listing_stage": "listed"})
    assert ev.eligible is None and ev.missing_facts == ["listing_board"]


# --- 宁阳 人行普惠小微激励 2%, 东平 股改中介费用 50% 最高30万 ---------------------------------------

NINGYANG = "ta-ningyang-pboc-inclusive-sme-incentive"
RESTRUCTURING = "ta-dongping-restructuring-fee-subsidy"


@pytest.mark.parametrize(
    ("increase", "expected"),
    [
        (0, (False, None, None)),  # no increase
        (25, (True, 1, None)),  # 0.5 rounds half up
        (50_000_000, (True, 1_000_000, None)),
    ],
)
def test_ningyang_inclusive_sme_incentive(increase, expected):
    facts = {
        "region_code": "370921",
        "beneficiary_kind": "bank",
        "inclusive_sme_loan_balance_increase_yuan": increase,
    }
    assert outcome(NINGYANG, facts) == expected
    if increase:
        assert run(NINGYANG, {**facts, "region_code": DONGPING}).eligible is False


@pytest.mark.parametrize(
    ("fees", "expected"),
    [
        (0, (False, None, 300_000)),
        (1, (True, 1, 300_000)),  # just above 0: 0.5 rounds half up
        (400_000, (True, 200_000, 300_000)),  # 50%
        (600_000, (True, 300_000, 300_000)),  # exactly at the cap
        (800_000, (True, 300_000, 300_000)),  # capped
    ],
)
def test_dongping_restructuring_fee_subsidy(fees, expected):
    facts = {"region_code": DONGPING, "restructuring_intermediary_fees_yuan": fees}
    assert outcome(RESTRUCTURING, facts) == expected


def test_dongping_restructuring_fee_subsidy_region_and_missing():
    facts = {"region_code": TAIAN_DISTRICT, "restructuring_intermediary_fees_yuan": 400_000}
    assert run(RESTRUCTURING, facts).eligible is False
    ev = run(RESTRUCTURING, {"region_code": DONGPING})
    assert (ev.eligible, ev.amount_yuan, ev.max_amount_yuan) == (None, None, 300_000)
    assert ev.missing_facts == ["restructuring_intermediary_fees_yuan"]
