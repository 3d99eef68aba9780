"""The fact registry and the validation of incoming facts (no database, no Django)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eligibility import facts as facts_module
from eligibility.facts import (
    FACTS,
    QUALIFICATIONS,
    facts_catalogue,
    get_fact,
    parse_fact,
    parse_facts,
    register_fact,
    register_facts,
    unregister_fact,
)

VALID_USCC = "91110000600037341L"

CONTRACT_FACTS = {
    # profile facts
    "uscc": "string",
    "region_code": "string",
    "industry_code": "string",
    "annual_revenue_yuan": "integer",
    "employees": "integer",
    "total_assets_yuan": "integer",
    "founded_on": "date",
    "qualifications": "list",
    "credit_rating": "string",
    # claim facts
    "compute_spend_yuan": "integer",
    "uses_city_compute_platform": "boolean",
    "model_kind": "enum",
    "model_params_billion": "number",
    "model_scenarios": "integer",
    "model_filed": "boolean",
    "regional_equity_direct_financing_yuan": "integer",
    "listed_on_regional_equity_market": "boolean",
    "lease_amount_yuan": "integer",
    "lease_is_direct": "boolean",
    "lessee_qualifications": "list",
    "data_element_case_level": "enum",
    "project_investment_yuan": "integer",
    "data_trading_volume_yuan": "integer",
    "data_trading_rank": "integer",
    "loan_amount_yuan": "integer",
    "loan_purpose": "string",
    "first_set_level": "enum",
    "first_set_kind": "enum",
    "listing_stage": "enum",
    "listing_board": "enum",
    "beneficiary_kind": "enum",
}


@pytest.fixture
def extra_fact():
    spec = register_fact("labs_accepted", "integer", "通过验收的实验室数量", "间")
    yield spec
    unregister_fact("labs_accepted")


# -- the registry -------------------------------------------------------------------------------


def test_every_contract_fact_is_known_with_its_type_and_a_chinese_label():
    for name, kind in CONTRACT_FACTS.items():
        spec = FACTS[name]
        assert spec.type == kind, name
        assert spec.label and not spec.label.isascii(), name


def test_money_facts_are_in_yuan_and_counts_have_units():
    assert FACTS["annual_revenue_yuan"].unit == "元"
    assert FACTS["annual_revenue_yuan"].is_money
    assert FACTS["employees"].unit == "人"
    assert FACTS["model_params_billion"].unit == "亿参数"
    assert not FACTS["employees"].is_money


def test_enum_choices():
    assert FACTS["listing_stage"].choices == (
        "signed",
        "counselling_filed",
        "application_accepted",
        "listed",
    )
    assert set(FACTS["beneficiary_kind"].choices) == {
        "enterprise",
        "bank",
        "leasing_company",
        "guarantor",
        "platform",
        "institution",
    }
    assert set(FACTS["qualifications"].choices) == set(QUALIFICATIONS)
    assert FACTS["listing_board"].choice_label("neeq") == "新三板"


def test_facts_catalogue_is_json_ready():
    rows = {row["name"]: row for row in facts_catalogue()}
    assert rows["employees"] == {
        "name": "employees",
        "type": "integer",
        "unit": "人",
        "label": "从业人员",
        "kind": "profile",
        "minimum": 0,
    }
    assert {"value": "national", "label": "国家级"} in rows["first_set_level"]["choices"]
    assert rows["lease_is_direct"]["kind"] == "claim"


def test_register_fact_adds_a_fact_and_is_idempotent(extra_fact):
    assert get_fact("labs_accepted") is extra_fact
    version = facts_module.registry_version()
    again = register_fact("labs_accepted", "integer", "通过验收的实验室数量", "间")
    assert again is extra_fact
    assert facts_module.registry_version() == version
    assert parse_facts({"labs_accepted": 3}) == ({"labs_accepted": 3}, {})
    assert parse_facts({"labs_accepted": -1})[1] == {"labs_accepted": ["不能为负数"]}


def test_register_facts_from_catalogue_dicts():
    specs = register_facts(
        [
            {
                "name": "route_operating_years",
                "type": "number",
                "unit": "年",
                "label": "航线运营年限",
            },
            {"name": "is_port_operator", "type": "boolean", "unit": None, "label": "港口经营企业"},
        ]
    )
    try:
        assert [s.name for s in specs] == ["route_operating_years", "is_port_operator"]
        assert FACTS["is_port_operator"].unit == ""
        parsed, errors = parse_facts({"route_operating_years": 2.5, "is_port_operator": True})
        assert errors == {}
        assert parsed == {"route_operating_years": Decimal("2.5"), "is_port_operator": True}
    finally:
        unregister_fact("route_operating_years")
        unregister_fact("is_port_operator")
    assert "is_port_operator" not in FACTS


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"name": "Bad-Name", "type": "integer", "label": "x"}, "名称"),
        ({"name": "x1", "type": "money", "label": "x"}, "类型"),
        ({"name": "x1", "type": "integer", "label": ""}, "label"),
        ({"name": "x1", "type": "enum", "label": "甲"}, "choices"),
        ({"name": "x1", "type": "integer", "label": "甲", "colour": "red"}, "未知字段"),
        ({"name": "x1", "type": "integer"}, "缺少字段"),
        ({"name": "employees", "type": "number", "label": "人数"}, "内置"),
    ],
)
def test_register_facts_rejects_bad_definitions(definition, message):
    with pytest.raises(ValueError, match=message):
        register_facts([definition])
    assert "x1" not in FACTS
    assert FACTS["employees"].type == "integer"


def test_builtin_facts_cannot_be_removed():
    with pytest.raises(ValueError, match="内置"):
        unregister_fact("employees")


# -- parse_facts: conversions -------------------------------------------------------------------


def test_parse_facts_converts_every_type():
    parsed, errors = parse_facts(
        {
            "uscc": " 91110000600037341l ",
            "region_code": "370902-gaoxin",
            "industry_code": "c38",
            "annual_revenue_yuan": 35_000_000,
            "employees": 120.0,
            "founded_on": "2019-02-28",
            "qualifications": ["high_tech", "srdi", "high_tech"],
            "credit_rating": "AA",
            "model_params_billion": 1000,
            "model_kind": "general",
            "uses_city_compute_platform": True,
            "lease_is_direct": False,
            "loan_purpose": "farmland",
            "listing_stage": "signed",
        }
    )
    assert errors == {}
    assert parsed == {
        "uscc": VALID_USCC,
        "region_code": "370902-gaoxin",
        "industry_code": "C38",
        "annual_revenue_yuan": 35_000_000,
        "employees": 120,
        "founded_on": date(2019, 2, 28),
        "qualifications": ["high_tech", "srdi"],
        "credit_rating": "AA",
        "model_params_billion": 1000,
        "model_kind": "general",
        "uses_city_compute_platform": True,
        "lease_is_direct": False,
        "loan_purpose": "farmland",
        "listing_stage": "signed",
    }
    assert isinstance(parsed["employees"], int)


def test_parse_facts_number_fact_keeps_decimals_exact():
    parsed, errors = parse_facts({"model_params_billion": 0.1})
    assert errors == {}
    assert parsed["model_params_billion"] == Decimal("0.1")


def test_null_counts_as_absent():
    assert parse_facts({"employees": None, "lease_is_direct": None}) == ({}, {})


def test_zero_money_and_empty_list_are_valid():
    assert parse_facts({"loan_amount_yuan": 0, "qualifications": []}) == (
        {"loan_amount_yuan": 0, "qualifications": []},
        {},
    )


def test_parse_fact_single_value():
    assert parse_fact("founded_on", "2020-01-01") == date(2020, 1, 1)
    with pytest.raises(ValueError, match="未知的事实名称"):
        parse_fact("turnover", 1)
    with pytest.raises(ValueError, match="非负整数"):
        parse_fact("employees", "12")


# -- parse_facts: errors ------------------------------------------------------------------------


def test_unknown_fact_name():
    parsed, errors = parse_facts({"turnover": 100, "employees": 10})
    assert errors == {"turnover": ["未知的事实名称"]}
    assert parsed == {"employees": 10}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("employees", "12", "应为非负整数"),
        ("employees", 12.5, "应为非负整数"),
        ("employees", True, "应为非负整数"),
        ("annual_revenue_yuan", False, "应为非负整数（单位：元）"),
        ("annual_revenue_yuan", "500万", "应为非负整数（单位：元）"),
        ("model_params_billion", True, "应为数值"),
        ("model_params_billion", "100", "应为数值"),
        ("model_params_billion", float("nan"), "应为有限的数值"),
        ("lease_is_direct", 1, "应为布尔值（true 或 false）"),
        ("lease_is_direct", "true", "应为布尔值（true 或 false）"),
        ("credit_rating", 5, "应为字符串"),
        ("credit_rating", "  ", "不能为空"),
        ("qualifications", "high_tech", "应为代码列表"),
        ("qualifications", [1], "列表中的每一项应为字符串代码"),
    ],
)
def test_wrong_types(name, value, message):
    parsed, errors = parse_facts({name: value})
    assert parsed == {}
    assert errors == {name: [message]}


def test_booleans_are_never_integers_and_integers_never_booleans():
    _, errors = parse_facts({"employees": True, "model_filed": 0})
    assert set(errors) == {"employees", "model_filed"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("annual_revenue_yuan", -1, "金额不能为负数"),
        ("lease_amount_yuan", -500_000, "金额不能为负数"),
        ("employees", -3, "不能为负数"),
        ("model_params_billion", -0.5, "不能为负数"),
        ("data_trading_rank", 0, "不能小于1"),
    ],
)
def test_negative_money_and_counts(name, value, message):
    assert parse_facts({name: value}) == ({}, {name: [message]})


@pytest.mark.parametrize("value", ["91110000600037341X", "9111000060003734", "ABCDEFGHIJKLMNOPQR"])
def test_malformed_uscc(value):
    _, errors = parse_facts({"uscc": value})
    assert errors == {"uscc": ["统一社会信用代码格式或校验位不正确"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2023/01/05", "应为 YYYY-MM-DD 格式的日期"),
        ("2023-1-5", "应为 YYYY-MM-DD 格式的日期"),
        (20230105, "应为 YYYY-MM-DD 格式的日期"),
        ("2023-02-30", "日期无效（不存在的日期）"),
    ],
)
def test_bad_dates(value, message):
    assert parse_facts({"founded_on": value}) == ({}, {"founded_on": [message]})


def test_unknown_enum_value_and_qualification_code():
    _, errors = parse_facts(
        {
            "listing_stage": "ipo",
            "qualifications": ["high_tech", "famous"],
            "beneficiary_kind": "person",
        }
    )
    assert errors["listing_stage"][0].startswith("未知的取值“ipo”")
    assert errors["qualifications"][0].startswith("未知的资质代码“famous”")
    assert errors["beneficiary_kind"][0].startswith("未知的取值“person”")


def test_bad_region_and_industry_codes():
    _, errors = parse_facts({"region_code": "3709", "industry_code": "C3"})
    assert errors["region_code"][0].startswith("行政区划代码格式不正确")
    assert errors["industry_code"][0].startswith("行业代码格式不正确")


def test_errors_for_several_facts_are_all_reported():
    parsed, errors = parse_facts(
        {"employees": -1, "uscc": "bad", "nonsense": 1, "annual_revenue_yuan": 1}
    )
    assert set(errors) == {"employees", "uscc", "nonsense"}
    assert parsed == {"annual_revenue_yuan": 1}


def test_facts_must_be_an_object():
    assert parse_facts(["employees", 1]) == ({}, {"facts": ["应为对象（事实名称 → 值）"]})
