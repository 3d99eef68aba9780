"""Financing needs (融资需求): the case, its bank assignments, timeline, deadlines and materials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Subquery

from needs.states import BANK_STATES, OPEN_STATES, Status
from regions.selectors import within_region_q

if TYPE_CHECKING:
    from accounts.models import User


class Purpose(models.TextChoices):
    WORKING_CAPITAL = "working_capital", "流动资金"
    TECH_UPGRADE = "tech_upgrade", "技术改造"
    PROJECT = "project", "项目建设"
    EQUIPMENT = "equipment", "设备购置"
    ORDER = "order", "订单融资"
    RND = "rnd", "科技研发"
    AGRI = "agri", "涉农生产"
    OTHER = "other", "其他"


class GuaranteeMethod(models.TextChoices):
    CREDIT = "credit", "信用"
    MORTGAGE = "mortgage", "抵押"
    PLEDGE = "pledge", "质押"
    GUARANTEE = "guarantee", "保证"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "较急（1个月内）"
    VERY_URGENT = "very_urgent", "紧急（2周内）"


class DeclineReason(models.TextChoices):
    QUOTA = "quota", "额度不足"
    ELIGIBILITY = "eligibility", "不符合准入条件"
    MATERIALS = "materials", "资料不全"
    FIRM_WITHDREW = "firm_withdrew", "企业撤回意向"
    RISK = "risk", "风险评估未通过"
    COLLATERAL = "collateral", "担保条件不足"
    OTHER = "other", "其他"


class ContactChannel(models.TextChoices):
    PHONE = "phone", "电话"
    VISIT = "visit", "上门走访"
    MEETING = "meeting", "到行面谈"
    VIDEO = "video", "视频会议"
    WECHAT = "wechat", "微信/即时通讯"


class FinancingNeedQuerySet(models.QuerySet["FinancingNeed"]):
    def for_user(self, user: User) -> FinancingNeedQuerySet:
        """The needs ``user`` may see; everything else answers 404.

        A firm member sees its firm's needs; an officer the needs currently routed to its bank or
        to a 金融管家 team it belongs to; a manager its branch's; district staff the needs of firms
        in its region; a platform admin all.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_platform_admin:
            return self.all()
        if user.is_enterprise_member:
            return (
                self.filter(enterprise_id=user.enterprise_id) if user.enterprise_id else self.none()
            )
        if user.is_district_staff and user.region_id:
            return self.filter(within_region_q(user.region.code, "enterprise__region__code"))
        if user.is_bank_user and user.branch_id:
            from accounts.models import Role
            from banks.models import Branch, ButlerTeam

            if user.role == Role.BANK_MANAGER:
                return self.filter(assigned_branch_id=user.branch_id)
            # order_by(): no ORDER BY (Branch sorts by bank name: a join) in the subqueries.
            bank = Branch.objects.filter(pk=user.branch_id).order_by().values("bank_id")
            teams = ButlerTeam.objects.filter(members=user).order_by().values("pk")
            return self.filter(
                Q(assigned_branch__bank_id=Subquery(bank)) | Q(assigned_team_id__in=teams)
            )
        return self.none()

    def open(self) -> FinancingNeedQuerySet:
        return self.filter(status__in=OPEN_STATES)


