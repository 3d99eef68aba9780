"""Encryption at rest of second-factor secrets (Fernet: AES-128-CBC + HMAC-SHA256).

The key is ``settings.TOTP_ENCRYPTION_KEY`` (one or more Fernet keys, comma-separated; the first
encrypts, all decrypt, so a key can be rotated). Without it a key derived from ``SECRET_KEY``
serves development and tests only: a deployment (``DEBUG`` off and a real ``SECRET_KEY``) refuses
to encrypt or decrypt anything, and ``check --deploy`` reports the missing key (accounts.E001).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Every Fernet token starts with the version byte 0x80, which is "gAAAAA" in base64; a base32
# TOTP secret (A-Z, 2-7) never does, so plain and encrypted rows can be told apart.
TOKEN_PREFIX = "gAAAAA"  # noqa: S105  (a format marker, not a secret)


def is_development_key_allowed() -> bool:
    """Whether a missing key may fall back to one derived from ``SECRET_KEY``."""
    return bool(settings.DEBUG or settings.SECRET_KEY == settings.INSECURE_DEV_SECRET_KEY)


def configured_keys() -> list[str]:
    """The configured keys, first (encrypting) one first; empty when the setting is unset."""
    value = getattr(settings, "TOTP_ENCRYPTION_KEY", None) or []
    if isinstance(value, str):
        value = value.split(",")
    return [key.strip() for key in value if key.strip()]


def _development_key() -> str:
    digest = hashlib.sha256(f"accounts.totp-secret:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TOTP_ENCRYPTION_KEY 格式错误：每个密钥须为 Fernet 密钥（32 字节的 URL 安全 base64）。"
        ) from exc


def _fernet() -> MultiFernet:
    keys = configured_keys()
    if not keys:
        if not is_development_key_allowed():
            raise ImproperlyConfigured(
                "环境变量 TOTP_ENCRYPTION_KEY 未设置：生产环境必须为动态验证码密钥配置加密密钥 "
                "(TOTP_ENCRYPTION_KEY is required in production)"
            )
        keys = [_development_key()]
    return _fernet_for(tuple(keys))


def encrypt_secret(secret: str) -> str:
    """The ciphertext (text, ~140 characters) to store for a base32 ``secret``."""
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def decrypt_secret(stored: str) -> str:
    """The base32 secret inside ``stored``; ``ImproperlyConfigured`` if no key opens it."""
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        # A changed key must not pass silently as "wrong code" for every enrolled user.
        raise ImproperlyConfigured(
            "无法解密动态验证码密钥：TOTP_ENCRYPTION_KEY 与加密时使用的密钥不一致。"
        ) from exc


def is_encrypted(stored: str) -> bool:
    """Whether a stored value is already a Fernet token (used by the data migration)."""
    return stored.startswith(TOKEN_PREFIX)
