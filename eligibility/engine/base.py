"""Vocabulary and results of the eligibility engine: operators, benefit types, the explained
:class:`Evaluation` and :class:`RuleError`. Imports nothing from Django."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

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

Facts = Mapping[str, Any]


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


def _min_cap(value: int | None, cap: int | None) -> int | None:
    if cap is None:
        return value
    return cap if value is None else min(value, cap)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
