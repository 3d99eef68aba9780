"""Navigation by role, built once per request."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

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


@lru_cache(maxsize=16)
def _nav_urls(prefix: str, urlconf: str | None, root_urlconf: str) -> tuple[str | None, ...]:
    """Each entry's URL (None: its feature is not installed), reversed once per process and
    URL configuration instead of once per page."""
    urls: list[str | None] = []
    for _, name, _roles in NAV:
        try:
            urls.append(reverse(name, urlconf=urlconf))
        except NoReverseMatch:
            urls.append(None)
    return tuple(urls)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = user.role if user is not None and user.is_authenticated else None
    urls = _nav_urls(get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    items = []
    for (label, _, roles), url in zip(NAV, urls, strict=True):
        if url is None or (roles is not None and role not in roles):
            continue
        items.append({"label": label, "url": url, "active": request.path == url})
    return {"nav_items": items}
