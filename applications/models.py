"""Policy applications (申报): the case, its files, its audited timeline, and 免申即享 policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from applications.states import GRANTED_STATES, OPEN_STATES, Status
from regions.selectors import scope_by_firm_or_region

if TYPE_CHECKING:
    from accounts.models import User


class PolicyApplicationQuerySet(models.QuerySet["PolicyApplication"]):
    def for_user(self, user: User) -> PolicyApplicationQuerySet:
        """The applications ``user`` may see; everything else answers 404.

        A firm member sees its firm's; district staff the applications to policies of its region
        (the office that issued the policy reviews them); a platform admin all; anyone else none.
        """
        return scope_by_firm_or_region(self, user, region_field="policy__region__code")

    def open(self) -> PolicyApplicationQuerySet:
        return self.filter(status__in=OPEN_STATES)

    def granted(self) -> PolicyApplicationQuerySet:
        return self.filter(status__in=GRANTED_STATES)


class PolicyApplication(models.Model):
    """A firm's application for one policy, reviewed by the district office that issued it."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="policy_applications",
    )
    policy = models.ForeignKey(
        "policies.Policy",
        verbose_name="政策",
        on_delete=models.PROTECT,
        related_name="applications",
    )
    rule = models.ForeignKey(
        "policies.PolicyRule",
        verbose_name="适用条款版本",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("申报年度", db_index=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    proactive = models.BooleanField("免申即享", default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # What the firm confirmed, and what the engine made of it.
    facts = models.JSONField("企业确认的信息", default=dict, blank=True)
    eligible = models.BooleanField("符合条件", null=True, blank=True)
    computed_amount_yuan = models.BigIntegerField("测算金额（元）", null=True, blank=True)
    max_amount_yuan = models.BigIntegerField("最高金额（元）", null=True, blank=True)
    formula = models.TextField("测算过程", blank=True)
    evaluation = models.JSONField("测算结果", default=dict, blank=True)
    declaration = models.TextField("承诺内容", blank=True)
    declared_at = models.DateTimeField("承诺时间", null=True, blank=True)

    # Review.
    return_items = models.TextField("需补正内容", blank=True)
    correction_due_on = models.DateField("补正截止日期", null=True, blank=True)
    review_due_on = models.DateField("审核截止日期", null=True, blank=True)
    approved_amount_yuan = models.BigIntegerField("核定金额（元）", null=True, blank=True)
    amount_reason = models.TextField("核定金额调整理由", blank=True)
    decision_note = models.TextField("审核意见", blank=True)
    publicity_starts_on = models.DateField("公示开始日期", null=True, blank=True)
    publicity_ends_on = models.DateField("公示截止日期", null=True, blank=True)
    paid_amount_yuan = models.BigIntegerField("兑现金额（元）", null=True, blank=True)
    paid_on = models.DateField("兑现日期", null=True, blank=True)

    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PolicyApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = "政策申报"
        verbose_name_plural = "政策申报"
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one undecided application per firm and policy.
            models.UniqueConstraint(
                fields=["enterprise", "policy"],
                condition=Q(status__in=sorted(OPEN_STATES)),
                name="uniq_open_application_per_policy",
            ),
            # 免申即享 drafts: one per firm, policy and year, however often the task runs.
            models.UniqueConstraint(
                fields=["enterprise", "policy", "year"],
                condition=Q(proactive=True),
                name="uniq_proactive_application_per_year",
            ),
            models.CheckConstraint(
                name="application_amounts_nonneg",
                condition=(Q(approved_amount_yuan__isnull=True) | Q(approved_amount_yuan__gte=0))
                & (Q(paid_amount_yuan__isnull=True) | Q(paid_amount_yuan__gt=0))
                & (Q(computed_amount_yuan__isnull=True) | Q(computed_amount_yuan__gte=0)),
            ),
            models.CheckConstraint(
                name="application_granted_has_amount",
                condition=~Q(status__in=sorted(GRANTED_STATES))
                | Q(approved_amount_yuan__isnull=False),
            ),
            models.CheckConstraint(
                name="application_paid_has_payout",
                condition=~Q(status=Status.PAID)
                | Q(paid_amount_yuan__isnull=False, paid_on__isnull=False),
            ),
            models.CheckConstraint(
                name="application_publicity_range",
                condition=Q(publicity_ends_on__isnull=True)
                | Q(publicity_starts_on__isnull=True)
                | Q(publicity_ends_on__gte=models.F("publicity_starts_on")),
            ),
        ]
        indexes = [
            models.Index(fields=["policy", "status"], name="application_policy_status"),
            models.Index(fields=["enterprise", "policy", "year"], name="application_firm_year"),
        ]

    def __str__(self) -> str:
        return f"政策申报 #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def granted_amount_yuan(self) -> int | None:
        """What counts against caps: the payout once recorded, else the approved amount."""
        if self.status not in GRANTED_STATES:
            return None
        return (
            self.paid_amount_yuan
            if self.paid_amount_yuan is not None
            else (self.approved_amount_yuan)
        )


def application_file_path(instance: ApplicationFile, filename: str) -> str:
    """Stored under a generated name; the uploader's file name is display text only."""
    return instance.storage_name


class ApplicationFile(models.Model):
    """One uploaded material of an application (an item of the policy's checklist, or other)."""

    application = models.ForeignKey(
        PolicyApplication, verbose_name="申报", on_delete=models.CASCADE, related_name="files"
    )
    material = models.CharField("材料名称", max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField("文件", max_length=200, upload_to=application_file_path)
    storage_name = models.CharField("存储名", max_length=200, unique=True)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "申报材料"
        verbose_name_plural = "申报材料"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.material}：{self.original_name}"


class ApplicationEvent(models.Model):
    """One step on an application's timeline: who, when, from which state to which, and a note."""

    application = models.ForeignKey(
        PolicyApplication, verbose_name="申报", on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("动作", max_length=24)
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16, blank=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("详情", default=dict, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "申报办理记录"
        verbose_name_plural = "申报办理记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application} {self.action}"


class ProactivePolicy(models.Model):
    """A policy its district marked 免申即享: qualifying firms get a pre-filled application."""

    policy = models.OneToOneField(
        "policies.Policy", verbose_name="政策", on_delete=models.CASCADE, related_name="proactive"
    )
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="设置人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "免申即享政策"
        verbose_name_plural = "免申即享政策"

    def __str__(self) -> str:
        return f"免申即享：{self.policy}"
