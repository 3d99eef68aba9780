"""Region codes: GB/T 2260 six-digit codes, and functional zones below a district.

A functional zone (功能区, e.g. 高新区) has no GB/T 2260 code of its own; the portal gives it the
code of its district followed by ``-`` and a slug, e.g. ``370902-gaoxin``. Containment follows the
administrative hierarchy, so a city-level policy (``370200``) applies to every district of the city
and to the zones inside them.
"""

from __future__ import annotations

import re

GB2260_RE = re.compile(r"^\d{6}$")
ZONE_RE = re.compile(r"^(\d{6})-([a-z0-9]+)$")


def is_valid_region_code(code: str) -> bool:
    """True for a six-digit GB/T 2260 code or a zone code ``<district>-<slug>``."""
    return bool(GB2260_RE.match(code) or ZONE_RE.match(code))


def level_of(code: str) -> str:
    """``province``, ``city``, ``district`` or ``zone``."""
    if ZONE_RE.match(code):
        return "zone"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "district"


def parent_code(code: str) -> str | None:
    """The code of the region directly above, or None for a province."""
    match = ZONE_RE.match(code)
    if match:
        return match.group(1)
    level = level_of(code)
    if level == "district":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return None


def ancestors(code: str) -> list[str]:
    """The code itself and every region above it, nearest first."""
    chain = [code]
    parent = parent_code(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_code(parent)
    return chain


def region_contains(outer: str, inner: str) -> bool:
    """True when the region ``outer`` covers the region ``inner`` (a region covers itself)."""
    return outer in ancestors(inner)
