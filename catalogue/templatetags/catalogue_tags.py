"""Template helpers of the catalogue pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from catalogue.text import sanitise_rich_text

register = template.Library()


@register.filter
def rich(value: str | None) -> SafeString:
    """Stored rich text as HTML; sanitised again on output in case a row bypassed the services."""
    return mark_safe(sanitise_rich_text(value).replace("\n", "<br>"))  # noqa: S308 - sanitised


@register.simple_tag(takes_context=True)
def query_without_page(context) -> str:
    """The current query string without ``page``, for pagination links."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    return params.urlencode()
