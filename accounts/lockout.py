"""The answer to a locked-out login (django-axes' ``AXES_LOCKOUT_CALLABLE``)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger("accounts.lockout")


def lockout_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return (
        f"登录失败次数过多，账号已暂时锁定。请 {minutes} 分钟后再试；"
        "如忘记密码，请联系所属机构管理员或金融发展服务中心。"
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 with a Chinese message: JSON for the API, the login page's look for the form.

    The event is logged (without the username, which may be a phone number) and kept in the
    audit record against the account when it exists.
    """
    from accounts.models import User
    from audit.services import audit_record

    username = (credentials or {}).get("username") or ""
    user = User.objects.filter(username=username).first() if username else None
    logger.warning("login locked out: path=%s account_known=%s", request.path, user is not None)
    audit_record(
        actor=None,
        action="user.locked_out",
        obj=user,
        object_type="accounts.user",
        changes={"channel": "api" if request.path.startswith("/api/") else "form"},
    )
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
