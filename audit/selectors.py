"""Reads of the audit record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.models import AuditEntry

if TYPE_CHECKING:
    from accounts.models import User

# Object types shown with a Chinese name on the audit page.
OBJECT_TYPE_LABELS = {
    "policies.policy": "政策",
    "policies.policyrule": "政策条款",
    "banks.loanproduct": "信贷产品",
    "needs.financingneed": "融资需求",
    "applications.policyapplication": "政策申报",
    "accounts.user": "用户",
    "enterprises.enterprise": "企业",
    "privacy.reviewrequest": "人工复核申请",
    "privacy.datarequest": "个人信息请求",
}


def audit_entries(user: User, *, object_type: str = "", action: str = "", object_id: str = ""):
    """The entries ``user`` may read, newest first, filtered; the actor comes in the same query."""
    queryset = AuditEntry.objects.for_user(user).select_related("actor")
    if object_type:
        queryset = queryset.filter(object_type=object_type)
    if action:
        queryset = queryset.filter(action__startswith=action)
    if object_id:
        queryset = queryset.filter(object_id=object_id)
    return queryset.order_by("-created_at", "-id")
