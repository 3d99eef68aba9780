"""Banks, their branches, and the pairings of the seeds: 主办银行, 金融管家, 金融辅导队."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchVector
from django.db import models

from catalogue.indexes import SearchGinIndex
from regions.selectors import within_region_q

if TYPE_CHECKING:
    from accounts.models import User


class Bank(models.Model):
    class Kind(models.TextChoices):
        STATE = "state", "国有大型银行"
        JOINT_STOCK = "joint_stock", "股份制银行"
        CITY = "city", "城市商业银行"
        RURAL = "rural", "农村商业银行"
        POLICY = "policy", "政策性银行"
        POSTAL = "postal", "邮政储蓄银行"
        OTHER = "other", "其他"

    name = models.CharField("银行", max_length=64, unique=True)
    short_name = models.CharField("简称", max_length=32, blank=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        verbose_name = "银行机构"
        verbose_name_plural = "银行机构"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    bank = models.ForeignKey(
        Bank, verbose_name="银行", on_delete=models.PROTECT, related_name="branches"
    )
    name = models.CharField("分支行", max_length=128, unique=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在区域", on_delete=models.PROTECT, related_name="branches"
    )
    regions_served = models.ManyToManyField(
        "regions.Region", verbose_name="服务区域", related_name="served_by_branches", blank=True
    )
    phone = models.CharField("联系电话", max_length=32, blank=True)

    class Meta:
        verbose_name = "分支行"
        verbose_name_plural = "分支行"
        ordering = ["bank__name", "name"]

    def __str__(self) -> str:
        return self.name


class LeadBank(models.Model):
    """A branch assigned as 主办银行 of an industry chain."""

    chain = models.ForeignKey(
        "regions.IndustryChain",
        verbose_name="产业链",
        on_delete=models.CASCADE,
        related_name="lead_banks",
    )
    branch = models.ForeignKey(
        Branch, verbose_name="主办银行", on_delete=models.PROTECT, related_name="lead_chains"
    )
    assigned_on = models.DateField("确定日期", null=True, blank=True)

    class Meta:
        verbose_name = "主办银行"
        verbose_name_plural = "主办银行"
        constraints = [
            models.UniqueConstraint(fields=["chain", "branch"], name="uniq_lead_bank_per_chain")
        ]

    def __str__(self) -> str:
        return f"{self.chain} — {self.branch}"


class ButlerTeam(models.Model):
    """A 金融管家 team: bank staff paired with named enterprises."""

    name = models.CharField("团队名称", max_length=64)
    region = models.ForeignKey(
        "regions.Region", verbose_name="区域", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        Branch, verbose_name="牵头网点", on_delete=models.PROTECT, related_name="butler_teams"
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name="成员", related_name="butler_teams", blank=True
    )
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise", verbose_name="结对企业", related_name="butler_teams", blank=True
    )

    class Meta:
        verbose_name = "金融管家团队"
        verbose_name_plural = "金融管家团队"
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="uniq_butler_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class AdvisoryTeam(models.Model):
    """A 金融辅导队 of a district, serving a list of firms."""

    name = models.CharField("辅导队名称", max_length=64)
    region = models.ForeignKey(
        "regions.Region", verbose_name="区域", on_delete=models.PROTECT, related_name="+"
    )
    leader = models.CharField("队长", max_length=64, blank=True)
    members = models.ManyToManyField(
        "accounts.User", verbose_name="成员", related_name="advisory_teams", blank=True
    )
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise", verbose_name="服务企业", related_name="advisory_teams", blank=True
    )

    class Meta:
        verbose_name = "金融辅导队"
        verbose_name_plural = "金融辅导队"
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="uniq_advisory_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class ProductClass(models.TextChoices):
    CREDIT = "信用类", "信用类"
    COLLATERAL = "抵质押类", "抵质押类"
    GUARANTEED = "担保类", "担保类"
    SUPPLY_CHAIN = "供应链类", "供应链类"
    TECH = "科创类", "科创类"
    AGRI = "涉农类", "涉农类"


class GuaranteeMethod(models.TextChoices):
    CREDIT = "credit", "信用"
    MORTGAGE = "mortgage", "抵押"
    PLEDGE = "pledge", "质押"
    GUARANTEE = "guarantee", "保证"


class CustomerType(models.TextChoices):
    LARGE = "large", "大型企业"
    MEDIUM = "medium", "中型企业"
    SMALL = "small", "小型企业"
    MICRO = "micro", "微型企业"
    INDIVIDUAL = "individual_business", "个体工商户"
    FARMER = "farmer", "农户"
    AGRI = "agri", "涉农经营主体"


class ProductStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class LoanProductQuerySet(models.QuerySet["LoanProduct"]):
    def published(self) -> LoanProductQuerySet:
        """What the public catalogue shows."""
        return self.filter(status=ProductStatus.PUBLISHED)

    def for_user(self, user: User) -> LoanProductQuerySet:
        """The products ``user`` may administer: its region's (staff) or all (platform admin)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_platform_admin:
            return self.all()
        if user.is_district_staff and user.region_id:
            return self.filter(within_region_q(user.region.code))
        return self.none()


