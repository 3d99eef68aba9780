"""Lockout after failed logins: the two counts django-axes keeps, and the answer to a locked-out
login (``AXES_HANDLER`` and ``AXES_LOCKOUT_CALLABLE``)."""

from __future__ import annotations

import logging
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger("accounts.lockout")


class PortalAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own for each lockout combination.

    ``AXES_LOCKOUT_PARAMETERS`` lists two combinations: username + address, then the username
    alone. Axes compares the larger of their counts with one limit, which would make the username
    alone lock at the same 5 failures (anyone could lock anyone out). Here the username's count,
    summed over every address, is scaled so that it reaches the limit only at
    ``AXES_USERNAME_FAILURE_LIMIT`` failures.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        counts = [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        if len(counts) < 2:
            return max(counts, default=0)
        pair, username_only = counts[0], counts[1]
        limit = get_failure_limit(request, credentials)
        username_limit = max(limit, settings.AXES_USERNAME_FAILURE_LIMIT)
        return max(pair, username_only * limit // username_limit)


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
