"""Compiled conditions: one closure per leaf, all/any/not trees with three-valued logic,
and the Chinese texts saying what was missing or unmet."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from eligibility import facts as _facts
from eligibility.engine.base import Facts
from eligibility.engine.text import format_value
from eligibility.facts import FactSpec, parse_date_value
from regions.codes import region_contains

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
