"""Stored eligibility: the background matching results, and calculations firms save."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

if TYPE_CHECKING:
    from accounts.models import User


class EligibilityResultQuerySet(models.QuerySet["EligibilityResult"]):
    def for_user(self, user: User) -> EligibilityResultQuerySet:
        """A firm member sees its own firm's results; staff and admins those of firms they see."""
        from enterprises.models import Enterprise

        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(enterprise__in=Enterprise.objects.for_user(user))


class EligibilityResult(models.Model):
    """The latest background evaluation of one policy for one firm (its profile facts).

    Only the policies the firm qualifies for are kept (``eligible`` True, with the amount or the
    maximum); a result undecided for want of a fact, or a plain "no", has no row, and a firm that
    stops qualifying loses its row (``eligible`` stays nullable for rows written before).
    ``evaluated_at`` is when the result was last computed as it stands: a re-match that finds it
    unchanged leaves the row alone.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="eligibility_results",
    )
    policy = models.ForeignKey(
        "policies.Policy",
        verbose_name="政策",
        on_delete=models.CASCADE,
        related_name="eligibility_results",
    )
    rule_version = models.ForeignKey(
        "policies.PolicyRule",
        verbose_name="条款版本",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    eligible = models.BooleanField("是否符合", null=True)
    amount_yuan = models.BigIntegerField("测算金额（元）", null=True, blank=True)
    max_amount_yuan = models.BigIntegerField("最高金额（元）", null=True, blank=True)
    evaluated_at = models.DateTimeField("测算时间")

    objects = EligibilityResultQuerySet.as_manager()

    class Meta:
        verbose_name = "政策匹配结果"
        verbose_name_plural = "政策匹配结果"
        ordering = ["enterprise", "-eligible", "-amount_yuan", "policy"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "policy"], name="uniq_eligibility_result")
        ]
        indexes = [models.Index(fields=["policy", "eligible"], name="elig_result_policy")]

    def __str__(self) -> str:
        return f"{self.enterprise_id}·{self.policy_id}: {self.eligible}"


class SavedCalculationQuerySet(models.QuerySet["SavedCalculation"]):
    def for_user(self, user: User) -> SavedCalculationQuerySet:
        """A firm member sees its own firm's saved calculations; nobody else's."""
        if not user.is_authenticated or not user.is_active or not user.enterprise_id:
            return self.none()
        return self.filter(enterprise_id=user.enterprise_id)


class SavedCalculation(models.Model):
    """A calculator result a firm chose to keep: the facts it answered and what they gave."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="saved_calculations",
    )
    created_by = models.ForeignKey(
        "accounts.User", verbose_name="保存人", on_delete=models.PROTECT, related_name="+"
    )
    as_of = models.DateField("测算日期")
    facts = models.JSONField("填报事实", default=dict, encoder=DjangoJSONEncoder)
    results = models.JSONField("测算结果", default=list, encoder=DjangoJSONEncoder)
    eligible_count = models.PositiveIntegerField("符合政策数", default=0)
    total_amount_yuan = models.BigIntegerField("可测算金额合计（元）", default=0)
    created_at = models.DateTimeField("保存时间", auto_now_add=True)

    objects = SavedCalculationQuerySet.as_manager()

    class Meta:
        verbose_name = "保存的测算结果"
        verbose_name_plural = "保存的测算结果"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.as_of}"
