"""The facts an application starts from: the firm's stored profile, and the rule that reads them.

Profile facts, rule compilation and fact parsing come from ``eligibility.selectors`` (so facts
the catalogue declares are known here too).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from eligibility.engine import CompiledRule
from eligibility.facts import FACTS, FactSpec
from eligibility.selectors import compiled_rule, enterprise_facts, parse_request_facts
from policies.models import in_force_q

if TYPE_CHECKING:
    from enterprises.models import Enterprise
    from policies.models import Policy, PolicyRule

#: Facts that come from the firm's verified profile and are never edited on an application.
LOCKED_FACTS = frozenset({"uscc", "region_code", "beneficiary_kind"})


def profile_facts(enterprise: Enterprise) -> dict[str, Any]:
    """The profile facts of ``enterprise`` as the engine takes them (absent when unknown)."""
    return dict(enterprise_facts(enterprise))


def parse_facts(raw: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate facts, knowing the facts the catalogue declared (eligibility.selectors)."""
    return parse_request_facts(raw)


def rule_in_force(policy: Policy, on: date) -> PolicyRule | None:
    """The version of ``policy``'s terms in force on ``on`` (the latest starting one), or None."""
    return policy.rules.filter(in_force_q(on)).order_by("-valid_from").first()


def compiled(rule: PolicyRule | None) -> CompiledRule | None:
    """The compiled rule of a version (cached per process), or None."""
    return None if rule is None else compiled_rule(rule)


def editable_fact_specs(compiled_rule: CompiledRule | None) -> list[FactSpec]:
    """The facts the firm confirms on the form: every fact the rule reads, except locked ones."""
    if compiled_rule is None:
        return []
    specs = []
    for name in compiled_rule.fact_names:
        spec = FACTS.get(name)
        if spec is not None and name not in LOCKED_FACTS:
            specs.append(spec)
    return specs


def to_json(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as JSON-ready values (dates as ISO text, decimals as strings)."""
    out: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, date):
            out[name] = value.isoformat()
        elif isinstance(value, bool | int | str | list) or value is None:
            out[name] = value
        else:
            out[name] = str(value)
    return out
