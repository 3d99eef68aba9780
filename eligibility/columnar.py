"""Bulk evaluation column-wise: one rule over many firms at once, with numpy.

:func:`quick_many` gives, for every firm of a :class:`FactColumns`, exactly what
:meth:`CompiledRule.quick <eligibility.engine.CompiledRule.quick>` gives for that firm — eligible
(1 yes, 0 no, -1 undecided), the amount (-1 when there is none) and the maximum — but evaluates
each condition once over a whole column instead of once per firm.

How: numeric facts of integer type become int64 columns compared with numpy; every other fact
(booleans, enums, strings, lists, dates, decimals) becomes a categorical column (a code per firm,
its distinct values listed once), so a leaf's test runs once per distinct value and is broadcast
through the codes. The columns a rule reads are taken in one sweep over the firms, a block of
firms at a time, so each firm's dict is read from memory once, not once per fact
(:meth:`FactColumns.prepare`, :func:`prepare`). Three-valued logic is int8 arithmetic. Amounts are exact: a decimal rate p/q
gives ``(2·v·p + q) // (2·q)``, which is ``v × rate`` rounded half-up for non-negative integers.

Staged payouts are a lookup through the stage's codes; a choice between options with fixed or
maximum-only awards is decided option by option over the whole column. Rules this module does
not vectorise (tiers, choices whose awards read facts, percentages of non-integer facts, amounts
that could overflow int64) fall back to ``CompiledRule.quick`` per firm, so the results are the
same for every valid rule.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from typing import Any

import numpy as np

from eligibility import engine
from eligibility import facts as fact_registry

__all__ = ["BulkResult", "FactColumns", "prepare", "quick_many"]

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
    # Per firm, when the maximum depends on the facts: a list, or int64 with -1 = none.
    maxima: list[int | None] | np.ndarray | None = None

    def row(self, i: int) -> tuple[bool | None, int | None, int | None]:
        """Firm ``i``'s result as ``CompiledRule.quick`` returns it."""
        code = int(self.eligible[i])
        amount = int(self.amount[i])
        if self.maxima is None:
            maximum = self.max_amount_yuan
        elif isinstance(self.maxima, np.ndarray):
            maximum = int(self.maxima[i])
            maximum = None if maximum < 0 else maximum
        else:
            maximum = self.maxima[i]
        return ({1: True, 0: False, -1: None}[code], None if amount < 0 else amount, maximum)


@dataclass(slots=True)
class _Numeric:
    values: np.ndarray  # int64, 0 where unknown
    known: np.ndarray  # bool


@dataclass(slots=True)
class _Categorical:
    codes: np.ndarray  # int32 index into ``categories``; -1 where unknown
    categories: list[Any]
    known: np.ndarray


_EXACT_FLOAT = 2**53  # integers below this survive a trip through float64 exactly
_NONE = type(None)


