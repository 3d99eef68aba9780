"""Dashboards: catalogue view counters, assessment schemes, monthly bulletins, background jobs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

#: The indicators of the bank assessment (考核), with their labels and whether higher is better.
INDICATORS: dict[str, tuple[str, bool]] = {
    "response_time": ("响应时间（接单，工作小时中位数）", False),
    "approval_rate": ("授信率", True),
    "disbursement_rate": ("资金到位率", True),
    "rating": ("企业评价（平均分）", True),
    "overdue": ("逾期次数", False),
}
DEFAULT_WEIGHTS: dict[str, float] = {
    "response_time": 25,
    "approval_rate": 25,
    "disbursement_rate": 20,
    "rating": 15,
    "overdue": 15,
}


def validate_weights(value: object) -> None:
    """Weights are a mapping of exactly the known indicators to non-negative numbers, not all 0."""
    if not isinstance(value, dict):
        raise ValidationError("权重必须是指标到数值的映射。")
    unknown = set(value) - set(INDICATORS)
    missing = set(INDICATORS) - set(value)
    if unknown:
        raise ValidationError(f"未知指标：{'、'.join(sorted(unknown))}。")
    if missing:
        raise ValidationError(f"缺少指标：{'、'.join(sorted(missing))}。")
    for key, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ValidationError(f"指标 {key} 的权重必须是非负数。")
    if sum(value.values()) <= 0:
        raise ValidationError("权重之和必须大于 0。")


def default_weights() -> dict[str, float]:
    return dict(DEFAULT_WEIGHTS)


class CatalogueView(models.Model):
    """Page views of one policy or loan product on one day (one row per item and day)."""

    class Kind(models.TextChoices):
        POLICY = "policy", "政策"
        PRODUCT = "product", "信贷产品"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField("对象编号")
    day = models.DateField("日期")
    count = models.PositiveIntegerField("浏览次数", default=0)

    class Meta:
        verbose_name = "目录浏览量"
        verbose_name_plural = "目录浏览量"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "day"], name="uniq_catalogue_view_day"
            )
        ]
        indexes = [models.Index(fields=["kind", "day"], name="catalogue_view_kind_day")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id} {self.day}: {self.count}"


class AssessmentScheme(models.Model):
    """A district's weights of the bank assessment indicators (defaults when it has none)."""

    region = models.OneToOneField(
        "regions.Region", verbose_name="区域", on_delete=models.CASCADE, related_name="+"
    )
    weights = models.JSONField("指标权重", default=default_weights, validators=[validate_weights])
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "银行考核方案"
        verbose_name_plural = "银行考核方案"

    def __str__(self) -> str:
        return f"{self.region} 考核方案"

    def clean(self) -> None:
        validate_weights(self.weights)


class Bulletin(models.Model):
    """The monthly bulletin (通报) of one region: the assessment ranking as PDF and Excel."""

    region = models.ForeignKey(
        "regions.Region", verbose_name="区域", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField("月份", help_text="该月第一天")
    pdf = models.FileField("PDF", max_length=200)
    xlsx = models.FileField("Excel", max_length=200)
    data = models.JSONField("考核结果", default=dict)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "月度通报"
        verbose_name_plural = "月度通报"
        ordering = ["-month", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="uniq_bulletin_region_month")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.month:%Y年%m月} 通报"


class Job(models.Model):
    """A long operation run by a worker, with progress the page polls."""

    class Kind(models.TextChoices):
        DASHBOARD_EXPORT = "dashboard_export", "数据看板导出（Excel）"
        REMATCH = "rematch", "辖区企业政策批量重新匹配"
        CATALOGUE_IMPORT = "catalogue_import", "目录 Excel 导入"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    params = models.JSONField("参数", default=dict, blank=True)
    result = models.FileField("结果文件", max_length=200, blank=True)
    message = models.CharField("结果说明", max_length=300, blank=True)
    error = models.TextField("错误", blank=True)
    #: Errors meant for the requester, in Chinese (an import's bad rows); ``error`` is the log's.
    problems = models.JSONField("问题清单", default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        on_delete=models.CASCADE,
        related_name="dashboard_jobs",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="job_progress_range", condition=Q(progress__lte=100))
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class TurnHours(models.Model):
    """Roll-up of one bank turn (派单记录): working hours to acceptance and to first contact.

    Counting working hours needs the calendar, so it is done once per turn (by
    :func:`dashboards.services.turn_hours_refresh`, on the periodic roll-up) instead of on every
    dashboard view. Each figure keeps the moments it was counted from: when the turn's start or
    a deadline's ``met_at`` moves (the needs services update them in bulk, without signals), the
    stored figure no longer matches, the dashboards count that turn afresh, and the next roll-up
    rewrites it. The numbers shown therefore always equal those counted from the cases.
    """

    assignment = models.OneToOneField(
        "needs.Assignment",
        verbose_name="派单记录",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="hours",
    )
    started_at = models.DateTimeField("派单时间")
    accept_met_at = models.DateTimeField("接单时间", null=True, blank=True)
    accept_hours = models.FloatField("接单用时（工作小时）", null=True, blank=True)
    contact_met_at = models.DateTimeField("首次联系时间", null=True, blank=True)
    contact_hours = models.FloatField("首次联系用时（工作小时）", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = "派单响应用时"
        verbose_name_plural = "派单响应用时"

    def __str__(self) -> str:
        return f"派单 #{self.assignment_id}"
