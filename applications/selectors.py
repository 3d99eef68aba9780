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


def policy_closed_reason(policy: Policy, today: date) -> str:
    """Why a firm cannot apply for ``policy`` on ``today`` (a Chinese sentence), or ""."""
    if not policy.is_published:
        return "该政策尚未发布，不能申报。"
    if not policy.is_in_force(today):
        return "该政策不在有效期内，不能申报。"
    if policy.beneficiary != "enterprise":
        return f"该政策的支持对象为{policy.get_beneficiary_display()}，企业不能直接申报。"
    return ""


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
    granted = granted_in_year(enterprise, policy, as_of.year, exclude_pk=exclude_pk)
    existing = None
    if compiled_rule is not None and compiled_rule.one_time:
        existing = granted_once(enterprise, policy, exclude_pk=exclude_pk)
    return preview_from(
        enterprise=enterprise,
        policy=policy,
        rule=rule,
        compiled_rule=compiled_rule,
        facts=facts,
        as_of=as_of,
        granted_this_year=granted,
        granted_before=existing,
    )


def preview_from(
    *,
    enterprise: Enterprise,
    policy: Policy,
    rule: PolicyRule | None,
    compiled_rule: CompiledRule | None,
    facts: dict[str, Any] | None,
    as_of: date,
    granted_this_year: int,
    granted_before: PolicyApplication | None,
) -> Preview:
    """The preview from what the caller already read (no query): the rule, what the firm was
    granted under the policy this year, and its earlier grant of a one-time award if any.

    Bulk callers (免申即享 over every firm of a district) read those once for all firms."""
    merged = profile_facts(enterprise)
    for name, value in (facts or {}).items():
        if name not in ("uscc", "region_code", "beneficiary_kind"):
            merged[name] = value
    evaluation = None
    amount = None
    formula = ""
    blocked = ""
    remaining = None
    if compiled_rule is not None:
        evaluation = compiled_rule.evaluate(merged, as_of, policy.region.code)
        amount = evaluation.amount_yuan
        formula = evaluation.formula or ""
        if compiled_rule.one_time and granted_before is not None:
            blocked = one_time_message(granted_before)
        cap = compiled_rule.annual_cap_yuan
        if cap is not None:
            remaining = max(0, cap - granted_this_year)
            if remaining == 0 and not blocked:
                blocked = (
                    f"该政策每年每家企业最高{format_wan(cap)}，贵企业{as_of.year}年已获"
                    f"{format_wan(granted_this_year)}，本年度额度已用完。"
                )
            elif amount is not None and amount > remaining:
                formula = (
                    f"{formula}；本年度上限{format_wan(cap)}，已获{format_wan(granted_this_year)}，"
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
        granted_this_year=granted_this_year,
        remaining_yuan=remaining,
        blocked=blocked,
    )


def granted_by_firm_in_year(policy: Policy, year: int) -> dict[int, int]:
    """enterprise id → what it was granted under ``policy`` in ``year`` (one query)."""
    rows = (
        PolicyApplication.objects.filter(policy=policy, year=year, status__in=GRANTED_STATES)
        .values("enterprise_id")
        .annotate(total=Sum(Coalesce("paid_amount_yuan", "approved_amount_yuan")))
    )
    return {row["enterprise_id"]: int(row["total"] or 0) for row in rows}


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


def application_counts_key(policy_id: int) -> str:
    """The cache key of the token (``catalogue.cache.version_tokens``) that every application
    step replaces (``applications.services._event``): cached policy pages carry it in their key,
    so they are never served with stale counts."""
    from catalogue.cache import cache_database

    return f"applications:counts:{cache_database()}:{policy_id}"


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
