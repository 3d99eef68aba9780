"""Text of the engine's explanations: money in 万元, rates, fact values, rounding."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eligibility.facts import FactSpec

_ONE = Decimal(1)
_WAN = Decimal(10000)
_HUNDRED = Decimal(100)


def _plain(number: Decimal) -> str:
    """A decimal without exponent and without trailing zeros (``Decimal("100.0")`` → ``100``)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def format_wan(yuan: int) -> str:
    """Whole yuan as Chinese money text: 150000 → ``15万元``, 1234567 → ``123.4567万元``.

    Amounts under 1万 stay in 元 (``0元``, ``5000元``); trailing zeros are stripped.
    """
    if -10000 < yuan < 10000:
        return f"{yuan}元"
    return f"{_plain(Decimal(yuan) / _WAN)}万元"


def format_rate(rate: Decimal, spec: FactSpec | None = None) -> str:
    """A rate as text: ``2%`` for a rate of money, ``50000元/间`` per unit of a counted fact."""
    if spec is None or spec.is_money or not spec.unit:
        return f"{_plain(rate * _HUNDRED)}%"
    return f"{_plain(rate)}元/{spec.unit}"


def _format_quantity(spec: FactSpec, value: Any) -> str:
    if spec.is_money and isinstance(value, int):
        return format_wan(value)
    return f"{_plain(Decimal(value))}{spec.unit}"


def format_value(spec: FactSpec | None, value: Any) -> str:
    """A fact value as short Chinese text (money in 万元, codes by their Chinese names)."""
    if value is None:
        return "未提供"
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec is None:
        return str(value)
    if isinstance(value, int | Decimal) and spec.is_numeric:
        return _format_quantity(spec, value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(spec.choice_label(str(v)) for v in value) or "无"
    if isinstance(value, str):
        return spec.choice_label(value)
    return str(value)


def _round(amount: Decimal) -> int:
    return int(amount.quantize(_ONE, rounding=ROUND_HALF_UP))
