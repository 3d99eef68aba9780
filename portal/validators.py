"""Validators shared by forms and serializers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_phone(value: str) -> None:
    """A mainland mobile number (11 digits) or a landline with its area code."""
    if not PHONE_RE.match(value or ""):
        raise ValidationError("请输入有效的手机号或带区号的固定电话。", code="phone")


def mask_phone(value: str) -> str:
    """138****1234: the first three and last four digits."""
    if len(value) < 7:
        return "****"
    return f"{value[:3]}****{value[-4:]}"
