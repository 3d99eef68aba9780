"""Validation of a rule's structure (``docs/rules.md``), every problem as a Chinese message."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from eligibility import facts as _facts
from eligibility.engine.base import BENEFIT_TYPES, OPS
from eligibility.facts import BENEFICIARY_KINDS, FORMAT_REGION, FactSpec, parse_date_value
from regions.codes import is_valid_region_code

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