class FactColumns:
    """The facts of many firms (dicts as :func:`~eligibility.facts.parse_facts` returns them),
    column by column, each column built on first use and kept.

    :meth:`prepare` builds the columns a rule (or several) will read in one sweep over the rows,
    a block of rows at a time: every column of a block is taken while the block's dicts and
    values are in the CPU cache, instead of one pass over all the rows per fact (each pass
    reading every dict from memory again, which is what a column cost). Columns not prepared are
    built on first use from a pass over all the rows.

    Within a block a column is taken with ``dict.get`` mapped in C and converted without per-cell
    Python branching: integers go through a float64 array (``None`` becomes NaN, the known mask
    is ``~isnan``; exact for integers below 2**53, checked), after a check of every cell's type
    (a value that is no ``int`` makes the column categorical, as the per-firm path would read
    it); other values (booleans, codes, lists, dates) get their codes from ``dict.fromkeys``
    (their distinct values, in order of first appearance) and one C-level lookup per cell. No
    object arrays.
    """

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.rows = rows
        self.size = len(rows)
        self._plain_dicts = set(map(type, rows)) <= {dict}
        self._raw: dict[str, list[Any]] = {}
        self._numeric: dict[str, _Numeric | None] = {}
        self._categorical: dict[str, _Categorical] = {}

    def _take(self, rows: Sequence[Mapping[str, Any]], name: str) -> list[Any]:
        if self._plain_dicts:
            return list(map(dict.get, rows, repeat(name, len(rows))))
        return [row.get(name) for row in rows]

    def raw(self, name: str) -> list[Any]:
        """Every firm's value of ``name`` (None where absent), in row order."""
        raw = self._raw.get(name)
        if raw is None:
            raw = self._take(self.rows, name)
            self._raw[name] = raw
        return raw

    def prepare(self, needs: Iterable[tuple[str, str]]) -> None:
        """Build now, in one blocked sweep over the rows, the columns ``needs`` names:
        ``(fact, "numeric")`` or ``(fact, "categorical")`` (see :func:`prepare`)."""
        numeric = [n for n, kind in dict.fromkeys(needs) if kind == "numeric"]
        numeric = [n for n in numeric if n not in self._numeric]
        categorical = [n for n, kind in dict.fromkeys(needs) if kind == "categorical"]
        categorical = [n for n in categorical if n not in self._categorical]
        if not numeric and not categorical:
            return
        numbers = {name: _NumericBuilder() for name in numeric}
        categories = {name: _CategoricalBuilder() for name in categorical}
        rows = self.rows if isinstance(self.rows, list) else list(self.rows)
        for start in range(0, max(self.size, 1), _BLOCK):
            block = rows[start : start + _BLOCK]
            for name, builder in numbers.items():
                builder.add(self._take(block, name))
            for name, builder in categories.items():
                builder.add(self._take(block, name))
        for name, builder in numbers.items():
            self._numeric[name] = builder.column()
        for name, builder in categories.items():
            exact = builder.exact
            self._categorical[name] = (
                _exact_categorical(self.raw(name)) if exact else builder.column()
            )

    def numeric(self, name: str) -> _Numeric | None:
        """An integer fact as int64 values and a known mask (None if a value is no int)."""
        if name not in self._numeric:
            builder = _NumericBuilder()
            builder.add(self.raw(name))
            self._numeric[name] = builder.column()
        return self._numeric[name]

    def categorical(self, name: str) -> _Categorical:
        """Any fact as codes into its distinct values (``None`` = unknown, code -1)."""
        column = self._categorical.get(name)
        if column is None:
            builder = _CategoricalBuilder()
            builder.add(self.raw(name))
            column = _exact_categorical(self.raw(name)) if builder.exact else builder.column()
            self._categorical[name] = column
        return column


# Rows per block of :meth:`FactColumns.prepare`: the block's dicts and values (about 1 KB a firm)
# stay in the CPU's cache while all its columns are taken.
_BLOCK = 1024


class _NumericBuilder:
    """An integer column, block by block; None as soon as a value is no ``int`` (or overflows)."""

    __slots__ = ("known", "ok", "values")

    def __init__(self) -> None:
        self.values: list[np.ndarray] = []
        self.known: list[np.ndarray] = []
        self.ok = True

    def add(self, raw: list[Any]) -> None:
        if not self.ok:
            return
        part = None
        if set(map(type, raw)) <= {int, _NONE}:  # bool, Decimal, str… are read per value
            part = _integers(raw, len(raw))
        if part is None:
            self.ok = False
            self.values = self.known = []
            return
        self.values.append(part.values)
        self.known.append(part.known)

    def column(self) -> _Numeric | None:
        if not self.ok:
            return None
        if len(self.values) == 1:
            return _Numeric(self.values[0], self.known[0])
        if not self.values:
            return _Numeric(np.zeros(0, np.int64), np.zeros(0, bool))
        return _Numeric(np.concatenate(self.values), np.concatenate(self.known))


