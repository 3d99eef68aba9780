"""Validation of enterprise identifiers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError


def normalise_uscc(value: str) -> str:
    """Upper-case and strip spaces and dashes."""
    return stdnum_uscc.compact(value or "")


def validate_uscc(value: str) -> None:
    """Check a 统一社会信用代码 by GB 32100-2015, including its check character."""
    try:
        stdnum_uscc.validate(value)
    except InvalidLength as exc:
        raise ValidationError("统一社会信用代码应为18位。", code="uscc_length") from exc
    except InvalidChecksum as exc:
        raise ValidationError(
            "统一社会信用代码校验位错误，请核对后重新输入。", code="uscc_checksum"
        ) from exc
    except InvalidFormat as exc:
        raise ValidationError("统一社会信用代码格式不正确。", code="uscc_format") from exc
    except StdnumError as exc:
        raise ValidationError("统一社会信用代码无效。", code="uscc_invalid") from exc
