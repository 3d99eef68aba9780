"""Who may take which step on a need. Visibility is ``FinancingNeed.objects.for_user``; these
rules add the role on top (a firm member cannot accept its own need, an officer cannot rate it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from accounts.models import Role
from needs.states import Action

if TYPE_CHECKING:
    from accounts.models import User
    from needs.models import FinancingNeed

BANK_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.CONTACT,
        Action.REQUEST_MATERIALS,
        Action.PROPOSE,
        Action.APPROVE,
        Action.DISBURSE,
        Action.DECLINE,
        Action.TRANSFER,
    }
)
FIRM_ACTIONS = frozenset(
    {Action.WITHDRAW, Action.ANOTHER_BANK, Action.RATE, Action.PROVIDE_MATERIALS}
)
MANAGER_ACTIONS = frozenset({Action.ASSIGN_OFFICER})
STAFF_ACTIONS = frozenset({Action.STAFF_ASSIGN})


def role_may(user: User, need: FinancingNeed, action: str) -> bool:
    """True when ``user``'s role allows ``action`` on ``need`` (visibility checked separately)."""
    if action in BANK_ACTIONS:
        return user.is_bank_user
    if action in FIRM_ACTIONS:
        return user.is_enterprise_member and user.enterprise_id == need.enterprise_id
    if action in MANAGER_ACTIONS:
        return user.role == Role.BANK_MANAGER and user.branch_id == need.assigned_branch_id
    if action in STAFF_ACTIONS:
        return user.is_district_staff or user.is_platform_admin
    return action == Action.COMMENT


def ensure_may(user: User, need: FinancingNeed, action: str) -> None:
    """Raise ``PermissionDenied`` (403; 404 is for needs the user cannot see at all)."""
    from needs.models import FinancingNeed

    if not FinancingNeed.objects.for_user(user).filter(pk=need.pk).exists():
        from django.http import Http404

        raise Http404("未找到该融资需求。")
    if not role_may(user, need, action):
        raise PermissionDenied("您的角色不能执行此操作。")
