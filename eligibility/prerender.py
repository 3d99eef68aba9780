"""The calculator's form fields, rendered once and kept with the rule set.

A field of the calculator (``templates/eligibility/_field.html`` around its widget) depends on
the field's definition — which comes from the catalogue (regions) and the fact registry alone —
and on its value. Rendering a widget through the form templates costs about a millisecond, and
the page shows a handful on every request, so the user-independent HTML is kept:

- a choice field (select, checkboxes): its HTML per *chosen code*, kept only when every chosen
  value is one of the field's own choices (so the kept pages are bounded by the choices, and
  hold nothing but the public choice lists);
- a text field: its HTML without a value, and its HTML split where the value goes; the value
  (the firm's own prefill, or what the visitor typed) is escaped into that place per request
  and never kept;
- a field with errors, or a value of any other kind, is rendered the ordinary way.

The kept HTML lives with the rule set (``eligibility.ruleset``), so a catalogue or registry
change starts afresh. ``tests/eligibility/test_pinned_answers.py`` pins the pages byte for byte.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from eligibility.ruleset import RuleSet

FIELD_TEMPLATE = "eligibility/_field.html"
_SENTINEL = "q7xPRERENDERVALUEx7q"
_FIELDS_LIMIT = 2048
_PLAIN_INPUTS = (forms.TextInput, forms.DateInput)


def _render(bound: BoundField) -> SafeString:
    # A template's output is safe HTML (its values were escaped as it rendered them).
    return get_template(FIELD_TEMPLATE).render({"field": bound})


def _choice_values(field: forms.Field) -> set[str]:
    return {str(value) for value, _label in field.choices}


def _with_value(bound: BoundField, value: Any) -> BoundField:
    clone = copy.copy(bound)
    clone.value = lambda: value  # what as_widget renders
    return clone


def _store(kept: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(kept) < _FIELDS_LIMIT:
        kept[key] = value
    return value


def field_html(bound: BoundField, kind: str, rules: RuleSet) -> SafeString:
    """``_field.html`` rendered for ``bound`` (a field of the scope or questions form, ``kind``
    naming which: the field's definition must follow from its name and the rule set alone)."""
    if bound.errors:
        return _render(bound)
    kept: dict[Any, Any] = rules.memo("prerendered-fields", dict)
    base = (kind, bound.name, bound.form.is_bound, get_language())
    widget = bound.field.widget
    value = bound.value()
    if isinstance(widget, forms.Select | forms.CheckboxSelectMultiple):
        choices = kept.get((*base, "choices"))
        if choices is None:
            choices = _store(kept, (*base, "choices"), frozenset(_choice_values(bound.field)))
        if isinstance(widget, forms.SelectMultiple | forms.CheckboxSelectMultiple):
            if value is None:
                value = []  # as the widget formats it
            if not isinstance(value, list | tuple):
                return _render(bound)
            chosen = frozenset(str(v) for v in value)
            if len(chosen) != len(value):
                return _render(bound)
        else:
            if isinstance(value, list | tuple):
                return _render(bound)
            chosen = frozenset(["" if value is None else str(value)])
        if not chosen <= choices | {""}:
            return _render(bound)
        key = (*base, "chosen", chosen)
        html = kept.get(key)
        if html is None:
            html = _store(kept, key, _render(bound))
        return html
    if type(widget) in _PLAIN_INPUTS and not bound.field.localize:
        if value is None or value == "":
            key = (*base, "empty")
            html = kept.get(key)
            if html is None:
                html = _store(kept, key, _render(bound))
            return html
        if isinstance(value, str):
            key = (*base, "split")
            parts = kept.get(key)
            if parts is None:
                html = _render(_with_value(bound, _SENTINEL))
                pieces = [SafeString(piece) for piece in html.split(_SENTINEL)]
                parts = _store(kept, key, tuple(pieces) if len(pieces) == 2 else ())
            if parts:
                return parts[0] + escape(value) + parts[1]
    return _render(bound)


def fields_html(fields: Iterable[BoundField], kind: str, rules: RuleSet) -> list[SafeString]:
    return [field_html(bound, kind, rules) for bound in fields]
