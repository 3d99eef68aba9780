"""Validation of policy rules with the eligibility engine, facts declared by the catalogue included."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def register_catalogue_facts() -> None:
    """Register the facts the catalogue files declared (kept in ``CatalogueFact``) in this process."""
    from catalogue.models import CatalogueFact

    try:
        from eligibility.facts import register_facts
    except ImportError:  # the engine is not installed yet: nothing to register with
        return
    definitions = [fact.definition() for fact in CatalogueFact.objects.all()]
    for definition in definitions:
        try:
            register_facts([definition])
        except ValueError:
            continue  # a definition clashing with a built-in fact: the built-in one wins


def rule_errors(data: Any) -> list[str]:
    """Chinese messages for every problem of a rule (``docs/rules.md``); empty when valid."""
    if not isinstance(data, dict):
        return ["规则应为 JSON 对象"]
    try:
        from eligibility.engine import validate_rule
    except ImportError:
        return []
    register_catalogue_facts()
    return list(validate_rule(data))


def validate_rule_data(data: Any, *, field: str = "rule") -> None:
    """Raise ``ValidationError`` on ``field`` when the rule is not valid."""
    errors = rule_errors(data)
    if errors:
        raise ValidationError({field: errors})


def rule_max_amount(data: Any) -> int | None:
    """The cap (yuan) a rule's terms give whatever the facts (``max_amount_yuan`` of the engine).

    None when the terms state no cap, or the rule cannot be compiled (no engine, invalid rule):
    the catalogue then simply does not know the policy's maximum.
    """
    if not isinstance(data, dict) or not data:
        return None
    try:
        from eligibility.engine import compile_rule
    except ImportError:
        return None
    register_catalogue_facts()
    try:
        return compile_rule(data).max_amount_yuan
    except ValueError:  # RuleError: the rule is invalid; validation reports that elsewhere
        return None
