"""Compiled benefits: fixed, maximum only, percent, base plus marginal rate, tiers, staged
payouts and a choice between options, each with its formula in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from eligibility import facts as _facts
from eligibility.engine.base import Facts, _min_cap
from eligibility.engine.conditions import _to_number, _Tree
from eligibility.engine.text import _format_quantity, _round, format_rate, format_wan


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
