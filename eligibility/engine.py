"""The eligibility engine: evaluates a policy rule (``docs/rules.md``) against a firm's facts.

Public API:

- :func:`validate_rule` lists every structural problem of a rule, in Chinese (admin, on save).
- :func:`compile_rule` pre-parses a rule into a :class:`CompiledRule` (decimals, one closure per
  condition); :meth:`CompiledRule.evaluate` gives the full explained :class:`Evaluation`,
  :meth:`CompiledRule.quick` the same decision without explanations (for bulk matching).
- :func:`evaluate` compiles (with a cache) and evaluates in one call.
- :func:`format_wan` formats whole yuan as 万元 for formulas and the UI.

Logic is three-valued: a condition on a missing fact is *unknown* (``None``), never false or zero.
Facts are expected as :func:`eligibility.facts.parse_facts` returns them (a ``None`` value counts
as absent). Money is integer yuan, rates are ``Decimal``, amounts are rounded half-up.

This module imports nothing from Django.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from eligibility import facts as _facts
from eligibility.facts import BENEFICIARY_KINDS, FORMAT_REGION, FactSpec, parse_date_value
from regions.codes import is_valid_region_code, region_contains

__all__ = [
    "BENEFIT_TYPES",
    "OPS",
    "CompiledRule",
    "ConditionResult",
    "Evaluation",
    "RuleError",
    "compile_rule",
    "evaluate",
    "format_rate",
    "format_value",
    "format_wan",
    "validate_rule",
]

OPS: Final = (
    "gt",
    "gte",
    "lt",
    "lte",
    "eq",
    "ne",
    "in",
    "is_true",
    "is_false",
    "has_any",
    "has_all",
    "within",
    "age_years_gte",
    "age_years_lt",
    "starts_with",
)
"""Leaf operators. ``starts_with`` is an extension (see docs/rules.md)."""

BENEFIT_TYPES: Final = (
    "fixed",
    "max_only",
    "percent",
    "base_plus_marginal",
    "tiers",
    "staged",
    "choose",
)

DEFAULT_BENEFICIARY: Final = "enterprise"

_ONE = Decimal(1)
_WAN = Decimal(10000)
_HUNDRED = Decimal(100)

Facts = Mapping[str, Any]


# ---------------------------------------------------------------------------------------------
# Formatting


def _plain(number: Decimal) -> str:
    """A decimal without exponent and without trailing zeros (``Decimal("100.0")`` → ``100``)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def format_wan(yuan: int) -> str:
    """Whole yuan as Chinese money text: 150000 → ``15万元``, 1234567 → ``123.4567万元``.

    Amounts under 1万 stay in 元 (``0元``, ``5000元``); trailing zeros are stripped.
    """
    if -10000 < yuan < 10000:
        return f"{yuan}元"
    return f"{_plain(Decimal(yuan) / _WAN)}万元"


def format_rate(rate: Decimal, spec: FactSpec | None = None) -> str:
    """A rate as text: ``2%`` for a rate of money, ``50000元/间`` per unit of a counted fact."""
    if spec is None or spec.is_money or not spec.unit:
        return f"{_plain(rate * _HUNDRED)}%"
    return f"{_plain(rate)}元/{spec.unit}"


def _format_quantity(spec: FactSpec, value: Any) -> str:
    if spec.is_money and isinstance(value, int):
        return format_wan(value)
    return f"{_plain(Decimal(value))}{spec.unit}"


