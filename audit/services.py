"""The one write of the audit record: ``audit_record``. Existing services call it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from audit.models import AuditEntry

if TYPE_CHECKING:
    from accounts.models import User

# Field names whose values are personal data: the record keeps that they changed, never the value.
PERSONAL_KEYS = frozenset(
    {
        "contact_name",
        "contact_phone",
        "phone",
        "email",
        "display_name",
        "first_name",
        "last_name",
        "username",
        "password",
        "uscc",
        "note",
        "comment",
        "text",
        "description",
        "decline_note",
        "reason",
        "answer",
    }
)
HIDDEN = "[已隐藏]"
# Values that look like a phone number or a 统一社会信用代码 are hidden wherever they appear.
_PERSONAL_VALUE_RE = re.compile(
    r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}"
)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _PERSONAL_VALUE_RE.sub(HIDDEN, value)
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, Mapping):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return _scrub(str(value))


def _personal(key: str) -> bool:
    return key in PERSONAL_KEYS or "password" in key


def redact(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` with personal values replaced by a marker; keys are kept."""
    return {
        str(key): (HIDDEN if _personal(str(key)) and value not in (None, "", []) else _scrub(value))
        for key, value in changes.items()
    }


def _region_code(obj: models.Model | None) -> str:
    """The region an entry belongs to, for scoping the staff's view of the record.

    A policy, product or staff member has its own region; an application belongs to its policy's
    region (whose staff handle it); a need or firm member to the firm's; a bank user to the branch's.
    """
    if obj is None:
        return ""
    for path in ("region", "policy.region", "enterprise.region", "branch.region"):
        target: Any = obj
        for part in path.split("."):
            if getattr(target, f"{part}_id", None) is None:
                target = None
                break
            target = getattr(target, part)
        if target is not None:
            return getattr(target, "code", "") or ""
    return ""


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None,
    changes: Mapping[str, Any] | None = None,
    object_type: str = "",
    region_code: str | None = None,
) -> AuditEntry:
    """Append one entry: ``actor`` did ``action`` to ``obj`` with ``changes`` (redacted).

    Runs inside the caller's transaction, so a change that rolls back leaves no entry behind.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        actor_role=getattr(actor, "role", "") if actor is not None else "",
        action=action[:48],
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        region_code=_region_code(obj) if region_code is None else region_code,
        changes=redact(changes or {}),
    )
