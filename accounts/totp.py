"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30-second steps).

Small enough to keep here rather than pull in a package: authenticator apps (微信/支付宝 小程序,
Google Authenticator, Microsoft Authenticator) all speak exactly this profile.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
# One step either side absorbs clock drift between the phone and the server.
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh 160-bit secret, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def counter_at(timestamp: float | None = None) -> int:
    """The time step containing ``timestamp`` (now by default)."""
    return int((time.time() if timestamp is None else timestamp) // STEP_SECONDS)


def code_for(secret: str, counter: int) -> str:
    """The code of ``secret`` at time step ``counter`` (RFC 4226 dynamic truncation)."""
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def matching_counter(
    secret: str, code: str, *, after: int | None = None, timestamp: float | None = None
) -> int | None:
    """The time step at which ``code`` is valid, near now; ``None`` if it matches none.

    Steps at or before ``after`` (the last one used) never match, so a code cannot be replayed.
    """
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = counter_at(timestamp)
    for counter in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after is not None and counter <= after:
            continue
        if hmac.compare_digest(code_for(secret, counter), code):
            return counter
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str = "融资服务门户") -> str:
    """The ``otpauth://`` address an authenticator app imports (typed in or scanned)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"


def provisioning_qr_svg(uri: str) -> str:
    """The ``otpauth://`` address as an inline SVG QR code, drawn here (no external service).

    Only segno's own markup and the encoded address go into it, so it is safe to emit unescaped.
    """
    import segno

    return segno.make(uri, error="m").svg_inline(
        scale=4,
        border=4,
        title="身份验证器扫描用二维码",
        svgclass="otp-qr",
        lineclass=None,
        omitsize=False,
    )
