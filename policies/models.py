"""Support policies (政策) and the versions of their terms (rules)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q

from catalogue.indexes import SearchGinIndex
from regions.selectors import region_codes_applying_to, within_region_q

if TYPE_CHECKING:
    from accounts.models import User


class Category(models.TextChoices):
    TECH = "科技创新", "科技创新"
    EQUIPMENT = "设备更新", "设备更新"
    DIGITAL = "数字经济", "数字经济"
    PRIVATE = "民营经济", "民营经济"
    LOGISTICS = "物流", "物流"
    RURAL = "乡村振兴", "乡村振兴"
    GREEN = "绿色金融", "绿色金融"
    CAPITAL = "资本市场", "资本市场"
    INCLUSIVE = "普惠金融", "普惠金融"
    CONSUMPTION = "消费", "消费"
    INDUSTRY = "产业发展", "产业发展"
    INSTITUTIONS = "金融机构", "金融机构"


class SupportType(models.TextChoices):
    GRANT = "奖补", "奖补"
    INTEREST = "贴息", "贴息"
    RISK = "风险补偿", "风险补偿"
    EQUITY = "股权投资", "股权投资"
    GUARANTEE_FEE = "担保费补贴", "担保费补贴"
    LISTING = "上市奖励", "上市奖励"
    INSURANCE = "保险补贴", "保险补贴"
    COMPUTE = "算力券", "算力券"


class Beneficiary(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    BANK = "bank", "银行机构"
    LEASING = "leasing_company", "融资租赁公司"
    GUARANTOR = "guarantor", "担保机构"
    PLATFORM = "platform", "平台"
    INSTITUTION = "institution", "机构"


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


def in_force_q(on: date, prefix: str = "") -> Q:
    """Rows whose validity period (open ends allowed) contains ``on``."""
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": on})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


class PolicyQuerySet(models.QuerySet["Policy"]):
    def published(self) -> PolicyQuerySet:
        """What the public catalogue shows."""
        return self.filter(status=Status.PUBLISHED)

    def in_force_on(self, on: date) -> PolicyQuerySet:
        return self.filter(in_force_q(on))

    def applying_to(self, region_code: str) -> PolicyQuerySet:
        """Policies that reach a firm in ``region_code``: its own, its city's, its province's."""
        return self.filter(region__code__in=region_codes_applying_to(region_code))

    def for_user(self, user: User) -> PolicyQuerySet:
        """The policies ``user`` may administer: its region's (staff) or all (platform admin)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_platform_admin:
            return self.all()
        if user.is_district_staff and user.region_id:
            return self.filter(within_region_q(user.region.code))
        return self.none()


class Policy(models.Model):
    key = models.SlugField("标识", max_length=120, unique=True)
    title = models.CharField("政策名称", max_length=200)
    issuer = models.CharField("发文机关", max_length=200)
    document_number = models.CharField("文号", max_length=100, blank=True)
    batch = models.CharField("批次", max_length=100, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name="适用区域", on_delete=models.PROTECT, related_name="policies"
    )
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    support_type = models.CharField("支持方式", max_length=16, choices=SupportType.choices)
    beneficiary = models.CharField(
        "支持对象", max_length=24, choices=Beneficiary.choices, default=Beneficiary.ENTERPRISE
    )
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_to = models.DateField("截止日期", null=True, blank=True)
    # Rich text, sanitised by the services (nh3) before it is stored.
    summary = models.TextField("政策摘要", blank=True)
    conditions_text = models.TextField("申报条件", blank=True)
    benefit_text = models.TextField("支持标准", blank=True)
    materials = models.JSONField("申报材料", default=list, blank=True)
    contact = models.CharField("联系方式", max_length=300, blank=True)
    source_file = models.CharField("来源文件", max_length=200, blank=True)
    source_title = models.CharField("来源文件标题", max_length=300, blank=True)
    source_passage = models.TextField("原文摘录", blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The cap of the current rule version's benefit (engine's ``max_amount_yuan``), kept by
    # policies.services so that the catalogue can filter on it; null when the terms state none.
    max_amount_yuan = models.BigIntegerField(
        "最高支持金额（元）", null=True, blank=True, editable=False
    )
    # Written by policies.services (see catalogue.search), never by hand.
    search_text = models.TextField("检索词", blank=True, editable=False)
    search_title = models.TextField("标题检索词", blank=True, editable=False)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "政策"
        verbose_name_plural = "政策"
        ordering = ["-valid_from", "-pk"]
        indexes = [
            SearchGinIndex(SearchVector("search_text", config="simple"), name="policy_search_gin"),
            models.Index(fields=["status", "valid_to"], name="policy_status_valid_to"),
        ]
        constraints = [
            models.CheckConstraint(
                name="policy_valid_range",
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def region_code(self) -> str:
        return self.region.code

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def is_expired(self, on: date | None = None) -> bool:
        """True when the policy's validity ended before ``on`` (default today)."""
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.valid_to is not None and self.valid_to < on

    def is_in_force(self, on: date | None = None) -> bool:
        from django.utils import timezone

        on = on or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= on) and not self.is_expired(on)


class PolicyRule(models.Model):
    """One version of a policy's terms; a claim is judged by the version in force on its date."""

    policy = models.ForeignKey(
        Policy, verbose_name="政策", on_delete=models.CASCADE, related_name="rules"
    )
    valid_from = models.DateField("条款生效日期", null=True, blank=True)
    valid_to = models.DateField("条款截止日期", null=True, blank=True)
    data = models.JSONField("条款（docs/rules.md）", default=dict)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "政策条款版本"
        verbose_name_plural = "政策条款版本"
        ordering = ["policy", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "valid_from"], name="uniq_policy_rule_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.valid_from or '不限'}起"

    def as_rule(self) -> dict[str, Any]:
        """The rule as the engine takes it, with this version's validity dates."""
        rule = dict(self.data)
        rule["valid_from"] = self.valid_from.isoformat() if self.valid_from else None
        rule["valid_to"] = self.valid_to.isoformat() if self.valid_to else None
        return rule