def format_value(spec: FactSpec | None, value: Any) -> str:
    """A fact value as short Chinese text (money in 万元, codes by their Chinese names)."""
    if value is None:
        return "未提供"
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec is None:
        return str(value)
    if isinstance(value, int | Decimal) and spec.is_numeric:
        return _format_quantity(spec, value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(spec.choice_label(str(v)) for v in value) or "无"
    if isinstance(value, str):
        return spec.choice_label(value)
    return str(value)


def _round(amount: Decimal) -> int:
    return int(amount.quantize(_ONE, rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(slots=True)
class ConditionResult:
    """One leaf condition of a rule: its label, and whether the firm's facts pass it.

    ``passed`` is ``None`` when the fact is missing. ``value_used`` is the fact's value (or None).
    """

    label: str
    passed: bool | None
    fact: str
    value_used: Any = None


@dataclass(slots=True)
class Evaluation:
    """The engine's answer for one rule and one set of facts.

    ``eligible`` is ``None`` when a missing fact leaves it undecided; ``missing_facts`` then names
    the facts whose absence decided that (plus any fact the benefit amount needs). ``amount_yuan``
    is the exact benefit when the terms and facts fix it; ``max_amount_yuan`` the cap the terms
    give. When ``eligible`` is False, ``amount_yuan`` and ``formula`` are None and
    ``missing_facts`` is empty.
    """

    eligible: bool | None
    amount_yuan: int | None
    max_amount_yuan: int | None
    conditions: list[ConditionResult]
    unmet: list[str]
    missing_facts: list[str]
    facts_used: dict[str, Any]
    formula: str | None = None
    benefit_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields of the API contract, plus ``formula`` and ``benefit_note``."""
        return {
            "eligible": self.eligible,
            "amount_yuan": self.amount_yuan,
            "max_amount_yuan": self.max_amount_yuan,
            "conditions": [
                {"label": c.label, "passed": c.passed, "fact": c.fact} for c in self.conditions
            ],
            "unmet": list(self.unmet),
            "missing_facts": list(self.missing_facts),
            "formula": self.formula,
            "benefit_note": self.benefit_note,
        }


class RuleError(ValueError):
    """A rule failed :func:`validate_rule`; ``errors`` holds the Chinese messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


# ---------------------------------------------------------------------------------------------
# Validation


_RULE_KEYS = frozenset(
    {
        "valid_from",
        "valid_to",
        "beneficiary",
        "conditions",
        "benefit",
        "one_time",
        "annual_cap_yuan",
    }
)
_LEAF_KEYS = frozenset({"fact", "op", "value", "label"})
_COMMON_BENEFIT_KEYS = frozenset({"type", "cap_yuan", "note"})
_BENEFIT_KEYS: Final[dict[str, frozenset[str]]] = {
    "fixed": frozenset({"amount_yuan"}),
    "max_only": frozenset({"max_amount_yuan"}),
    "percent": frozenset({"fact", "rate", "rate_overrides"}),
    "base_plus_marginal": frozenset(
        {"fact", "threshold_yuan", "base_yuan", "rate", "rate_overrides"}
    ),
    "tiers": frozenset({"fact", "tiers", "rate_overrides"}),
    "staged": frozenset({"total_yuan", "ratios", "stage_fact", "stages", "stage_labels"}),
    "choose": frozenset({"options"}),
}
_BENEFIT_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "fixed": ("amount_yuan",),
    "max_only": ("max_amount_yuan",),
    "percent": ("fact", "rate"),
    "base_plus_marginal": ("fact", "threshold_yuan", "base_yuan", "rate"),
    "tiers": ("fact", "tiers"),
    "staged": ("total_yuan", "ratios", "stage_fact", "stages"),
    "choose": ("options",),
}
_ORDER_OPS = frozenset({"gt", "gte", "lt", "lte"})
_NO_VALUE_OPS = frozenset({"is_true", "is_false"})


def _is_money(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return isinstance(value, Decimal) and value.is_finite()


def _keys_text(keys: Any) -> str:
    return "、".join(sorted(map(str, keys)))


class _Validator:
    """Walks a rule and collects Chinese messages, each prefixed with the path of the problem."""

    def __init__(self, known: Mapping[str, FactSpec]) -> None:
        self.known = known
        self.errors: list[str] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(f"{path}：{message}" if path else message)

    # -- rule ---------------------------------------------------------------------------------

    def rule(self, rule: Any) -> None:
        if not isinstance(rule, Mapping):
            self.err("", "规则应为映射（键值对）")
            return
        unknown = set(rule) - _RULE_KEYS
        if unknown:
            self.err("", f"规则中有未知字段：{_keys_text(unknown)}")
        dates: dict[str, date] = {}
        for key in ("valid_from", "valid_to"):
            value = rule.get(key)
            if value is None:
                continue
            try:
                dates[key] = parse_date_value(value)
            except ValueError:
                self.err(key, "应为 YYYY-MM-DD 格式的日期")
        if (
            "valid_from" in dates
            and "valid_to" in dates
            and dates["valid_from"] > dates["valid_to"]
        ):
            self.err("valid_to", "截止日期早于起始日期")
        beneficiary = rule.get("beneficiary")
        if beneficiary is not None and beneficiary not in BENEFICIARY_KINDS:
            self.err(
                "beneficiary",
                f"未知的政策对象“{beneficiary}”，可选：{'、'.join(BENEFICIARY_KINDS)}",
            )
        one_time = rule.get("one_time")
        if one_time is not None and not isinstance(one_time, bool):
            self.err("one_time", "应为布尔值（true 或 false）")
        cap = rule.get("annual_cap_yuan")
        if cap is not None and not _is_money(cap):
            self.err("annual_cap_yuan", "应为以元为单位的非负整数")
        if rule.get("conditions") is not None:
            self.condition(rule["conditions"], "conditions")
        if rule.get("benefit") is not None:
            self.benefit(rule["benefit"], "benefit")

    # -- conditions ---------------------------------------------------------------------------

    def label(self, node: Mapping[str, Any], path: str, *, required: bool) -> None:
        label = node.get("label")
        if label is None:
            if required:
                self.err(path, "缺少中文说明（label）")
        elif not isinstance(label, str) or not label.strip():
            self.err(path, "中文说明（label）应为非空字符串")

    def condition(self, node: Any, path: str) -> None:
        if not isinstance(node, Mapping):
            self.err(path, "条件应为映射（all、any、not 或 fact）")
            return
        composite = [k for k in ("all", "any", "not") if k in node]
        if composite:
            if len(composite) > 1 or "fact" in node:
                self.err(path, "一个条件只能是 all、any、not、fact 之一")
                return
            key = composite[0]
            unknown = set(node) - {key, "label"}
            if unknown:
                self.err(path, f"条件中有未知字段：{_keys_text(unknown)}")
            self.label(node, path, required=False)
            if key == "not":
                self.condition(node["not"], f"{path}.not")
                return
            children = node[key]
            if not isinstance(children, list) or not children:
                self.err(f"{path}.{key}", "应为非空的条件列表")
                return
            for i, child in enumerate(children):
                self.condition(child, f"{path}.{key}[{i}]")
            return
        if "fact" not in node:
            self.err(path, "条件缺少 fact（或 all、any、not）")
            return
        unknown = set(node) - _LEAF_KEYS
        if unknown:
            self.err(path, f"条件中有未知字段：{_keys_text(unknown)}")
        self.label(node, path, required=True)
        name = node.get("fact")
        spec = self.known.get(name) if isinstance(name, str) else None
        if spec is None:
            self.err(path, f"未知的事实名称“{name}”")
        op = node.get("op")
        if op not in OPS:
            self.err(path, f"未知的运算符“{op}”，可选：{'、'.join(OPS)}")
            return
        if spec is not None:
            self.leaf_value(spec, op, node, path)

    def scalar_problem(self, spec: FactSpec, value: Any) -> str | None:
        """Why ``value`` cannot be compared with fact ``spec``, or None."""
        kind = spec.type
        if kind in ("integer", "number"):
            return None if _is_number(value) else "应为数值"
        if kind == "date":
            try:
                parse_date_value(value)
            except ValueError:
                return "应为 YYYY-MM-DD 格式的日期"
            return None
        if kind == "boolean":
            return None if isinstance(value, bool) else "应为布尔值"
        if not isinstance(value, str):
            return "应为字符串"
        if kind == "enum" and value not in spec.choice_labels:
            return f"“{value}”不是 {spec.name} 的可选值（{'、'.join(spec.choices)}）"
        if spec.format == FORMAT_REGION and not is_valid_region_code(value):
            return f"“{value}”不是有效的行政区划代码"
        return None

    def leaf_value(self, spec: FactSpec, op: str, node: Mapping[str, Any], path: str) -> None:
        kind = spec.type
        where = f"{path}（{spec.name} {op}）"
        if op in _NO_VALUE_OPS:
            if kind != "boolean":
                self.err(where, f"{op} 只能用于布尔事实，{spec.name} 的类型为 {kind}")
            if "value" in node:
                self.err(where, f"{op} 不需要 value")
            return
        if "value" not in node or node["value"] is None:
            self.err(where, "缺少 value")
            return
        value = node["value"]
        if op in _ORDER_OPS:
            if kind not in ("integer", "number", "date"):
                self.err(where, f"{op} 只能用于数值或日期事实，{spec.name} 的类型为 {kind}")
                return
            problem = self.scalar_problem(spec, value)
            if problem:
                self.err(where, f"value {problem}")
        elif op in ("eq", "ne"):
            if kind == "list":
                self.err(where, f"{op} 不能用于列表事实，请用 has_any 或 has_all")
                return
            problem = self.scalar_problem(spec, value)
            if problem:
                self.err(where, f"value {problem}")
        elif op == "in":
            if kind in ("list", "boolean"):
                self.err(where, f"in 不能用于{kind}类型的事实")
                return
            if not isinstance(value, list) or not value:
                self.err(where, "value 应为非空列表")
                return
            for item in value:
                problem = self.scalar_problem(spec, item)
                if problem:
                    self.err(where, f"value 中的 {item!r} {problem}")
        elif op in ("has_any", "has_all"):
            if kind != "list":
                self.err(where, f"{op} 只能用于列表事实，{spec.name} 的类型为 {kind}")
                return
            if not isinstance(value, list) or not value:
                self.err(where, "value 应为非空的代码列表")
                return
            for item in value:
                if not isinstance(item, str):
                    self.err(where, f"value 中的 {item!r} 应为字符串代码")
                elif spec.choices and item not in spec.choice_labels:
                    self.err(where, f"未知的代码“{item}”，可选：{'、'.join(spec.choices)}")
        elif op == "within":
            if spec.format != FORMAT_REGION:
                self.err(where, "within 只能用于行政区划代码事实（region_code）")
                return
            if not isinstance(value, str) or not is_valid_region_code(value):
                self.err(where, f"value “{value}”不是有效的行政区划代码")
        elif op in ("age_years_gte", "age_years_lt"):
            if kind != "date":
                self.err(where, f"{op} 只能用于日期事实，{spec.name} 的类型为 {kind}")
                return
            if not _is_money(value):
                self.err(where, "value 应为非负整数（年数）")
        elif op == "starts_with":
            if kind not in ("string", "enum"):
                self.err(where, f"starts_with 只能用于字符串事实，{spec.name} 的类型为 {kind}")
                return
            items = [value] if isinstance(value, str) else value
            if (
                not isinstance(items, list)
                or not items
                or not all(isinstance(i, str) and i for i in items)
            ):
                self.err(where, "value 应为非空字符串或非空字符串列表")

    # -- benefits -----------------------------------------------------------------------------

    def money(self, node: Mapping[str, Any], key: str, path: str) -> None:
        if key in node and node[key] is not None and not _is_money(node[key]):
            self.err(f"{path}.{key}", "应为以元为单位的非负整数")

    def numeric_fact(self, node: Mapping[str, Any], path: str) -> FactSpec | None:
        name = node.get("fact")
        spec = self.known.get(name) if isinstance(name, str) else None
        if spec is None:
            self.err(f"{path}.fact", f"未知的事实名称“{name}”")
            return None
        if not spec.is_numeric:
            self.err(f"{path}.fact", f"应为数值事实，{spec.name} 的类型为 {spec.type}")
            return None
        return spec

    def rate(self, value: Any, path: str, spec: FactSpec | None) -> None:
        if not isinstance(value, str):
            self.err(path, f'比例应写成字符串形式的小数（如 "0.02" 表示2%），不能是 {value!r}')
            return
        try:
            rate = Decimal(value.strip())
        except InvalidOperation:
            self.err(path, f"“{value}”不是小数")
            return
        if not rate.is_finite() or rate < 0:
            self.err(path, f"“{value}”应为非负的小数")
        elif spec is not None and spec.is_money and rate > 1:
            self.err(path, f'“{value}”大于1（100%）；2% 应写作 "0.02"')

    def benefit(self, node: Any, path: str) -> None:
        if not isinstance(node, Mapping):
            self.err(path, "奖补应为映射（含 type）")
            return
        kind = node.get("type")
        if kind not in _BENEFIT_KEYS:
            self.err(f"{path}.type", f"未知的奖补类型“{kind}”，可选：{'、'.join(BENEFIT_TYPES)}")
            return
        unknown = set(node) - _COMMON_BENEFIT_KEYS - _BENEFIT_KEYS[kind]
        if unknown:
            self.err(path, f"{kind} 奖补中有未知字段：{_keys_text(unknown)}")
        missing = [k for k in _BENEFIT_REQUIRED[kind] if node.get(k) is None]
        if missing:
            self.err(path, f"{kind} 奖补缺少字段：{'、'.join(missing)}")
        self.money(node, "cap_yuan", path)
        note = node.get("note")
        if note is not None and not isinstance(note, str):
            self.err(f"{path}.note", "应为字符串")
        if kind == "fixed":
            self.money(node, "amount_yuan", path)
        elif kind == "max_only":
            self.money(node, "max_amount_yuan", path)
        elif kind in ("percent", "base_plus_marginal", "tiers"):
            spec = self.numeric_fact(node, path) if node.get("fact") is not None else None
            if kind != "tiers" and node.get("rate") is not None:
                self.rate(node["rate"], f"{path}.rate", spec)
            if kind == "base_plus_marginal":
                self.money(node, "threshold_yuan", path)
                self.money(node, "base_yuan", path)
            if kind == "tiers" and node.get("tiers") is not None:
                self.tiers(node["tiers"], f"{path}.tiers", spec)
            if node.get("rate_overrides") is not None:
                self.overrides(node["rate_overrides"], f"{path}.rate_overrides", spec)
        elif kind == "staged":
            self.staged(node, path)
        elif kind == "choose" and node.get("options") is not None:
            self.options(node["options"], f"{path}.options")

    def overrides(self, overrides: Any, path: str, spec: FactSpec | None) -> None:
        if not isinstance(overrides, list) or not overrides:
            self.err(path, "应为非空列表（每项含 when 和 rate）")
            return
        for i, item in enumerate(overrides):
            where = f"{path}[{i}]"
            if not isinstance(item, Mapping):
                self.err(where, "应为映射（when、rate）")
                continue
            unknown = set(item) - {"when", "rate", "label"}
            if unknown:
                self.err(where, f"有未知字段：{_keys_text(unknown)}")
            self.label(item, where, required=False)
            if item.get("when") is None:
                self.err(where, "缺少 when 条件")
            else:
                self.condition(item["when"], f"{where}.when")
            if item.get("rate") is None:
                self.err(where, "缺少 rate")
            else:
                self.rate(item["rate"], f"{where}.rate", spec)

    def tiers(self, tiers: Any, path: str, spec: FactSpec | None) -> None:
        if not isinstance(tiers, list) or not tiers:
            self.err(path, "应为非空的档次列表")
            return
        for i, tier in enumerate(tiers):
            where = f"{path}[{i}]"
            if not isinstance(tier, Mapping):
                self.err(where, "档次应为映射（gte、lt、amount_yuan 或 rate）")
                continue
            unknown = set(tier) - {"gte", "lt", "amount_yuan", "rate", "label"}
            if unknown:
                self.err(where, f"档次中有未知字段：{_keys_text(unknown)}")
            self.label(tier, where, required=False)
            has_amount = tier.get("amount_yuan") is not None
            has_rate = tier.get("rate") is not None
            if has_amount == has_rate:
                self.err(where, "每个档次须有且只有 amount_yuan 或 rate 之一")
            if has_amount:
                self.money(tier, "amount_yuan", where)
            if has_rate:
                self.rate(tier["rate"], f"{where}.rate", spec)
            bounds = {}
            for key in ("gte", "lt"):
                bound = tier.get(key)
                if bound is None:
                    continue
                if not _is_number(bound):
                    self.err(f"{where}.{key}", "应为数值")
                else:
                    bounds[key] = bound
            if "gte" in bounds and "lt" in bounds and bounds["gte"] >= bounds["lt"]:
                self.err(where, "gte 应小于 lt")

    def staged(self, node: Mapping[str, Any], path: str) -> None:
        self.money(node, "total_yuan", path)
        ratios: Any = node.get("ratios")
        stages: Any = node.get("stages")
        labels: Any = node.get("stage_labels")
        ratios_ok = (
            isinstance(ratios, list)
            and bool(ratios)
            and all(isinstance(r, int) and not isinstance(r, bool) and r > 0 for r in ratios)
        )
        if ratios is not None and not ratios_ok:
            self.err(f"{path}.ratios", "应为正整数列表（如 [1, 3, 4, 2]）")
        stages_ok = isinstance(stages, list) and bool(stages)
        if stages is not None:
            if not stages_ok or not all(isinstance(s, str) and s for s in stages):
                self.err(f"{path}.stages", "应为非空的阶段取值列表（字符串）")
                stages_ok = False
            elif len(set(stages)) != len(stages):
                self.err(f"{path}.stages", "阶段取值不能重复")
        if ratios_ok and stages_ok and len(ratios) != len(stages):
            self.err(
                path,
                f"ratios 有 {len(ratios)} 项而 stages 有 {len(stages)} 项，两者应一一对应",
            )
        if labels is not None:
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                self.err(f"{path}.stage_labels", "应为字符串列表")
            elif stages_ok and len(labels) != len(stages):
                self.err(f"{path}.stage_labels", "项数应与 stages 相同")
        name = node.get("stage_fact")
        if name is None:
            return
        spec = self.known.get(name) if isinstance(name, str) else None
        if spec is None:
            self.err(f"{path}.stage_fact", f"未知的事实名称“{name}”")
            return
        if spec.type not in ("enum", "string"):
            self.err(f"{path}.stage_fact", f"应为枚举或字符串事实，{name} 的类型为 {spec.type}")
        elif spec.type == "enum" and stages_ok:
            bad = [s for s in stages if s not in spec.choice_labels]
            if bad:
                self.err(
                    f"{path}.stages",
                    f"{'、'.join(bad)} 不是 {name} 的可选值（{'、'.join(spec.choices)}）",
                )

    def options(self, options: Any, path: str) -> None:
        if not isinstance(options, list) or not options:
            self.err(path, "应为非空列表（每项含 when 和 benefit）")
            return
        for i, option in enumerate(options):
            where = f"{path}[{i}]"
            if not isinstance(option, Mapping):
                self.err(where, "应为映射（when、benefit）")
                continue
            unknown = set(option) - {"when", "benefit", "label"}
            if unknown:
                self.err(where, f"有未知字段：{_keys_text(unknown)}")
            self.label(option, where, required=False)
            if option.get("when") is None:
                self.err(where, "缺少 when 条件")
            else:
                self.condition(option["when"], f"{where}.when")
            if option.get("benefit") is None:
                self.err(where, "缺少 benefit")
            else:
                self.benefit(option["benefit"], f"{where}.benefit")


def validate_rule(rule: Any, *, known_facts: Mapping[str, FactSpec] | None = None) -> list[str]:
    """Every structural problem of ``rule`` as a Chinese message (empty list = valid).

    Checks keys, dates, beneficiary, operators and their operands against each fact's type,
    labels on every leaf, benefit types and their fields, rates (decimal strings; at most 1 for
    a rate of money), tiers, staged ratios against stages, and fact names (against
    ``known_facts``, default the live registry of :mod:`eligibility.facts`). Each message starts
    with the path of the problem, e.g. ``conditions.all[1]：未知的运算符“gtt”…``.
    """
    validator = _Validator(_facts.FACTS if known_facts is None else known_facts)
    validator.rule(rule)
    return validator.errors


# ---------------------------------------------------------------------------------------------
# Compiled conditions

_region_contains = functools.lru_cache(maxsize=65536)(region_contains)


@functools.lru_cache(maxsize=4096)
def _years_before(as_of: date, years: int) -> date:
    """The same calendar day ``years`` before ``as_of`` (29 Feb → 28 Feb)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return as_of.replace(year=as_of.year - years, day=28)


Test = Callable[[Any, date], bool]


def _to_number(value: Any) -> int | Decimal:
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _operand(spec: FactSpec, value: Any) -> Any:
    if spec.is_numeric:
        return _to_number(value)
    if spec.type == "date":
        return parse_date_value(value)
    return value


def _make_test(spec: FactSpec, op: str, raw: Any) -> Test:
    """A closure ``(fact_value, as_of) -> bool`` for one leaf (the fact value is never None)."""
    test: Test
    if op in ("in", "has_any", "has_all"):
        items = frozenset(_operand(spec, v) for v in raw)
        if op == "in":
            test = lambda v, d: v in items  # noqa: E731
        elif op == "has_any":
            test = lambda v, d: not items.isdisjoint(v)  # noqa: E731
        else:
            test = lambda v, d: items.issubset(v)  # noqa: E731
    elif op == "is_true":
        test = lambda v, d: v is True  # noqa: E731
    elif op == "is_false":
        test = lambda v, d: v is False  # noqa: E731
    elif op == "within":
        outer = raw
        test = lambda v, d: _region_contains(outer, v)  # noqa: E731
    elif op == "age_years_gte":
        years = int(raw)
        test = lambda v, d: v <= _years_before(d, years)  # noqa: E731
    elif op == "age_years_lt":
        years = int(raw)
        test = lambda v, d: v > _years_before(d, years)  # noqa: E731
    elif op == "starts_with":
        prefixes = (raw,) if isinstance(raw, str) else tuple(raw)
        test = lambda v, d: v.startswith(prefixes)  # noqa: E731
    else:
        t = _operand(spec, raw)
        test = {
            "gt": lambda v, d: v > t,
            "gte": lambda v, d: v >= t,
            "lt": lambda v, d: v < t,
            "lte": lambda v, d: v <= t,
            "eq": lambda v, d: v == t,
            "ne": lambda v, d: v != t,
        }[op]
    if spec.type == "date":
        inner = test

        def test(v: Any, d: date) -> bool:
            return inner(v if isinstance(v, date) else parse_date_value(v), d)

    return test


Record = list[bool | None]


class _Node:
    """A compiled condition. ``ev`` is three-valued; with ``rec`` (a list) it evaluates every
    child and records each node's result at ``rec[idx]``; without, it short-circuits."""

    __slots__ = ("idx", "label")

    def __init__(self, idx: int, label: str | None) -> None:
        self.idx = idx
        self.label = label

    def ev(self, facts: Facts, as_of: date, rec: Record | None) -> bool | None:
        raise NotImplementedError

    def missing(self, rec: Record, out: list[str]) -> None:
        """Append the facts whose absence made this (unknown) node unknown."""
        raise NotImplementedError

    def unmet(self, rec: Record, facts: Facts, out: list[str]) -> None:
        """Append Chinese sentences saying why this (false) node failed."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short Chinese description of the condition."""
        raise NotImplementedError


class _Leaf(_Node):
    __slots__ = ("fact", "spec", "test")

    def __init__(self, idx: int, label: str, spec: FactSpec, test: Test) -> None:
        super().__init__(idx, label)
        self.fact = spec.name
        self.spec = spec
        self.test = test

    def ev(self, facts: Facts, as_of: date, rec: Record | None) -> bool | None:
        value = facts.get(self.fact)
        result = None if value is None else self.test(value, as_of)
        if rec is not None:
            rec[self.idx] = result
        return result

    def missing(self, rec: Record, out: list[str]) -> None:
        out.append(self.fact)

    def unmet(self, rec: Record, facts: Facts, out: list[str]) -> None:
        value = format_value(self.spec, facts.get(self.fact))
        out.append(f"未满足：{self.label}（{self.spec.label}：{value}）")

    def describe(self) -> str:
        return self.label or self.fact


class _Junction(_Node):
    """``all`` (``decisive`` False: one false child makes it false) or ``any`` (``decisive``
    True: one true child makes it true); otherwise unknown if a child is unknown."""

    __slots__ = ("children", "decisive")

    def __init__(
        self, idx: int, label: str | None, children: list[_Node], *, decisive: bool
    ) -> None:
        super().__init__(idx, label)
        self.children = children
        self.decisive = decisive

    def ev(self, facts: Facts, as_of: date, rec: Record | None) -> bool | None:
        decisive = self.decisive
        decided = unknown = False
        for child in self.children:
            result = child.ev(facts, as_of, rec)
            if result is decisive:
                if rec is None:
                    return decisive
                decided = True
            elif result is None:
                unknown = True
        result = decisive if decided else (None if unknown else not decisive)
        if rec is not None:
            rec[self.idx] = result
        return result

    def missing(self, rec: Record, out: list[str]) -> None:
        for child in self.children:
            if rec[child.idx] is None:
                child.missing(rec, out)

    def unmet(self, rec: Record, facts: Facts, out: list[str]) -> None:
        if not self.decisive:
            for child in self.children:
                if rec[child.idx] is False:
                    child.unmet(rec, facts, out)
        elif self.label:
            out.append(f"未满足：{self.label}")
        else:
            out.append("未满足以下任一条件：" + "；".join(c.describe() for c in self.children))

    def describe(self) -> str:
        if self.label:
            return self.label
        return ("或" if self.decisive else "且").join(_nested(c) for c in self.children)


class _Not(_Node):
    __slots__ = ("child",)

    def __init__(self, idx: int, label: str | None, child: _Node) -> None:
        super().__init__(idx, label)
        self.child = child

    def ev(self, facts: Facts, as_of: date, rec: Record | None) -> bool | None:
        result = self.child.ev(facts, as_of, rec)
        if result is not None:
            result = not result
        if rec is not None:
            rec[self.idx] = result
        return result

    def missing(self, rec: Record, out: list[str]) -> None:
        self.child.missing(rec, out)

    def unmet(self, rec: Record, facts: Facts, out: list[str]) -> None:
        out.append(f"存在排除情形：{self.child.describe()}")

    def describe(self) -> str:
        return self.label or f"不属于：{_nested(self.child)}"


def _nested(node: _Node) -> str:
    """The description of a child node, bracketed when it is an unlabelled all/any."""
    text = node.describe()
    if isinstance(node, _Junction) and not node.label and len(node.children) > 1:
        return f"（{text}）"
    return text


class _Tree:
    """A compiled condition tree with its leaves in rule order."""

    __slots__ = ("leaves", "root", "size")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.leaves: list[_Leaf] = []
        self.size = 0
        self.root = self._build(node)

    def _build(self, node: Mapping[str, Any]) -> _Node:
        label = node.get("label")
        if "all" in node or "any" in node:
            decisive = "any" in node
            children = [self._build(c) for c in node["any" if decisive else "all"]]
            built: _Node = _Junction(self._next(), label, children, decisive=decisive)
        elif "not" in node:
            built = _Not(self._next(), label, self._build(node["not"]))
        else:
            spec = _facts.FACTS[node["fact"]]
            test = _make_test(spec, node["op"], node.get("value"))
            leaf = _Leaf(self._next(), node["label"], spec, test)
            self.leaves.append(leaf)
            built = leaf
        return built

    def _next(self) -> int:
        self.size += 1
        return self.size - 1

    def quick(self, facts: Facts, as_of: date) -> bool | None:
        """The three-valued result, short-circuiting."""
        return self.root.ev(facts, as_of, None)

    def full(self, facts: Facts, as_of: date) -> tuple[bool | None, Record]:
        """The result with every node evaluated and recorded."""
        rec: Record = [None] * self.size
        return self.root.ev(facts, as_of, rec), rec

    def run(self, facts: Facts, as_of: date, explain: bool) -> tuple[bool | None, Record | None]:
        """:meth:`full` when ``explain``, else :meth:`quick` with no record."""
        if explain:
            return self.full(facts, as_of)
        return self.quick(facts, as_of), None

    def missing(self, rec: Record) -> list[str]:
        out: list[str] = []
        if rec[self.root.idx] is None:
            self.root.missing(rec, out)
        return out

    def unmet(self, rec: Record, facts: Facts) -> list[str]:
        out: list[str] = []
        if rec[self.root.idx] is False:
            self.root.unmet(rec, facts, out)
        return out

    def describe(self) -> str:
        return self.root.describe()

    def fact_names(self) -> list[str]:
        return [leaf.fact for leaf in self.leaves]


# ---------------------------------------------------------------------------------------------
# Compiled benefits


@dataclass(slots=True)
class _Award:
    """What a benefit gives for one set of facts.

    ``applies`` is False when the facts are known and give no award (below the threshold, in no
    tier, no option's condition holds, a stage outside the staged ones); None when a choice
    between options is undecided; True otherwise (even when the amount lacks a fact).
    """

    amount: int | None
    maximum: int | None
    applies: bool | None = True
    missing: tuple[str, ...] = ()
    formula: str | None = None
    unmet: str | None = None
    note: str | None = None


def _min_cap(value: int | None, cap: int | None) -> int | None:
    if cap is None:
        return value
    return cap if value is None else min(value, cap)


class _Benefit:
    __slots__ = ("cap", "fact_names", "note", "static_max")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.cap: int | None = node.get("cap_yuan")
        self.note: str | None = node.get("note")
        self.fact_names: list[str] = []
        self.static_max: int | None = None

    def _finish(self, raw_max: int | None) -> None:
        self.static_max = _min_cap(raw_max, self.cap)

    def award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        """The award for ``facts``, with the cap applied; texts only when ``explain``."""
        result = self._award(facts, as_of, explain)
        if result.maximum is None:
            result.maximum = self.static_max
        cap = self.cap
        if cap is not None:
            if result.amount is not None and result.amount > cap:
                if explain and result.formula:
                    result.formula += f"，超过上限{format_wan(cap)}，按{format_wan(cap)}计"
                result.amount = cap
            result.maximum = _min_cap(result.maximum, cap)
        if result.note is None:
            result.note = self.note
        return result

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        raise NotImplementedError


class _Fixed(_Benefit):
    __slots__ = ("amount",)

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self.amount: int = node["amount_yuan"]
        self._finish(self.amount)

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        formula = f"定额{format_wan(self.amount)}" if explain else None
        return _Award(self.amount, self.amount, formula=formula)


class _MaxOnly(_Benefit):
    __slots__ = ("maximum",)

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self.maximum: int = node["max_amount_yuan"]
        self._finish(self.maximum)

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        return _Award(None, self.maximum)


class _Override:
    __slots__ = ("label", "rate", "when")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.when = _Tree(node["when"])
        self.rate = Decimal(node["rate"].strip())
        self.label: str = node.get("label") or self.when.describe()


class _RateBenefit(_Benefit):
    """A benefit computed from a numeric fact, whose rate ``rate_overrides`` may replace."""

    __slots__ = ("fact", "overrides", "rate", "spec")

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self.fact: str = node["fact"]
        self.spec = _facts.FACTS[self.fact]
        self.rate = Decimal(node["rate"].strip()) if node.get("rate") is not None else None
        self.overrides = [_Override(o) for o in node.get("rate_overrides") or ()]
        self.fact_names = [self.fact]
        for override in self.overrides:
            self.fact_names.extend(override.when.fact_names())

    def pick_rate(
        self, base: Decimal | None, facts: Facts, as_of: date, explain: bool
    ) -> tuple[Decimal | None, str | None, tuple[str, ...]]:
        """(rate, why, missing): the first override whose condition passes replaces ``base``;
        an override whose condition is unknown leaves the rate unknown."""
        for override in self.overrides:
            result, rec = override.when.run(facts, as_of, explain)
            if result is True:
                return override.rate, override.label, ()
            if result is None:
                return None, None, tuple(override.when.missing(rec)) if rec is not None else ()
        return base, None, ()

    def quantity(self, value: Any) -> str:
        return _format_quantity(self.spec, value)

    def rate_text(self, rate: Decimal, why: str | None) -> str:
        text = format_rate(rate, self.spec)
        return f"{text}（{why}）" if why else text


class _Percent(_RateBenefit):
    __slots__ = ()

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self._finish(None)

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        value = facts.get(self.fact)
        rate, why, missing = self.pick_rate(self.rate, facts, as_of, explain)
        if value is None or rate is None:
            if value is None:
                missing = (self.fact, *missing)
            return _Award(None, None, missing=missing)
        amount = _round(value * rate)
        formula = None
        if explain:
            formula = f"{self.quantity(value)} × {self.rate_text(rate, why)} = {format_wan(amount)}"
        return _Award(amount, None, formula=formula)


class _BasePlusMarginal(_RateBenefit):
    __slots__ = ("base", "threshold")

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self.threshold: int = node["threshold_yuan"]
        self.base: int = node["base_yuan"]
        self._finish(None)

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        value = facts.get(self.fact)
        if value is None:
            _, _, missing = self.pick_rate(self.rate, facts, as_of, explain)
            return _Award(None, None, missing=(self.fact, *missing))
        if value < self.threshold:
            unmet = None
            if explain:
                unmet = (
                    f"{self.spec.label}{self.quantity(value)}，"
                    f"未达到奖补起点{self.quantity(self.threshold)}"
                )
            return _Award(None, None, applies=False, unmet=unmet)
        rate, why, missing = self.pick_rate(self.rate, facts, as_of, explain)
        if rate is None:
            return _Award(None, None, missing=missing)
        amount = _round(self.base + (value - self.threshold) * rate)
        formula = None
        if explain:
            formula = (
                f"{format_wan(self.base)} + ({self.quantity(value)} − "
                f"{self.quantity(self.threshold)}) × {self.rate_text(rate, why)} = "
                f"{format_wan(amount)}"
            )
        return _Award(amount, None, formula=formula)


class _Tier:
    __slots__ = ("amount", "gte", "label", "lt", "rate")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.gte = None if node.get("gte") is None else _to_number(node["gte"])
        self.lt = None if node.get("lt") is None else _to_number(node["lt"])
        self.amount: int | None = node.get("amount_yuan")
        self.rate = None if node.get("rate") is None else Decimal(node["rate"].strip())
        self.label: str | None = node.get("label")

    def holds(self, value: Any) -> bool:
        return (self.gte is None or value >= self.gte) and (self.lt is None or value < self.lt)


class _Tiers(_RateBenefit):
    __slots__ = ("tiers",)

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self.tiers = [_Tier(t) for t in node["tiers"]]
        amounts = [t.amount for t in self.tiers]
        self._finish(None if None in amounts else max(a for a in amounts if a is not None))

    def tier_text(self, tier: _Tier) -> str:
        if tier.label:
            return tier.label
        if tier.gte is not None and tier.lt is not None:
            return f"{self.quantity(tier.gte)}（含）至{self.quantity(tier.lt)}档"
        if tier.gte is not None:
            return f"{self.quantity(tier.gte)}（含）以上档"
        if tier.lt is not None:
            return f"不足{self.quantity(tier.lt)}档"
        return "统一档"

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        value = facts.get(self.fact)
        if value is None:
            return _Award(None, None, missing=(self.fact,))
        for tier in self.tiers:
            if not tier.holds(value):
                continue
            if tier.amount is not None:
                formula = None
                if explain:
                    formula = (
                        f"{self.quantity(value)}，属于{self.tier_text(tier)}："
                        f"{format_wan(tier.amount)}"
                    )
                return _Award(tier.amount, None, formula=formula)
            rate, why, missing = self.pick_rate(tier.rate, facts, as_of, explain)
            if rate is None:
                return _Award(None, None, missing=missing)
            amount = _round(value * rate)
            formula = None
            if explain:
                formula = (
                    f"{self.quantity(value)} × {self.rate_text(rate, why)} = "
                    f"{format_wan(amount)}（{self.tier_text(tier)}）"
                )
            return _Award(amount, None, formula=formula)
        unmet = None
        if explain:
            unmet = f"{self.spec.label}{self.quantity(value)}，不在任何奖补档次内"
        return _Award(None, None, applies=False, unmet=unmet)


class _Staged(_Benefit):
    __slots__ = ("index", "labels", "ratios", "shares", "spec", "stage_fact", "total")

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self.total: int = node["total_yuan"]
        self.ratios: list[int] = list(node["ratios"])
        self.stage_fact: str = node["stage_fact"]
        self.spec = _facts.FACTS[self.stage_fact]
        stages: list[str] = list(node["stages"])
        self.index = {stage: i for i, stage in enumerate(stages)}
        labels = node.get("stage_labels") or [self.spec.choice_label(s) for s in stages]
        self.labels: list[str] = list(labels)
        # Cumulative rounding, so that the shares always add up to the total.
        whole = sum(self.ratios)
        self.shares: list[int] = []
        done = cumulative = 0
        for ratio in self.ratios:
            cumulative += ratio
            upto = _round(Decimal(self.total * cumulative) / Decimal(whole))
            self.shares.append(upto - done)
            done = upto
        self.fact_names = [self.stage_fact]
        self._finish(self.total)

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        stage = facts.get(self.stage_fact)
        if stage is None:
            return _Award(None, self.total, missing=(self.stage_fact,))
        i = self.index.get(stage)
        if i is None:
            unmet = None
            if explain:
                unmet = (
                    f"{self.spec.label}为“{self.spec.choice_label(stage)}”，"
                    f"不在分阶段奖补的阶段（{'、'.join(self.labels)}）之内"
                )
            return _Award(None, self.total, applies=False, unmet=unmet)
        amount = self.shares[i]
        formula = None
        if explain:
            formula = (
                f"{self.labels[i]}：{format_wan(self.total)} × "
                f"{self.ratios[i]}/{sum(self.ratios)} = {format_wan(amount)}"
            )
        return _Award(amount, self.total, formula=formula)


class _Option:
    __slots__ = ("benefit", "label", "when")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.when = _Tree(node["when"])
        self.benefit = _compile_benefit(node["benefit"])
        self.label: str = node.get("label") or self.when.describe()


class _Choose(_Benefit):
    __slots__ = ("options",)

    def __init__(self, node: Mapping[str, Any]) -> None:
        super().__init__(node)
        self.options = [_Option(o) for o in node["options"]]
        for option in self.options:
            self.fact_names.extend(option.when.fact_names())
            self.fact_names.extend(option.benefit.fact_names)
        maxima = [o.benefit.static_max for o in self.options]
        self._finish(None if None in maxima else max(m for m in maxima if m is not None))

    def _award(self, facts: Facts, as_of: date, explain: bool) -> _Award:
        undecided = False
        missing: list[str] = []
        maxima: list[int | None] = []
        for option in self.options:
            result, rec = option.when.run(facts, as_of, explain)
            if result is True:
                if not undecided:
                    award = option.benefit.award(facts, as_of, explain)
                    if award.formula:
                        award.formula = f"{option.label}：{award.formula}"
                    return award
                maxima.append(option.benefit.static_max)
                break
            if result is None:
                undecided = True
                maxima.append(option.benefit.static_max)
                if rec is not None:
                    missing.extend(option.when.missing(rec))
        if undecided:
            maximum = None if None in maxima else max(m for m in maxima if m is not None)
            return _Award(None, maximum, applies=None, missing=tuple(missing))
        unmet = None
        if explain:
            unmet = "不符合任何一种奖补情形：" + "；".join(o.label for o in self.options)
        return _Award(None, None, applies=False, unmet=unmet)


_BENEFIT_CLASSES: Final[dict[str, type[_Benefit]]] = {
    "fixed": _Fixed,
    "max_only": _MaxOnly,
    "percent": _Percent,
    "base_plus_marginal": _BasePlusMarginal,
    "tiers": _Tiers,
    "staged": _Staged,
    "choose": _Choose,
}


def _compile_benefit(node: Mapping[str, Any]) -> _Benefit:
    return _BENEFIT_CLASSES[node["type"]](node)


# ---------------------------------------------------------------------------------------------
# Compiled rules


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


class CompiledRule:
    """A validated, pre-parsed rule. Build with :func:`compile_rule`.

    Attributes: ``valid_from``/``valid_to`` (dates or None), ``beneficiary``, ``one_time``,
    ``annual_cap_yuan``, ``max_amount_yuan`` (the cap the terms give regardless of facts),
    ``fact_names`` (every fact the rule reads, in rule order) and ``rule`` (the source dict).
    """

    __slots__ = (
        "_used",
        "_used_with_region",
        "annual_cap_yuan",
        "beneficiary",
        "benefit",
        "conditions",
        "fact_names",
        "max_amount_yuan",
        "one_time",
        "rule",
        "valid_from",
        "valid_to",
    )

    def __init__(self, rule: Mapping[str, Any]) -> None:
        self.rule = rule
        self.valid_from = (
            None if rule.get("valid_from") is None else parse_date_value(rule["valid_from"])
        )
        self.valid_to = None if rule.get("valid_to") is None else parse_date_value(rule["valid_to"])
        self.beneficiary: str = rule.get("beneficiary") or DEFAULT_BENEFICIARY
        self.one_time: bool = bool(rule.get("one_time"))
        self.annual_cap_yuan: int | None = rule.get("annual_cap_yuan")
        self.conditions = None if rule.get("conditions") is None else _Tree(rule["conditions"])
        self.benefit = None if rule.get("benefit") is None else _compile_benefit(rule["benefit"])
        names = self.conditions.fact_names() if self.conditions else []
        if self.benefit is not None:
            names += self.benefit.fact_names
        self.fact_names: tuple[str, ...] = tuple(_unique(names))
        static = self.benefit.static_max if self.benefit is not None else None
        self.max_amount_yuan = _min_cap(static, self.annual_cap_yuan)
        self._used = tuple(_unique([*self.fact_names, "beneficiary_kind"]))
        self._used_with_region = tuple(
            _unique([*self.fact_names, "region_code", "beneficiary_kind"])
        )

    def in_force(self, as_of: date) -> bool:
        """True when ``as_of`` lies within ``valid_from`` … ``valid_to`` (inclusive)."""
        return not (
            (self.valid_from is not None and as_of < self.valid_from)
            or (self.valid_to is not None and as_of > self.valid_to)
        )

    def quick(
        self, facts: Facts, as_of: date, policy_region_code: str | None = None
    ) -> tuple[bool | None, int | None, int | None]:
        """``(eligible, amount_yuan, max_amount_yuan)`` exactly as :meth:`evaluate` gives them,
        without building explanations (short-circuits; for bulk matching)."""
        return self._run(facts, as_of, policy_region_code, None)

    def evaluate(
        self, facts: Facts, as_of: date, policy_region_code: str | None = None
    ) -> Evaluation:
        """The full explained :class:`Evaluation` of these facts on ``as_of``."""
        result = Evaluation(None, None, None, [], [], [], {})
        self._run(facts, as_of, policy_region_code, result)
        return result

    def _run(
        self,
        facts: Facts,
        as_of: date,
        region: str | None,
        out: Evaluation | None,
    ) -> tuple[bool | None, int | None, int | None]:
        """The one decision procedure behind :meth:`quick` (``out`` None) and :meth:`evaluate`
        (``out`` filled with conditions, unmet, missing facts, formula)."""
        explain = out is not None
        unmet: list[str] = []
        gate_failed = False
        region_missing = False
        # 1. The rule's period of validity.
        if not self.in_force(as_of):
            gate_failed = True
            if explain:
                unmet.append(
                    f"不在政策条款有效期内（{self.valid_from or '不限'}至"
                    f"{self.valid_to or '长期'}，评估日期{as_of}）"
                )
        # 2. The beneficiary kind.
        kind = facts.get("beneficiary_kind") or DEFAULT_BENEFICIARY
        if kind != self.beneficiary:
            gate_failed = True
            if explain:
                unmet.append(
                    f"政策对象为{BENEFICIARY_KINDS.get(self.beneficiary, self.beneficiary)}，"
                    f"申请主体为{BENEFICIARY_KINDS.get(kind, kind)}"
                )
        # 3. The policy's region.
        if region is not None:
            firm_region = facts.get("region_code")
            if firm_region is None:
                region_missing = True
            elif not _region_contains(region, firm_region):
                gate_failed = True
                if explain:
                    unmet.append(
                        f"不在政策适用区域（政策适用区域{region}，企业注册地{firm_region}）"
                    )
        # 4. The conditions.
        rec: Record | None = None
        if self.conditions is None:
            passed: bool | None = True
        elif explain:
            passed, rec = self.conditions.full(facts, as_of)
        elif gate_failed:
            return False, None, self.max_amount_yuan
        else:
            passed = self.conditions.quick(facts, as_of)
        if passed is False:
            gate_failed = True
            if explain and rec is not None and self.conditions is not None:
                unmet.extend(self.conditions.unmet(rec, facts))
        # 5. The benefit: a known fact that gives no award makes the firm ineligible.
        award: _Award | None = None
        if not gate_failed and self.benefit is not None:
            award = self.benefit.award(facts, as_of, explain)
            if award.applies is False:
                gate_failed = True
                if explain and award.unmet:
                    unmet.append(award.unmet)
        eligible: bool | None
        if gate_failed:
            eligible, amount, maximum = False, None, self.max_amount_yuan
        else:
            # An undecided choice between options (applies None) leaves eligibility undecided:
            # if no option turns out to hold, the firm gets nothing.
            undecided = award is not None and award.applies is None
            eligible = None if (region_missing or passed is None or undecided) else True
            amount = award.amount if award is not None else None
            maximum = award.maximum if award is not None else None
            cap = self.annual_cap_yuan
            if cap is not None:
                if amount is not None and amount > cap:
                    amount = cap
                    if explain and award is not None and award.formula:
                        award.formula += f"，超过年度上限{format_wan(cap)}，按{format_wan(cap)}计"
                maximum = _min_cap(maximum, cap)
        if out is not None:
            out.eligible = eligible
            out.amount_yuan = amount
            out.max_amount_yuan = maximum
            out.unmet = unmet
            if self.conditions is not None and rec is not None:
                out.conditions = [
                    ConditionResult(
                        leaf.label or leaf.fact, rec[leaf.idx], leaf.fact, facts.get(leaf.fact)
                    )
                    for leaf in self.conditions.leaves
                ]
            if eligible is not False:
                missing: list[str] = ["region_code"] if region_missing else []
                if passed is None and rec is not None and self.conditions is not None:
                    missing.extend(self.conditions.missing(rec))
                if award is not None:
                    missing.extend(award.missing)
                out.missing_facts = _unique(missing)
                if award is not None:
                    out.formula = award.formula if amount is not None else None
                    out.benefit_note = award.note
            elif self.benefit is not None:
                out.benefit_note = self.benefit.note
            used = self._used_with_region if region is not None else self._used
            out.facts_used = {name: facts[name] for name in used if facts.get(name) is not None}
        return eligible, amount, maximum


def compile_rule(rule: Mapping[str, Any]) -> CompiledRule:
    """Validate and pre-parse ``rule``; raises :class:`RuleError` listing the problems."""
    errors = validate_rule(rule)
    if errors:
        raise RuleError(errors)
    return CompiledRule(rule)


_CACHE: dict[str, CompiledRule] = {}
_CACHE_SIZE: Final = 4096


def _cached(rule: Mapping[str, Any] | CompiledRule) -> CompiledRule:
    if isinstance(rule, CompiledRule):
        return rule
    key = json.dumps(rule, sort_keys=True, ensure_ascii=False, default=str)
    key = f"{_facts.registry_version()}:{key}"
    compiled = _CACHE.get(key)
    if compiled is None:
        compiled = compile_rule(rule)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = compiled
    return compiled


def evaluate(
    *,
    policy_region_code: str | None,
    rule: Mapping[str, Any] | CompiledRule,
    facts: Facts,
    as_of: date,
) -> Evaluation:
    """Evaluate ``rule`` (a dict, compiled and cached, or a :class:`CompiledRule`) for ``facts``.

    Order: the rule's validity period, the beneficiary (``beneficiary_kind``, default
    ``enterprise``), the policy's region (when ``policy_region_code`` is given; a missing
    ``region_code`` is a missing fact), the conditions (three-valued), then the benefit. Raises
    :class:`RuleError` for an invalid rule.
    """
    return _cached(rule).evaluate(facts, as_of, policy_region_code)
