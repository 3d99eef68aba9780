"""System checks of the portal's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse the development SECRET_KEY in a deployment."""
    if settings.SECRET_KEY == settings.INSECURE_DEV_SECRET_KEY:
        return [Error("SECRET_KEY 仍是开发用默认值，请在环境变量中设置。", id="portal.E001")]
    return []
