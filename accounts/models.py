"""Users and their roles. A user belongs to at most one enterprise, branch or region."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


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
