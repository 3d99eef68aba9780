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

The package: ``base`` (operators, results), ``text`` (万元, rates, values), ``validation``,
``conditions`` and ``benefits`` (compiled), ``evaluation`` (compiled rules, the cache). It imports
nothing from Django.
"""

from eligibility.engine.base import BENEFIT_TYPES, OPS, ConditionResult, Evaluation, RuleError
from eligibility.engine.base import DEFAULT_BENEFICIARY as DEFAULT_BENEFICIARY
from eligibility.engine.base import Facts as Facts

# Internals the column-wise evaluator (``eligibility.columnar``) shares with the engine.
from eligibility.engine.conditions import _make_test as _make_test
from eligibility.engine.conditions import _region_contains as _region_contains
from eligibility.engine.evaluation import CompiledRule, compile_rule, evaluate
from eligibility.engine.text import format_rate, format_value, format_wan
from eligibility.engine.validation import validate_rule

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