class LoanProduct(models.Model):
    """A bank's credit product (信贷产品), as a compendium (产品汇编) lists it."""

    key = models.SlugField("标识", max_length=120, unique=True)
    name = models.CharField("产品名称", max_length=120)
    bank = models.ForeignKey(
        Bank, verbose_name="银行", on_delete=models.PROTECT, related_name="products"
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name="分支行",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    # The district office that maintains the record (staff scoping); not where it is offered.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="所属区域",
        on_delete=models.PROTECT,
        related_name="maintained_products",
    )
    product_class = models.CharField("产品类别", max_length=16, choices=ProductClass.choices)
    # Rich text, sanitised by the services (nh3) before it is stored.
    description = models.TextField("产品简介", blank=True)
    target_customers = models.TextField("目标客户", blank=True)
    conditions_text = models.TextField("投放条件", blank=True)
    customer_types = models.JSONField("客户类型", default=list, blank=True)
    # Null = the source gives no figure; nothing is invented.
    min_amount_yuan = models.BigIntegerField("最低额度（元）", null=True, blank=True)
    max_amount_yuan = models.BigIntegerField("最高额度（元）", null=True, blank=True)
    max_term_months = models.PositiveIntegerField("最长期限（月）", null=True, blank=True)
    rate_text = models.CharField("利率", max_length=300, blank=True)
    rate_min_percent = models.DecimalField(
        "最低年利率（%）", max_digits=6, decimal_places=3, null=True, blank=True
    )
    guarantee_methods = models.JSONField("担保方式", default=list, blank=True)
    # " credit pledge " — the codes above, space-padded, for a portable filter (see services).
    guarantee_codes = models.CharField(max_length=64, blank=True, editable=False)
    guarantee_fee_text = models.CharField("担保费", max_length=300, blank=True)
    materials = models.JSONField("申报材料", default=list, blank=True)
    regions_served = models.ManyToManyField(
        "regions.Region", verbose_name="服务区域", related_name="loan_products", blank=True
    )
    source_file = models.CharField("来源文件", max_length=200, blank=True)
    source_title = models.CharField("来源文件标题", max_length=300, blank=True)
    source_passage = models.TextField("原文摘录", blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Written by banks.services (see catalogue.search), never by hand.
    search_text = models.TextField("检索词", blank=True, editable=False)
    search_title = models.TextField("标题检索词", blank=True, editable=False)

    objects = LoanProductQuerySet.as_manager()

    class Meta:
        verbose_name = "信贷产品"
        verbose_name_plural = "信贷产品"
        ordering = ["bank__name", "name", "pk"]
        indexes = [
            SearchGinIndex(SearchVector("search_text", config="simple"), name="product_search_gin"),
            models.Index(fields=["status", "product_class"], name="product_status_class"),
        ]
        constraints = [
            models.CheckConstraint(
                name="product_amount_range",
                condition=models.Q(min_amount_yuan__isnull=True)
                | models.Q(max_amount_yuan__isnull=True)
                | models.Q(max_amount_yuan__gte=models.F("min_amount_yuan")),
            ),
            models.CheckConstraint(
                name="product_amount_nonneg",
                condition=models.Q(min_amount_yuan__gte=0) | models.Q(min_amount_yuan__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank.short_name or self.bank.name}·{self.name}"

    @property
    def is_published(self) -> bool:
        return self.status == ProductStatus.PUBLISHED

    def guarantee_labels(self) -> list[str]:
        labels = dict(GuaranteeMethod.choices)
        return [labels.get(code, code) for code in self.guarantee_methods]

    def customer_type_labels(self) -> list[str]:
        labels = dict(CustomerType.choices)
        return [labels.get(code, code) for code in self.customer_types]
