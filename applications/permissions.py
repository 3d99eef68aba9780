"""Who may take which step on an application. Visibility is
``PolicyApplication.objects.for_user`` (404 outside it); the role is checked on top (403)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from applications.states import FIRM_ACTIONS, STAFF_ACTIONS, Action

if TYPE_CHECKING:
    from accounts.models import User
    from applications.models import PolicyApplication


def role_may(user: User, application: PolicyApplication, action: str) -> bool:
    """True when ``user``'s role allows ``action`` (visibility is checked separately)."""
    if action in FIRM_ACTIONS:
        return user.is_enterprise_member and user.enterprise_id == application.enterprise_id
    if action in STAFF_ACTIONS:
        return user.is_district_staff or user.is_platform_admin
    return action == Action.COMMENT


def ensure_may(user: User, application: PolicyApplication, action: str) -> None:
    """Raise 404 when ``user`` cannot see ``application``, 403 when its role cannot act."""
    from applications.models import PolicyApplication

    if not PolicyApplication.objects.for_user(user).filter(pk=application.pk).exists():
        raise Http404("未找到该申报。")
    if not role_may(user, application, action):
        raise PermissionDenied("您的角色不能执行此操作。")
