"""Bulk evaluation column-wise: one rule over many firms at once, with numpy.

:func:`quick_many` gives, for every firm of a :class:`FactColumns`, exactly what
:meth:`CompiledRule.quick <eligibility.engine.CompiledRule.quick>` gives for that firm — eligible
(1 yes, 0 no, -1 undecided), the amount (-1 when there is none) and the maximum — but evaluates
each condition once over a whole column instead of once per firm.

How: numeric facts of integer type become int64 columns compared with numpy; every other fact
(booleans, enums, strings, lists, dates, decimals) becomes a categorical column (a code per firm,
its distinct values listed once), so a leaf's test runs once per distinct value and is broadcast
through the codes. Three-valued logic is int8 arithmetic. Amounts are exact: a decimal rate p/q
gives ``(2·v·p + q) // (2·q)``, which is ``v × rate`` rounded half-up for non-negative integers.

Rules this module does not vectorise (tiers, staged and choice benefits, percentages of
non-integer facts, amounts that could overflow int64) fall back to ``CompiledRule.quick`` per
firm, so the results are the same for every valid rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from eligibility import engine
from eligibility import facts as fact_registry

__all__ = ["BulkResult", "FactColumns", "quick_many"]

_INT64_SAFE = 2**62
_NUMERIC_OPS = ("gt", "gte", "lt", "lte", "eq", "ne")


class _Unsupported(Exception):
    """The rule needs the per-firm path."""


@dataclass(slots=True)
class BulkResult:
    """``quick`` for every firm: ``eligible`` int8 (1/0/-1), ``amount`` int64 (-1 = none)."""

    eligible: np.ndarray
    amount: np.ndarray
    max_amount_yuan: int | None
    vectorised: bool
    maxima: list[int | None] | None = None  # per firm, when the maximum depends on the facts

    def row(self, i: int) -> tuple[bool | None, int | None, int | None]:
        """Firm ``i``'s result as ``CompiledRule.quick`` returns it."""
        code = int(self.eligible[i])
        amount = int(self.amount[i])
        return (
            {1: True, 0: False, -1: None}[code],
            None if amount < 0 else amount,
            self.max_amount_yuan if self.maxima is None else self.maxima[i],
        )


@dataclass(slots=True)
class _Numeric:
    values: np.ndarray  # int64, 0 where unknown
    known: np.ndarray  # bool


