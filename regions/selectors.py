"""Reads about regions."""

from __future__ import annotations

from regions.codes import region_contains
from regions.models import Region


def region_codes_within(code: str) -> list[str]:
    """Every known region code inside ``code`` (itself included)."""
    return [c for c in Region.objects.values_list("code", flat=True) if region_contains(code, c)]


def region_codes_applying_to(code: str) -> list[str]:
    """The codes whose policies apply to a firm in ``code``: the region and those above it."""
    return Region(code=code).ancestor_codes()


def within_region_q(code: str, field: str = "region__code"):
    """A ``Q`` matching rows whose ``field`` holds a region code inside ``code`` (itself included).

    GB/T 2260 codes nest by prefix, so this is a prefix match an index can serve.
    """
    from django.db.models import Q

    from regions.codes import level_of

    level = level_of(code)
    if level == "province":
        return Q(**{f"{field}__startswith": code[:2]})
    if level == "city":
        return Q(**{f"{field}__startswith": code[:4]})
    if level == "district":
        return Q(**{field: code}) | Q(**{f"{field}__startswith": f"{code}-"})
    return Q(**{field: code})
