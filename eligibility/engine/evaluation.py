"""Compiled rules and their evaluation: validity period, beneficiary, region, conditions,
benefit and caps, with or without explanations; :func:`evaluate` with a compile cache."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from eligibility import facts as _facts
from eligibility.engine.base import (
    DEFAULT_BENEFICIARY,
    ConditionResult,
    Evaluation,
    Facts,
    RuleError,
    _min_cap,
    _unique,
)
from eligibility.engine.benefits import _Award, _compile_benefit
from eligibility.engine.conditions import Record, _region_contains, _Tree
from eligibility.engine.text import format_wan
from eligibility.engine.validation import validate_rule
from eligibility.facts import BENEFICIARY_KINDS, parse_date_value


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
