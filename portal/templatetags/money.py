"""``wan``: integer yuan shown in 万元, as everywhere in the UI."""

from __future__ import annotations

from django import template

from eligibility.engine import format_wan

register = template.Library()


@register.filter
def wan(yuan: int | None, missing: str = "未载明") -> str:
    """150000 → 15万元; None → ``missing`` (the source gives no figure)."""
    if yuan is None or yuan == "":
        return missing
    return format_wan(int(yuan))
