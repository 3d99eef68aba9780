"""Display helpers for the audit page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def lookup(mapping: dict[str, Any], key: str) -> Any:
    """``mapping[key]``, or the key itself when it has no label."""
    return mapping.get(key, key)


@register.filter
def change_lines(changes: dict[str, Any]) -> list[str]:
    """One line per changed field: ``field: old → new`` (or the value set)."""
    lines = []
    for field, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{field}：{value[0]} → {value[1]}")
        else:
            lines.append(f"{field}：{value}")
    return lines
