"""Users and their roles. A user belongs to at most one enterprise, branch or region."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    ENTERPRISE_MEMBER = "enterprise_member", "企业用户"
    BANK_OFFICER = "bank_officer", "客户经理"
    BANK_MANAGER = "bank_manager", "支行负责人"
    DISTRICT_STAFF = "district_staff", "金融发展服务中心工作人员"
    PLATFORM_ADMIN = "platform_admin", "平台管理员"


class User(AbstractUser):
    role = models.CharField(
        "角色", max_length=32, choices=Role.choices, default=Role.ENTERPRISE_MEMBER
    )
    display_name = models.CharField("姓名", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    branch = models.ForeignKey(
        "banks.Branch",
        verbose_name="所属网点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="所属区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    privacy_consent_at = models.DateTimeField("同意隐私政策时间", null=True, blank=True)
    # Part of the session hash: raising it signs the user out of every session at once
    # (deactivation), and an old cookie stays refused even if the account is turned on again.
    session_generation = models.PositiveIntegerField("会话代次", default=0, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="user_role_ties",
                condition=(
                    models.Q(role="enterprise_member", branch__isnull=True, region__isnull=True)
                    | models.Q(
                        role__in=["bank_officer", "bank_manager"],
                        enterprise__isnull=True,
                        region__isnull=True,
                    )
                    | models.Q(role="district_staff", enterprise__isnull=True, branch__isnull=True)
                    | models.Q(role="platform_admin", enterprise__isnull=True, branch__isnull=True)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_enterprise_member(self) -> bool:
        return self.role == Role.ENTERPRISE_MEMBER

    @property
    def is_bank_user(self) -> bool:
        return self.role in (Role.BANK_OFFICER, Role.BANK_MANAGER)

    @property
    def is_district_staff(self) -> bool:
        return self.role == Role.DISTRICT_STAFF

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN or self.is_superuser

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session hash (the password hash, HMAC'd), with the session generation."""
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def can_use_second_factor(self) -> bool:
        """Staff and bank accounts may (and are encouraged to) turn on a second factor."""
        return self.is_bank_user or self.is_district_staff or self.is_platform_admin


class TOTPDevice(models.Model):
    """A user's authenticator app: the shared secret and the last time step used (no replays)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="totp_device",
    )
    # Fernet ciphertext (accounts.crypto), never the base32 secret itself: a copy of the database
    # or a backup alone does not give away anyone's second factor.
    secret_encrypted = models.CharField("密钥（加密）", max_length=255)
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True)
    last_counter = models.BigIntegerField("上次使用的时间步", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "动态验证码设备"
        verbose_name_plural = "动态验证码设备"

    def __str__(self) -> str:
        return f"{self.user} 动态验证码"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def secret(self) -> str:
        """The base32 secret, decrypted."""
        from accounts.crypto import decrypt_secret

        return decrypt_secret(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        from accounts.crypto import encrypt_secret

        self.secret_encrypted = encrypt_secret(value)