@dataclass(slots=True)
class _Categorical:
    codes: np.ndarray  # int32 index into ``categories``; -1 where unknown
    categories: list[Any]
    known: np.ndarray


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class FactColumns:
    """The facts of many firms (dicts as :func:`~eligibility.facts.parse_facts` returns them),
    column by column, each column built on first use and kept."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.rows = rows
        self.size = len(rows)
        self._numeric: dict[str, _Numeric | None] = {}
        self._categorical: dict[str, _Categorical] = {}

    def numeric(self, name: str) -> _Numeric | None:
        """An integer fact as int64 values and a known mask (None if a value is no int)."""
        if name not in self._numeric:
            raw = [row.get(name) for row in self.rows]
            column: _Numeric | None = None
            if set(map(type, raw)) <= {int, type(None)}:
                known = np.fromiter(map(_is_known, raw), bool, self.size)
                try:
                    values = np.array([0 if v is None else v for v in raw], np.int64)
                except OverflowError:
                    values = None
                if values is not None:
                    column = _Numeric(values.reshape(self.size), known)
            self._numeric[name] = column
        return self._numeric[name]

    def categorical(self, name: str) -> _Categorical:
        """Any fact as codes into its distinct values (``None`` = unknown, code -1)."""
        column = self._categorical.get(name)
        if column is None:
            raw = [row.get(name) for row in self.rows]
            types = set(map(type, raw))
            if bool in types and types <= {bool, type(None)}:  # booleans: codes 0/1, no lookups
                codes = np.fromiter(map(_bool_code, raw), np.int32, self.size)
                column = _Categorical(codes, [False, True], codes >= 0)
                self._categorical[name] = column
                return column
            index: dict[Any, int] = {}
            setdefault = index.setdefault
            codes = np.array(
                [-1 if v is None else setdefault(_hashable(v), len(index)) for v in raw],
                np.int32,
            ).reshape(self.size)
            categories = [list(k) if isinstance(k, tuple) else k for k in index]
            column = _Categorical(codes, categories, codes >= 0)
            self._categorical[name] = column
        return column


def _is_known(value: Any) -> bool:
    return value is not None


def _bool_code(value: bool | None) -> int:
    return -1 if value is None else int(value)


# ---------------------------------------------------------------------------------------------
# Three-valued logic on int8 arrays: 1 true, 0 false, -1 unknown


def _tri(known: np.ndarray, holds: np.ndarray) -> np.ndarray:
    return np.where(known, holds.astype(np.int8), np.int8(-1))


def _junction(parts: list[np.ndarray], decisive: int) -> np.ndarray:
    result = parts[0]
    for part in parts[1:]:
        decided = (result == decisive) | (part == decisive)
        unknown = (result == -1) | (part == -1)
        result = np.where(decided, np.int8(decisive), np.where(unknown, np.int8(-1), result))
    return result


def _lookup(column: _Categorical, test) -> np.ndarray:
    """A leaf on a categorical column: the test once per distinct value, broadcast."""
    table = np.array([bool(test(v)) for v in column.categories] + [False], dtype=bool)
    return _tri(column.known, table[column.codes])  # code -1 reads the padding


def _integral(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else None


class _Plan:
    """A rule's conditions and benefit, prepared for columns."""

    def __init__(self, compiled: engine.CompiledRule) -> None:
        rule = compiled.rule
        self.compiled = compiled
        self.conditions = rule.get("conditions")
        benefit = rule.get("benefit")
        self.benefit = benefit
        kind = None if benefit is None else benefit["type"]
        if kind not in (None, "fixed", "max_only", "percent", "base_plus_marginal"):
            raise _Unsupported(kind)
        if kind in ("percent", "base_plus_marginal"):
            spec = fact_registry.FACTS[benefit["fact"]]
            if spec.type != "integer" or benefit.get("rate") is None:
                raise _Unsupported("rate benefit on a non-integer fact")
            self.rate = Fraction(Decimal(benefit["rate"].strip()))
            self.overrides = [
                (o["when"], Fraction(Decimal(o["rate"].strip())))
                for o in benefit.get("rate_overrides") or ()
            ]

    # -- conditions ------------------------------------------------------------------------

    def condition(self, node: Mapping[str, Any], cols: FactColumns, as_of: date) -> np.ndarray:
        if "all" in node or "any" in node:
            decisive = 1 if "any" in node else 0
            children = node["any" if decisive else "all"]
            return _junction([self.condition(c, cols, as_of) for c in children], decisive)
        if "not" in node:
            inner = self.condition(node["not"], cols, as_of)
            return np.where(inner == -1, np.int8(-1), (1 - inner).astype(np.int8))
        spec = fact_registry.FACTS[node["fact"]]
        op = node["op"]
        if spec.type == "integer" and op in _NUMERIC_OPS:
            threshold = _integral(node.get("value"))
            column = cols.numeric(spec.name)
            if threshold is not None and column is not None:
                v = column.values
                holds = {
                    "gt": v > threshold,
                    "gte": v >= threshold,
                    "lt": v < threshold,
                    "lte": v <= threshold,
                    "eq": v == threshold,
                    "ne": v != threshold,
                }[op]
                return _tri(column.known, holds)
        test = engine._make_test(spec, op, node.get("value"))
        return _lookup(cols.categorical(spec.name), lambda value: test(value, as_of))

    # -- benefit ---------------------------------------------------------------------------

    def _rates(
        self, cols: FactColumns, as_of: date
    ) -> tuple[list[tuple[np.ndarray, Fraction]], np.ndarray]:
        """([(mask, rate)], unknown mask): the first override whose condition holds wins; an
        unknown override before any that holds leaves the rate unknown."""
        open_ = np.ones(cols.size, bool)
        picks: list[tuple[np.ndarray, Fraction]] = []
        unknown = np.zeros(cols.size, bool)
        for when, rate in self.overrides:
            result = self.condition(when, cols, as_of)
            picks.append((open_ & (result == 1), rate))
            unknown |= open_ & (result == -1)
            open_ &= result == 0
        picks.append((open_, self.rate))
        return picks, unknown

    @staticmethod
    def _apply_rate(values: np.ndarray, picks: list[tuple[np.ndarray, Fraction]]) -> np.ndarray:
        if (values < 0).any():  # floor division would round -x.5 differently from ROUND_HALF_UP
            raise _Unsupported("negative amounts")
        top = int(values.max(initial=0))
        out = np.zeros(len(values), np.int64)
        for mask, rate in picks:
            p, q = rate.numerator, rate.denominator
            if 2 * top * p + q >= _INT64_SAFE:
                raise _Unsupported("amount could overflow int64")
            out = np.where(mask, (2 * values * p + q) // (2 * q), out)
        return out

    def award(self, cols: FactColumns, as_of: date) -> tuple[np.ndarray, np.ndarray]:
        """(amount int64 with -1 = none, applies bool) for every firm."""
        size = cols.size
        benefit = self.benefit
        kind = None if benefit is None else benefit["type"]
        applies = np.ones(size, bool)
        if kind is None or kind == "max_only":
            return np.full(size, -1, np.int64), applies
        if kind == "fixed":
            amount = np.full(size, benefit["amount_yuan"], np.int64)
        else:
            column = cols.numeric(benefit["fact"])
            if column is None:
                raise _Unsupported("benefit fact is not an integer column")
            values, known = column.values, column.known
            picks, rate_unknown = self._rates(cols, as_of)
            if kind == "percent":
                amount = self._apply_rate(values, picks)
                amount = np.where(known & ~rate_unknown, amount, -1)
            else:
                threshold, base = benefit["threshold_yuan"], benefit["base_yuan"]
                below = known & (values < threshold)
                applies = ~below
                above = np.maximum(values - threshold, 0)
                amount = base + self._apply_rate(above, picks)
                amount = np.where(known & ~below & ~rate_unknown, amount, -1)
        cap = benefit.get("cap_yuan")
        if cap is not None:
            amount = np.where(amount > cap, cap, amount)
        return amount, applies

    # -- the rule --------------------------------------------------------------------------

    def run(self, cols: FactColumns, as_of: date, region: str | None) -> BulkResult:
        compiled = self.compiled
        size = cols.size
        maximum = compiled.max_amount_yuan
        if not compiled.in_force(as_of):
            return BulkResult(
                np.zeros(size, np.int8), np.full(size, -1, np.int64), maximum, vectorised=True
            )
        kinds = cols.categorical("beneficiary_kind")
        default = engine.DEFAULT_BENEFICIARY
        beneficiary = compiled.beneficiary
        table = np.array([(k or default) == beneficiary for k in kinds.categories] + [False])
        right_kind = np.where(kinds.known, table[kinds.codes], default == beneficiary)
        failed = ~right_kind
        region_missing = np.zeros(size, bool)
        if region is not None:
            regions = cols.categorical("region_code")
            inside = np.array(
                [engine._region_contains(region, code) for code in regions.categories] + [True]
            )
            region_missing = ~regions.known
            failed |= ~inside[regions.codes]
        if self.conditions is None:
            passed = np.ones(size, np.int8)
        else:
            passed = self.condition(self.conditions, cols, as_of)
        failed |= passed == 0
        amount, applies = self.award(cols, as_of)
        failed |= ~applies
        eligible = np.where(
            failed, np.int8(0), np.where(region_missing | (passed == -1), np.int8(-1), np.int8(1))
        )
        annual_cap = compiled.annual_cap_yuan
        if annual_cap is not None:
            amount = np.where(amount > annual_cap, annual_cap, amount)
        amount = np.where(failed, -1, amount)
        return BulkResult(eligible.astype(np.int8), amount, maximum, vectorised=True)


def _per_firm(
    compiled: engine.CompiledRule, cols: FactColumns, as_of: date, region: str | None
) -> BulkResult:
    eligible = np.empty(cols.size, np.int8)
    amounts = np.empty(cols.size, np.int64)
    maxima: list[int | None] = []
    code = {True: 1, False: 0, None: -1}
    for i, row in enumerate(cols.rows):
        e, amount, maximum = compiled.quick(row, as_of, region)
        eligible[i] = code[e]
        amounts[i] = -1 if amount is None else amount
        maxima.append(maximum)
    return BulkResult(eligible, amounts, compiled.max_amount_yuan, False, maxima)


def quick_many(
    compiled: engine.CompiledRule,
    cols: FactColumns,
    as_of: date,
    policy_region_code: str | None = None,
) -> BulkResult:
    """``compiled.quick`` for every firm of ``cols``, column-wise where the rule allows."""
    try:
        return _Plan(compiled).run(cols, as_of, policy_region_code)
    except _Unsupported:
        return _per_firm(compiled, cols, as_of, policy_region_code)