class FinancingNeed(models.Model):
    """A firm's request for credit, handled by one bank at a time until it closes."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="financing_needs",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount_yuan = models.BigIntegerField(
        "融资金额（元）", validators=[MinValueValidator(10_000), MaxValueValidator(10**11)]
    )
    term_months = models.PositiveSmallIntegerField(
        "期限（月）", validators=[MinValueValidator(1), MaxValueValidator(360)]
    )
    purpose = models.CharField("用途", max_length=24, choices=Purpose.choices)
    guarantee_methods = models.JSONField("可接受的担保方式", default=list)
    collateral = models.CharField("可提供的抵质押物", max_length=500, blank=True)
    urgency = models.CharField(
        "紧急程度", max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    description = models.TextField("需求说明", max_length=2000, blank=True)
    contact_name = models.CharField("联系人", max_length=64)
    contact_phone = models.CharField("联系电话", max_length=20)
    products = models.ManyToManyField(
        "banks.LoanProduct", verbose_name="意向产品", blank=True, related_name="financing_needs"
    )

    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    assigned_branch = models.ForeignKey(
        "banks.Branch",
        verbose_name="承办网点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="financing_needs",
    )
    assigned_team = models.ForeignKey(
        "banks.ButlerTeam",
        verbose_name="金融管家团队",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="financing_needs",
    )
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="客户经理",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_needs",
    )

    proposed_product = models.CharField("方案产品", max_length=128, blank=True)
    proposed_amount_yuan = models.BigIntegerField("方案金额（元）", null=True, blank=True)
    proposed_rate_percent = models.DecimalField(
        "方案年利率（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    proposed_term_months = models.PositiveSmallIntegerField("方案期限（月）", null=True, blank=True)
    approved_amount_yuan = models.BigIntegerField("授信金额（元）", null=True, blank=True)
    disbursed_amount_yuan = models.BigIntegerField("放款金额（元）", null=True, blank=True)
    disbursed_on = models.DateField("放款日期", null=True, blank=True)

    created_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)
    assigned_at = models.DateTimeField("派单时间", null=True, blank=True)
    accepted_at = models.DateTimeField("接单时间", null=True, blank=True)
    first_contact_at = models.DateTimeField("首次对接时间", null=True, blank=True)
    decided_at = models.DateTimeField("授信时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = FinancingNeedQuerySet.as_manager()

    class Meta:
        verbose_name = "融资需求"
        verbose_name_plural = "融资需求"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="need_amount_positive", condition=Q(amount_yuan__gt=0)),
            models.CheckConstraint(name="need_term_positive", condition=Q(term_months__gt=0)),
            models.CheckConstraint(
                name="need_bank_states_have_branch",
                condition=~Q(status__in=sorted(BANK_STATES)) | Q(assigned_branch__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_branch", "status"]),
            # An officer's desk and month: "the cases I handle", by state.
            models.Index(fields=["assigned_officer", "status"], name="need_officer_status_idx"),
        ]

    def __str__(self) -> str:
        return f"融资需求 #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    def guarantee_labels(self) -> list[str]:
        labels = dict(GuaranteeMethod.choices)
        return [labels.get(code, code) for code in self.guarantee_methods]


class RoutingRequest(models.Model):
    """A routing to do, written in the same transaction as its cause and claimed once by a task.

    The task marks ``done_at`` with a conditional UPDATE; a periodic sweeper re-drives rows whose
    task never ran (a lost message, a worker that died).
    """

    need = models.ForeignKey(
        FinancingNeed, verbose_name="融资需求", on_delete=models.CASCADE, related_name="routings"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)

    class Meta:
        verbose_name = "派单任务"
        verbose_name_plural = "派单任务"
        indexes = [models.Index(fields=["done_at", "created_at"])]

    def __str__(self) -> str:
        return f"派单 #{self.pk}（需求 #{self.need_id}）"


class Assignment(models.Model):
    """One bank's (or the district pool's) turn with a need, and why it went there."""

    class Rule(models.TextChoices):
        BUTLER = "butler", "金融管家结对"
        PRODUCT = "product", "企业选择的产品"
        LEAD_BANK = "lead_bank", "产业链主办银行"
        POOL = "pool", "区县需求池"
        STAFF = "staff", "区县工作人员分配"
        TRANSFER = "transfer", "行内转办"

    class Outcome(models.TextChoices):
        OPEN = "open", "办理中"
        DECLINED = "declined", "已退回"
        RELEASED = "released", "企业申请更换"
        TRANSFERRED = "transferred", "已转办"
        COMPLETED = "completed", "已办结"
        WITHDRAWN = "withdrawn", "企业撤回"

    need = models.ForeignKey(
        FinancingNeed, verbose_name="融资需求", on_delete=models.CASCADE, related_name="assignments"
    )
    rule = models.CharField("派单规则", max_length=16, choices=Rule.choices)
    reason = models.CharField("派单原因", max_length=300)
    branch = models.ForeignKey(
        "banks.Branch",
        verbose_name="网点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="need_assignments",
    )
    team = models.ForeignKey(
        "banks.ButlerTeam",
        verbose_name="金融管家团队",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_bank = models.ForeignKey(
        "banks.LeadBank",
        verbose_name="主办银行",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="need_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="分配人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices, default=Outcome.OPEN)
    decline_reason = models.CharField(
        "退回原因", max_length=16, choices=DeclineReason.choices, blank=True
    )
    decline_note = models.TextField("退回说明", blank=True)
    created_at = models.DateTimeField("派单时间", auto_now_add=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "派单记录"
        verbose_name_plural = "派单记录"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["need"], condition=Q(outcome="open"), name="uniq_open_assignment_per_need"
            )
        ]

    def __str__(self) -> str:
        return f"{self.need} → {self.branch or '区县需求池'}"


class NeedEvent(models.Model):
    """One step on a need's timeline: who, when, from which state to which, and a note."""

    need = models.ForeignKey(
        FinancingNeed, verbose_name="融资需求", on_delete=models.CASCADE, related_name="events"
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
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.need} {self.action}"