class _CategoricalBuilder:
    """A categorical column, block by block: the distinct values in order of first appearance
    over all the blocks (as one ``dict.fromkeys`` over the whole column would list them).

    A dict merges equal values of different types (``1`` and ``True``, ``1`` and ``1.0``, a
    list's tuple and a tuple), which the per-firm path tells apart (``is_true`` is ``v is True``,
    a list is not equal to a tuple). Parsed facts have one type per fact (a ``number`` fact: int
    or Decimal, which every test reads alike); when a column's values mix other types that can be
    equal, :attr:`exact` is set and the column is built again keyed by type and value.
    """

    __slots__ = ("categories", "codes", "exact", "index", "lists", "types")

    def __init__(self) -> None:
        self.index: dict[Any, int] = {None: -1}
        self.categories: list[Any] = []
        self.codes: list[np.ndarray] = []
        self.lists = False
        self.types: set[type] = set()
        self.exact = False

    def add(self, raw: list[Any]) -> None:
        if self.exact:
            return
        try:
            distinct = dict.fromkeys(raw)
            if any(type(k) in _MERGING for k in distinct):  # only then can values have merged
                self._check(set(map(type, raw)))
        except TypeError:  # lists are unhashable: their tuples stand for them
            self._check(set(map(type, raw)))
            self.lists = True
            raw = _tuples(raw)
            distinct = dict.fromkeys(raw)
        if self.exact:
            return
        index, categories = self.index, self.categories
        for value in distinct:
            if value not in index:
                index[value] = len(categories)
                categories.append(value)
        self.codes.append(np.fromiter(map(index.__getitem__, raw), np.int32, len(raw)))

    def _check(self, types: set[type]) -> None:
        types.discard(_NONE)
        self.types |= types
        if len(self.types) > 1 and not self.types <= _ALIKE:
            self.exact = True

    def column(self) -> _Categorical:
        if len(self.codes) == 1:
            codes = self.codes[0]
        elif self.codes:
            codes = np.concatenate(self.codes)
        else:
            codes = np.zeros(0, np.int32)
        categories = self.categories
        if self.lists:
            categories = [list(k) if type(k) is tuple else k for k in categories]
        return _Categorical(codes, categories, codes >= 0)


# Types whose values may equal values of another type (and so share a dict key).
_MERGING = frozenset({bool, int, float, complex, Decimal, Fraction, tuple})
_ALIKE = frozenset({int, Decimal})  # a parsed ``number`` fact: equal values read alike


def _exact_categorical(raw: list[Any]) -> _Categorical:
    """A categorical column keyed by type and value (a list by its tuple), for mixed types."""
    keys = [None if v is None else (type(v), tuple(v) if type(v) is list else v) for v in raw]
    index: dict[Any, int] = {}
    categories: list[Any] = []
    for key, value in zip(keys, raw, strict=True):
        if key is not None and key not in index:
            index[key] = len(categories)
            categories.append(value)
    index[None] = -1
    codes = np.fromiter(map(index.__getitem__, keys), np.int32, len(keys))
    return _Categorical(codes, categories, codes >= 0)


