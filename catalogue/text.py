"""Rich text of catalogue records: sanitised on the way in, turned into plain text for search."""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def sanitise_rich_text(value: str | None) -> str:
    """Safe HTML from staff or file input: a small set of tags, no scripts, styles or handlers.

    Idempotent, so re-saving a sanitised value changes nothing.
    """
    if not value:
        return ""
    return nh3.clean(
        str(value).strip(),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def plain_text(value: str | None) -> str:
    """The text of sanitised HTML without tags or entities (for search and exports)."""
    if not value:
        return ""
    return html.unescape(nh3.clean(value, tags=set()))