class Deadline(models.Model):
    """A working-day deadline of one assignment: accept, first contact, decision."""

    class Kind(models.TextChoices):
        ACCEPT = "accept", "接单"
        CONTACT = "contact", "首次对接"
        DECISION = "decision", "授信决定"

    need = models.ForeignKey(
        FinancingNeed, verbose_name="融资需求", on_delete=models.CASCADE, related_name="deadlines"
    )
    assignment = models.ForeignKey(
        Assignment, verbose_name="派单记录", on_delete=models.CASCADE, related_name="deadlines"
    )
    kind = models.CharField("时限", max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField("截止时间", db_index=True)
    met_at = models.DateTimeField("完成时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    calendar_estimated = models.BooleanField(
        "按周一至周五估算", default=False, help_text="该年度国务院放假安排尚未录入"
    )

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "kind"], name="uniq_deadline_per_kind")
        ]
        indexes = [
            # The deadlines still running, nearest first: the workbench queue reads it in order
            # and stops at the page's end (met and cancelled ones are most rows and never read).
            models.Index(
                fields=["due_at", "id"],
                name="deadline_active_due_idx",
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.need} {self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.met_at is None and self.cancelled_at is None


class DeadlineAlert(models.Model):
    """A reminder or escalation sent for a deadline: one per deadline and level, ever."""

    class Level(models.TextChoices):
        REMINDER = "reminder", "到期提醒（客户经理）"
        MANAGER = "manager", "逾期督办（支行负责人）"
        DISTRICT = "district", "逾期督办（金融发展服务中心）"

    deadline = models.ForeignKey(
        Deadline, verbose_name="时限", on_delete=models.CASCADE, related_name="alerts"
    )
    level = models.CharField("级别", max_length=16, choices=Level.choices)
    due_at = models.DateTimeField("对应截止时间")
    sent_at = models.DateTimeField("发送时间", auto_now_add=True)

    class Meta:
        verbose_name = "提醒与督办"
        verbose_name_plural = "提醒与督办"
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "level", "due_at"], name="uniq_alert_per_deadline_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deadline} {self.get_level_display()}"


class ServiceLevel(models.Model):
    """A district's deadlines, in working days (defaults: accept 1, contact 2, decision 10)."""

    region = models.OneToOneField(
        "regions.Region", verbose_name="区县", on_delete=models.CASCADE, related_name="+"
    )
    accept_days = models.PositiveSmallIntegerField(
        "接单时限（工作日）", default=1, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    contact_days = models.PositiveSmallIntegerField(
        "首次对接时限（工作日）",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    decision_days = models.PositiveSmallIntegerField(
        "授信决定时限（工作日）",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name = "区县办理时限"
        verbose_name_plural = "区县办理时限"

    def __str__(self) -> str:
        return f"{self.region} 办理时限"


def attachment_path(instance: NeedAttachment, filename: str) -> str:
    """Stored under a generated name; the uploader's file name is display text only."""
    return instance.storage_name


class NeedAttachment(models.Model):
    """A file a firm attached to its need or uploaded when materials were requested."""

    need = models.ForeignKey(
        FinancingNeed, verbose_name="融资需求", on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField("文件", max_length=200, upload_to=attachment_path)
    storage_name = models.CharField("存储名", max_length=200, unique=True)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    is_material = models.BooleanField("补充材料", default=False)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class NeedRating(models.Model):
    """The firm's rating of the service once the case has closed; one per need."""

    need = models.OneToOneField(
        FinancingNeed, verbose_name="融资需求", on_delete=models.CASCADE, related_name="rating"
    )
    branch = models.ForeignKey(
        "banks.Branch",
        verbose_name="网点",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(
        "评分", validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField("评价", max_length=1000, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="评价人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("评价时间", auto_now_add=True)

    class Meta:
        verbose_name = "服务评价"
        verbose_name_plural = "服务评价"
        constraints = [
            models.CheckConstraint(
                name="rating_score_range", condition=Q(score__gte=1) & Q(score__lte=5)
            )
        ]

    def __str__(self) -> str:
        return f"{self.need} {self.score}分"