def _tuples(raw: list[Any]) -> list[Any]:
    """``raw`` with every list as a tuple.

    The cyclic garbage collector is paused meanwhile: a column allocates one tuple per firm,
    enough to trigger full collections that walk every object of a large population (the fact
    dicts), at a cost several times the conversion's; tuples of codes make no cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [tuple(v) if type(v) is list else v for v in raw]
    finally:
        if enabled:
            gc.enable()


def _integers(raw: list[int | None], size: int) -> _Numeric | None:
    """int64 values (0 where unknown) and the known mask; None when a value overflows int64."""
    try:
        floats = np.array(raw, dtype=np.float64)  # None → NaN, in C
    except OverflowError:
        floats = None
    if floats is not None:
        known = ~np.isnan(floats)
        values = np.where(known, floats, 0.0)
        if size == 0 or float(np.abs(values).max()) < _EXACT_FLOAT:
            return _Numeric(values.astype(np.int64), known)
    # Large integers: exact, cell by cell (rare: money beyond 9×10^15 yuan).
    known = np.array([v is not None for v in raw], dtype=bool)
    try:
        values = np.array([0 if v is None else v for v in raw], np.int64)
    except OverflowError:
        return None
    return _Numeric(values.reshape(size), known)


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


def _numeric_leaf(spec: fact_registry.FactSpec, node: Mapping[str, Any]) -> bool:
    """True when a leaf compares an integer fact with an integer: read its numeric column."""
    return (
        spec.type == "integer"
        and node["op"] in _NUMERIC_OPS
        and _integral(node.get("value")) is not None
    )


def _condition_needs(node: Mapping[str, Any], out: list[tuple[str, str]]) -> None:
    """The columns a condition reads, appended to ``out``."""
    if "all" in node or "any" in node:
        for child in node["all" if "all" in node else "any"]:
            _condition_needs(child, out)
    elif "not" in node:
        _condition_needs(node["not"], out)
    else:
        spec = fact_registry.FACTS[node["fact"]]
        out.append((spec.name, "numeric" if _numeric_leaf(spec, node) else "categorical"))


@dataclass(slots=True)
class _BulkAward:
    """A benefit's award for every firm: ``amount`` int64 (-1 = none); ``applies`` False where
    the known facts give no award; ``undecided`` where a choice is open (None = nowhere); and
    ``maxima`` int64 (-1 = none) where the maximum depends on the facts (None = the static one).
    """

    amount: np.ndarray
    applies: np.ndarray
    undecided: np.ndarray | None = None
    maxima: np.ndarray | None = None


class _Plan:
    """A rule's conditions and benefit, prepared for columns."""

    def __init__(self, compiled: engine.CompiledRule) -> None:
        rule = compiled.rule
        self.compiled = compiled
        self.conditions = rule.get("conditions")
        benefit = rule.get("benefit")
        self.benefit = benefit
        kind = None if benefit is None else benefit["type"]
        simple = (None, "fixed", "max_only", "percent", "base_plus_marginal", "staged")
        if kind not in simple and (
            kind != "choose"
            or any(o["benefit"]["type"] not in ("fixed", "max_only") for o in benefit["options"])
        ):
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

    # -- the columns it reads --------------------------------------------------------------

    def needs(self, as_of: date, region: str | None) -> list[tuple[str, str]]:
        """The columns :meth:`run` reads: ``(fact, "numeric" | "categorical")``."""
        if not self.compiled.in_force(as_of):
            return []
        out = [("beneficiary_kind", "categorical")]
        if region is not None:
            out.append(("region_code", "categorical"))
        if self.conditions is not None:
            _condition_needs(self.conditions, out)
        benefit = self.benefit
        kind = None if benefit is None else benefit["type"]
        if kind == "staged":
            out.append((self.compiled.benefit.stage_fact, "categorical"))
        elif kind == "choose":
            for option in benefit["options"]:
                _condition_needs(option["when"], out)
        elif kind in ("percent", "base_plus_marginal"):
            out.append((benefit["fact"], "numeric"))
            for when, _ in self.overrides:
                _condition_needs(when, out)
        return out

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
        if _numeric_leaf(spec, node):
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

    def award(self, cols: FactColumns, as_of: date) -> _BulkAward:
        """The benefit's award for every firm (its cap applied)."""
        size = cols.size
        benefit = self.benefit
        kind = None if benefit is None else benefit["type"]
        applies = np.ones(size, bool)
        if kind is None or kind == "max_only":
            return _BulkAward(np.full(size, -1, np.int64), applies)
        if kind == "choose":
            return self._choose(cols, as_of)
        if kind == "staged":
            amount, applies = self._staged(cols)
        elif kind == "fixed":
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
        return _BulkAward(amount, applies)

    def _staged(self, cols: FactColumns) -> tuple[np.ndarray, np.ndarray]:
        """A staged payout: the stage's share (amount), no award for a stage outside the staged
        ones (applies False), no amount while the stage is unknown."""
        staged = self.compiled.benefit
        column = cols.categorical(staged.stage_fact)
        stages = [staged.index.get(v) if isinstance(v, str) else None for v in column.categories]
        shares = np.array([-1 if i is None else staged.shares[i] for i in stages] + [-1], np.int64)
        staged_stage = np.array([i is not None for i in stages] + [True], bool)  # unknown applies
        return shares[column.codes], staged_stage[column.codes]

    def _choose(self, cols: FactColumns, as_of: date) -> _BulkAward:
        """The first option whose condition holds gives its (fixed or maximum-only) award; an
        unknown condition before it leaves the choice undecided, with the largest maximum of the
        options still possible (none if one of them has none)."""
        size = cols.size
        choose = self.compiled.benefit
        scanning = np.ones(size, bool)  # no option's condition has held yet
        undecided = np.zeros(size, bool)
        direct = np.zeros(size, bool)  # an option held with none unknown before it
        amount = np.full(size, -1, np.int64)
        maximum = np.full(size, -1, np.int64)
        possible = np.full(size, -1, np.int64)  # the largest static maximum still possible
        possible_unbounded = np.zeros(size, bool)  # one of them has no maximum
        for option, node in zip(choose.options, self.benefit["options"], strict=True):
            holds = self.condition(node["when"], cols, as_of)
            fixed = option.benefit.award({}, as_of, False)  # fixed or max_only: reads no fact
            true = scanning & (holds == 1)
            hit = true & ~undecided
            amount = np.where(hit, -1 if fixed.amount is None else fixed.amount, amount)
            maximum = np.where(hit, -1 if fixed.maximum is None else fixed.maximum, maximum)
            direct |= hit
            unknown = scanning & (holds == -1)
            counted = (true & undecided) | unknown
            if option.benefit.static_max is None:
                possible_unbounded |= counted
            else:
                possible = np.where(
                    counted, np.maximum(possible, option.benefit.static_max), possible
                )
            undecided |= unknown
            scanning &= ~true
        undecided &= ~direct
        maximum = np.where(undecided, np.where(possible_unbounded, -1, possible), maximum)
        if choose.static_max is not None:  # an award without a maximum takes the terms' one
            maximum = np.where(maximum < 0, choose.static_max, maximum)
        cap = choose.cap
        if cap is not None:
            amount = np.where(amount > cap, cap, amount)
            maximum = np.where(maximum < 0, cap, np.minimum(maximum, cap))
        return _BulkAward(amount, direct | undecided, undecided, maximum)

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
        award = self.award(cols, as_of)
        amount = award.amount
        failed |= ~award.applies
        undecided = region_missing | (passed == -1)
        if award.undecided is not None:
            undecided |= award.undecided
        eligible = np.where(failed, np.int8(0), np.where(undecided, np.int8(-1), np.int8(1)))
        annual_cap = compiled.annual_cap_yuan
        if annual_cap is not None:
            amount = np.where(amount > annual_cap, annual_cap, amount)
        amount = np.where(failed, -1, amount)
        maxima = award.maxima
        if maxima is not None:
            if annual_cap is not None:
                maxima = np.where(maxima < 0, annual_cap, np.minimum(maxima, annual_cap))
            maxima = np.where(failed, -1 if maximum is None else maximum, maxima)
        return BulkResult(eligible.astype(np.int8), amount, maximum, True, maxima)


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


