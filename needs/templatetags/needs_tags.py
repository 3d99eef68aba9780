"""Template helpers of the needs pages: money in 万元, state labels, the calendar warning."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone

from needs.states import action_label, status_label

register = template.Library()


@register.filter
def wan(yuan: int | None) -> str:
    """Integer yuan shown in 万元 (two decimals at most, trailing zeros dropped)."""
    if yuan is None or yuan == "":
        return "—"
    value = Decimal(int(yuan)) / Decimal(10_000)
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 万元"


@register.filter
def state_label(value: str) -> str:
    return status_label(value) if value else ""


@register.filter
def step_label(value: str) -> str:
    return "提交需求" if value == "submit" else action_label(value)


@register.inclusion_tag("needs/_calendar_warning.html", takes_context=True)
def calendar_warning(context) -> dict:
    """The staff dashboard's warning for years without a holiday schedule (this year and next,
    counted from today in Shanghai whatever time zone is active)."""
    from workdays.selectors import uncovered_years_ahead

    return {
        "uncovered_years": uncovered_years_ahead(timezone.now()),
        "user": context.get("user"),
    }
