"""Writes about accounts: deactivation, the second factor, and the audit of both."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import totp
from accounts.crypto import encrypt_secret
from accounts.models import TOTPDevice, User
from audit.services import audit_record


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None) -> User:
    """Turn an account off: its sessions and API token stop working at the next request."""
    if user.is_active:
        user.is_active = False
        user.session_generation += 1  # every session of the account ends, for good
        user.save(update_fields=["is_active", "session_generation"])
        audit_record(
            actor=actor, action="user.deactivate", obj=user, changes={"is_active": [True, False]}
        )
    # A session is refused because the backend no longer returns an inactive user; the token is
    # deleted outright so that reactivation does not revive an old one.
    Token.objects.filter(user=user).delete()
    return user


@transaction.atomic
def user_activate(*, user: User, actor: User | None) -> User:
    """Turn an account back on."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor, action="user.activate", obj=user, changes={"is_active": [False, True]}
        )
    return user


@transaction.atomic
def totp_enrol_start(*, user: User) -> TOTPDevice:
    """Give ``user`` a fresh, not yet confirmed secret (replacing an unconfirmed one)."""
    if not user.can_use_second_factor:
        raise ValidationError("当前账号类型无需启用动态验证码。")
    # Only the ciphertext is stored (accounts.crypto); ``device.secret`` decrypts.
    device, created = TOTPDevice.objects.select_for_update().get_or_create(
        user=user, defaults={"secret_encrypted": encrypt_secret(totp.new_secret())}
    )
    if not created and not device.is_confirmed:
        device.secret = totp.new_secret()
        device.last_counter = None
        device.save(update_fields=["secret_encrypted", "last_counter"])
    return device


@transaction.atomic
def totp_enrol_confirm(*, user: User, code: str) -> TOTPDevice:
    """Turn the second factor on once the user shows a code from the app."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise ValidationError({"code": "请先生成密钥。"})
    if device.is_confirmed:
        return device
    counter = totp.matching_counter(device.secret, code)
    if counter is None:
        raise ValidationError(
            {"code": "动态验证码不正确或已过期，请重新输入应用中当前显示的6位数字。"}
        )
    device.confirmed_at = timezone.now()
    device.last_counter = counter
    device.save(update_fields=["confirmed_at", "last_counter"])
    audit_record(actor=user, action="user.totp_enable", obj=user, changes={"totp": [False, True]})
    return device


@transaction.atomic
def totp_disable(*, user: User, code: str) -> None:
    """Turn the second factor off; a current code is required so a stolen session cannot."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return
    if device.is_confirmed and not totp_check(user=user, code=code):
        raise ValidationError({"code": "动态验证码不正确或已过期。"})
    device.delete()
    audit_record(actor=user, action="user.totp_disable", obj=user, changes={"totp": [True, False]})


def totp_required(user: User) -> bool:
    """Whether ``user`` must give a code after the password."""
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def totp_check(*, user: User, code: str) -> bool:
    """Check a login code, consuming its time step so the same code cannot be used twice."""
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        return False
    counter = totp.matching_counter(device.secret, code, after=device.last_counter)
    if counter is None:
        return False
    # Conditional update: of two requests racing with the same code only one wins.
    return bool(
        TOTPDevice.objects.filter(pk=device.pk, last_counter=device.last_counter).update(
            last_counter=counter
        )
    )
