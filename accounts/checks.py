"""System checks of accounts: the key that encrypts second-factor secrets."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from accounts import crypto


@register(Tags.security, deploy=True)
def check_totp_encryption_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A deployment needs its own, well-formed TOTP_ENCRYPTION_KEY."""
    if not crypto.configured_keys():
        return [
            Error(
                "TOTP_ENCRYPTION_KEY 未设置：动态验证码密钥须以独立密钥加密存储。",
                hint="python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                id="accounts.E001",
            )
        ]
    try:
        crypto.encrypt_secret("A" * 32)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="accounts.E002")]
    return []