def prepare(
    cols: FactColumns,
    rules: Iterable[tuple[engine.CompiledRule, str | None]],
    as_of: date,
) -> None:
    """Build, in one blocked sweep over the firms, every column that :func:`quick_many` will
    read for these ``(rule, policy region code)`` pairs (rules it runs firm by firm need none).

    Optional: :func:`quick_many` builds what is missing; taking the columns of all the rules at
    once reads each firm's dict from memory once instead of once per rule.
    """
    needs: list[tuple[str, str]] = []
    for compiled, region in rules:
        try:
            needs += _Plan(compiled).needs(as_of, region)
        except _Unsupported:
            continue
    cols.prepare(needs)


def quick_many(
    compiled: engine.CompiledRule,
    cols: FactColumns,
    as_of: date,
    policy_region_code: str | None = None,
) -> BulkResult:
    """``compiled.quick`` for every firm of ``cols``, column-wise where the rule allows."""
    try:
        plan = _Plan(compiled)
    except _Unsupported:
        return _per_firm(compiled, cols, as_of, policy_region_code)
    cols.prepare(plan.needs(as_of, policy_region_code))
    try:
        return plan.run(cols, as_of, policy_region_code)
    except _Unsupported:
        return _per_firm(compiled, cols, as_of, policy_region_code)
