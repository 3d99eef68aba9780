"""Masking of names and phone numbers for everyone but those entitled to see them."""

from __future__ import annotations

from portal.validators import mask_phone

__all__ = ["mask_name", "mask_phone"]


def mask_name(value: str) -> str:
    """陈静 → 陈*, 欧阳娜娜 → 欧***: the family name only."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)
