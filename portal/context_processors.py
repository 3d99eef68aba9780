"""Navigation by role, built once per request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, url name, roles that see it; None = everybody)
NAV: list[tuple[str, str, set[str] | None]] = [
    ("首页", "home", None),
    ("政策", "policies:list", None),
    ("信贷产品", "banks:product_list", None),
    ("政策测算", "eligibility:calculator", None),
    (
        "融资需求",
        "needs:list",
        {"enterprise_member", "bank_officer", "bank_manager", "district_staff"},
    ),
    ("政策申报", "applications:list", {"enterprise_member", "district_staff"}),
    ("工作台", "dashboards:workbench", {"bank_officer", "bank_manager"}),
    ("数据看板", "dashboards:district", {"district_staff", "platform_admin"}),
    ("企业信息", "enterprises:profile", {"enterprise_member"}),
    ("企业管理", "enterprises:staff_list", {"district_staff", "platform_admin"}),
    ("个人信息", "privacy:my_data", {"enterprise_member"}),
    ("复核申请", "privacy:staff_reviews", {"district_staff", "platform_admin"}),
    ("审计记录", "audit:list", {"district_staff", "platform_admin"}),
    (
        "登录安全",
        "accounts:otp_settings",
        {"bank_officer", "bank_manager", "district_staff", "platform_admin"},
    ),
    (
        "消息",
        "notifications:inbox",
        {"enterprise_member", "bank_officer", "bank_manager", "district_staff", "platform_admin"},
    ),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = user.role if user is not None and user.is_authenticated else None
    items = []
    for label, name, roles in NAV:
        if roles is not None and role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # the feature behind this entry is not installed
        items.append({"label": label, "url": url, "active": request.path == url})
    return {"nav_items": items}
