"""Reads about policy applications: scoped lists, one case, staff queues, caps, public counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.facts import compiled, profile_facts, rule_in_force
from applications.models import ApplicationEvent, PolicyApplication
from applications.states import GRANTED_STATES, Status
from eligibility.engine import CompiledRule, Evaluation, format_wan

if TYPE_CHECKING:
    from accounts.models import User
    from enterprises.models import Enterprise
    from policies.models import Policy, PolicyRule


def application_list(user: User) -> QuerySet[PolicyApplication]:
    """The applications ``user`` may see, with what a list row shows (one query per page)."""
    return PolicyApplication.objects.for_user(user).select_related("enterprise", "policy__region")


def application_detail_queryset(user: User) -> QuerySet[PolicyApplication]:
    """The applications ``user`` may open, with the timeline and files prefetched."""
    return application_list(user).prefetch_related(
        Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
        "files",
    )


def granted_in_year(
    enterprise: Enterprise, policy: Policy, year: int, *, exclude_pk: int | None = None
) -> int:
    """What ``enterprise`` was granted under ``policy`` in ``year`` (payouts, else approvals)."""
    queryset = PolicyApplication.objects.filter(
        enterprise=enterprise, policy=policy, year=year, status__in=GRANTED_STATES
    )
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    total = queryset.aggregate(total=Sum(Coalesce("paid_amount_yuan", "approved_amount_yuan")))[
        "total"
    ]
    return int(total or 0)


def granted_once(
    enterprise: Enterprise, policy: Policy, *, exclude_pk: int | None = None
) -> PolicyApplication | None:
    """An application of ``enterprise`` under ``policy`` that was granted (any year)."""
    queryset = PolicyApplication.objects.filter(
        enterprise=enterprise, policy=policy, status__in=GRANTED_STATES
    )
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.order_by("pk").first()


@dataclass
class Preview:
    """What an application for ``policy`` would give ``enterprise`` with ``facts`` today."""

    rule: PolicyRule | None
    compiled: CompiledRule | None
    facts: dict[str, Any]
    evaluation: Evaluation | None
    amount_yuan: int | None
    formula: str
    granted_this_year: int
    remaining_yuan: int | None
    blocked: str  # a Chinese sentence when the firm may not apply at all, else ""


def one_time_message(existing: PolicyApplication) -> str:
    return (
        f"该政策为一次性奖补，贵企业已于申报 #{existing.pk} 获批"
        f"（{existing.get_status_display()}），同一企业不能重复享受。"
    )


def application_preview(
    *,
    enterprise: Enterprise,
    policy: Policy,
    facts: dict[str, Any] | None = None,
    as_of: date | None = None,
    exclude_pk: int | None = None,
) -> Preview:
    """Evaluate the policy's rule in force on ``as_of`` on the firm's profile (plus ``facts``),
    applying the one-time and yearly-cap limits of what was already granted."""
    as_of = as_of or timezone.localdate()
    rule = rule_in_force(policy, as_of)
    compiled_rule = compiled(rule)
    merged = profile_facts(enterprise)
    for name, value in (facts or {}).items():
        if name not in ("uscc", "region_code", "beneficiary_kind"):
            merged[name] = value
    evaluation = None
    amount = None
    formula = ""
    blocked = ""
    granted = granted_in_year(enterprise, policy, as_of.year, exclude_pk=exclude_pk)
    remaining = None
    if compiled_rule is not None:
        evaluation = compiled_rule.evaluate(merged, as_of, policy.region.code)
        amount = evaluation.amount_yuan
        formula = evaluation.formula or ""
        if compiled_rule.one_time:
            existing = granted_once(enterprise, policy, exclude_pk=exclude_pk)
            if existing is not None:
                blocked = one_time_message(existing)
        cap = compiled_rule.annual_cap_yuan
        if cap is not None:
            remaining = max(0, cap - granted)
            if remaining == 0 and not blocked:
                blocked = (
                    f"该政策每年每家企业最高{format_wan(cap)}，贵企业{as_of.year}年已获"
                    f"{format_wan(granted)}，本年度额度已用完。"
                )
            elif amount is not None and amount > remaining:
                formula = (
                    f"{formula}；本年度上限{format_wan(cap)}，已获{format_wan(granted)}，"
                    f"按剩余额度{format_wan(remaining)}计"
                )
                amount = remaining
    return Preview(
        rule=rule,
        compiled=compiled_rule,
        facts=merged,
        evaluation=evaluation,
        amount_yuan=amount,
        formula=formula,
        granted_this_year=granted,
        remaining_yuan=remaining,
        blocked=blocked,
    )


def staff_queue(user: User) -> list[dict[str, Any]]:
    """Per policy the user reviews: counts by state and the nearest deadlines (one query)."""
    rows = (
        PolicyApplication.objects.for_user(user)
        .exclude(status=Status.DRAFT)
        .values("policy_id", "policy__title", "policy__region__name")
        .annotate(
            submitted=Count("pk", filter=Q(status=Status.SUBMITTED)),
            under_review=Count("pk", filter=Q(status=Status.UNDER_REVIEW)),
            returned=Count("pk", filter=Q(status=Status.RETURNED)),
            approved=Count("pk", filter=Q(status=Status.APPROVED)),
            publicity=Count("pk", filter=Q(status=Status.PUBLICITY)),
            paid=Count("pk", filter=Q(status=Status.PAID)),
            total=Count("pk"),
            next_review_due=Min(
                "review_due_on", filter=Q(status__in=[Status.SUBMITTED, Status.UNDER_REVIEW])
            ),
            next_publicity_end=Min("publicity_ends_on", filter=Q(status=Status.PUBLICITY)),
        )
        .order_by("next_review_due", "policy_id")
    )
    return list(rows)


def application_counts(policy: Policy) -> dict[str, int]:
    """Public figures of a policy: how many firms applied and how many were paid (no names)."""
    result = PolicyApplication.objects.filter(policy=policy, submitted_at__isnull=False).aggregate(
        applied=Count("enterprise", distinct=True),
        paid=Count("enterprise", distinct=True, filter=Q(status=Status.PAID)),
        paid_yuan=Sum("paid_amount_yuan", filter=Q(status=Status.PAID)),
    )
    return {
        "applied": result["applied"] or 0,
        "paid": result["paid"] or 0,
        "paid_yuan": int(result["paid_yuan"] or 0),
    }
