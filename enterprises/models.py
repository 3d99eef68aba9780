"""Enterprises (企业), identified by their 统一社会信用代码."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from enterprises.sizing import SIZE_LABELS
from enterprises.validators import validate_uscc
from regions.selectors import within_region_q

if TYPE_CHECKING:
    from accounts.models import User


class Qualification(models.TextChoices):
    HIGH_TECH = "high_tech", "高新技术企业"
    TECH_SME = "tech_sme", "科技型中小企业"
    SRDI = "srdi", "专精特新中小企业"
    LITTLE_GIANT = "little_giant", "专精特新“小巨人”"
    GAZELLE = "gazelle", "瞪羚企业（省级）"
    UNICORN = "unicorn", "独角兽企业"
    SINGLE_CHAMPION = "single_champion", "制造业单项冠军"
    ABOVE_SCALE = "above_scale", "规模以上企业"
    LISTING_SEED = "listing_seed", "上市种子/后备企业"
    AGRI = "agri", "涉农经营主体"


class SizeClass(models.TextChoices):
    LARGE = "large", SIZE_LABELS["large"]
    MEDIUM = "medium", SIZE_LABELS["medium"]
    SMALL = "small", SIZE_LABELS["small"]
    MICRO = "micro", SIZE_LABELS["micro"]


class EnterpriseQuerySet(models.QuerySet["Enterprise"]):
    def for_user(self, user: User) -> EnterpriseQuerySet:
        """The enterprises ``user`` may see: its own firm, its region's firms, or all for admins."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_platform_admin:
            return self.all()
        if user.is_enterprise_member:
            return self.filter(pk=user.enterprise_id) if user.enterprise_id else self.none()
        if user.is_district_staff and user.region_id:
            return self.filter(within_region_q(user.region.code))
        if user.is_bank_user and user.branch_id:
            # A bank sees the firms its butler teams serve; firms behind routed needs are reached
            # through the needs themselves.
            return self.filter(butler_teams__branch__bank_id=user.branch.bank_id).distinct()
        return self.none()


class Enterprise(models.Model):
    uscc = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField("企业名称", max_length=128)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="注册地",
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    industry_code = models.CharField("国民经济行业分类", max_length=8, blank=True)
    industry_chain = models.ForeignKey(
        "regions.IndustryChain",
        verbose_name="所属产业链",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprises",
    )
    annual_revenue_yuan = models.BigIntegerField("上年度主营业务收入（元）", null=True, blank=True)
    employees = models.PositiveIntegerField("从业人员（人）", null=True, blank=True)
    total_assets_yuan = models.BigIntegerField("资产总额（元）", null=True, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    qualifications = models.JSONField("资质", default=list, blank=True)
    credit_rating = models.CharField("信用等级", max_length=8, blank=True)
    size_class = models.CharField("企业规模", max_length=8, choices=SizeClass.choices, blank=True)
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    verified_at = models.DateTimeField("核验时间", null=True, blank=True)
    verified_by = models.ForeignKey(
        "accounts.User",
        verbose_name="核验人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="enterprise_revenue_nonneg", condition=models.Q(annual_revenue_yuan__gte=0)
            ),
            models.CheckConstraint(
                name="enterprise_assets_nonneg", condition=models.Q(total_assets_yuan__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def qualification_labels(self) -> list[str]:
        labels = dict(Qualification.choices)
        return [labels.get(code, code) for code in self.qualifications]
