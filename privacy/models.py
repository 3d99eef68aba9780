"""Personal information (PIPL): consents, reads of personal data, data requests, human review."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from regions.selectors import scope_by_firm_or_region

if TYPE_CHECKING:
    from accounts.models import User


class ConsentRecord(models.Model):
    """A consent given at registration: who, for which firm, when, and to which text version."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", "注册时同意个人信息处理规则"

    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        on_delete=models.SET_NULL,
        related_name="consent_records",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_records",
    )
    text_version = models.CharField("文本版本", max_length=32)
    text_digest = models.CharField("文本摘要（SHA-256）", max_length=64)
    granted_at = models.DateTimeField("同意时间", default=timezone.now)

    class Meta:
        verbose_name = "个人信息处理同意"
        verbose_name_plural = "个人信息处理同意"
        ordering = ["-granted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.text_version}"


class ContactConsent(models.Model):
    """The firm's separate consent that one named bank may see a need's contact details."""

    need = models.ForeignKey(
        "needs.FinancingNeed",
        verbose_name="融资需求",
        on_delete=models.CASCADE,
        related_name="contact_consents",
    )
    bank = models.ForeignKey(
        "banks.Bank", verbose_name="银行", on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="同意人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text_version = models.CharField("文本版本", max_length=32)
    text = models.TextField("同意文本")
    granted_at = models.DateTimeField("同意时间", default=timezone.now)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    class Meta:
        verbose_name = "联系方式提供同意"
        verbose_name_plural = "联系方式提供同意"
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["need", "bank"], name="uniq_contact_consent")
        ]

    def __str__(self) -> str:
        return f"{self.need} → {self.bank}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class PersonalDataAccess(models.Model):
    """One read of personal data: who read which fields of which record, when, why. No values."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="查看人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    role = models.CharField("角色", max_length=32, blank=True)
    subject_type = models.CharField("对象类型", max_length=64)
    subject_id = models.CharField("对象编号", max_length=64)
    fields = models.JSONField("字段", default=list)
    purpose = models.CharField("用途", max_length=48)
    accessed_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="pda_subject")]

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} {self.purpose}"


class DataRequestQuerySet(models.QuerySet["DataRequest"]):
    def for_user(self, user: User) -> DataRequestQuerySet:
        return scope_by_firm_or_region(self, user, region_field="enterprise__region__code")


class DataRequest(models.Model):
    """A firm's request about its personal data: a copy (export) or deletion."""

    class Kind(models.TextChoices):
        EXPORT = "export", "下载个人信息副本"
        DELETION = "deletion", "删除个人信息"

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        DONE = "done", "已完成"

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="data_requests",
    )
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)

    objects = DataRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "个人信息请求"
        verbose_name_plural = "个人信息请求"
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open deletion request per firm: asking twice changes nothing.
            models.UniqueConstraint(
                fields=["enterprise", "kind"],
                condition=Q(status="pending"),
                name="uniq_pending_data_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_kind_display()}"


class ReviewRequestQuerySet(models.QuerySet["ReviewRequest"]):
    def for_user(self, user: User) -> ReviewRequestQuerySet:
        """A firm sees its own; staff those on policies of their region; admins all."""
        return scope_by_firm_or_region(self, user, region_field="policy__region__code")


class ReviewRequest(models.Model):
    """A firm's request that a person review an automated eligibility result (PIPL art. 24)."""

    class Status(models.TextChoices):
        OPEN = "open", "待复核"
        ANSWERED = "answered", "已答复"

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="review_requests",
    )
    policy = models.ForeignKey(
        "policies.Policy", verbose_name="政策", on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The automated result as it stood when review was asked for.
    result = models.JSONField("自动测算结果", default=dict)
    reason = models.TextField("申请理由", max_length=1000)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField("复核意见", max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    created_at = models.DateTimeField("申请时间", default=timezone.now)

    objects = ReviewRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "人工复核申请"
        verbose_name_plural = "人工复核申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "policy"],
                condition=Q(status="open"),
                name="uniq_open_review_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.policy} 复核"
