"""The monthly bank assessment (考核): raw indicators per bank, min-max scores, the weighted sum.

For a region and a month, per bank (the bank holding or having held the region's cases):

- response_time: median working hours from a bank turn (派单) in the month to its acceptance;
- approval_rate (授信率) and disbursement_rate (资金到位率): over the cases submitted in the month
  that the bank holds, as on the dashboard;
- rating: the average firm rating (1–5) given in the month to the bank's branches;
- overdue: deadlines of the bank's turns falling due in the month that were missed (met late, or
  not met before they were cancelled or before now).

Each indicator is scored 0–100 by min-max over the banks (reversed where lower is better; all
banks equal → 100). A bank's total is Σ weight × score ÷ Σ weight over the indicators it has a
value for, so a bank without ratings is neither helped nor hurt by them. Five queries in all.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, F, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from banks.models import Bank
from dashboards.models import DEFAULT_WEIGHTS, INDICATORS, AssessmentScheme
from dashboards.selectors import Filters, rate
from needs.models import Deadline, FinancingNeed, NeedRating
from regions.models import Region
from regions.selectors import within_region_q
from workdays.calendar import WorkCalendar
from workdays.selectors import work_calendar


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None, default: Month) -> Month:
        try:
            year, month = (int(part) for part in (text or "").split("-"))
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return cls(year, month)
        except ValueError:
            pass
        return default

    @classmethod
    def previous(cls, today) -> Month:
        if today.month == 1:
            return cls(today.year - 1, 12)
        return cls(today.year, today.month - 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def filters(self) -> Filters:
        return Filters.for_month(self.year, self.month)


def weights_for(region: Region | None) -> dict[str, float]:
    if region is None:
        return dict(DEFAULT_WEIGHTS)
    scheme = AssessmentScheme.objects.filter(region=region).first()
    return dict(scheme.weights) if scheme else dict(DEFAULT_WEIGHTS)


def _region_q(region: Region | None, field: str) -> Q:
    return within_region_q(region.code, field) if region is not None else Q()


def score(values: dict[int, float | None], higher_is_better: bool) -> dict[int, float | None]:
    """Min-max scores 0–100 of the banks that have a value; None for those that have none."""
    present = [v for v in values.values() if v is not None]
    if not present:
        return dict.fromkeys(values)
    low, high = min(present), max(present)
    scores: dict[int, float | None] = {}
    for bank_id, value in values.items():
        if value is None:
            scores[bank_id] = None
        elif high == low:
            scores[bank_id] = 100.0
        elif higher_is_better:
            scores[bank_id] = round(100 * (value - low) / (high - low), 1)
        else:
            scores[bank_id] = round(100 * (high - value) / (high - low), 1)
    return scores


def bank_assessment(
    *,
    region: Region | None,
    month: Month,
    weights: dict[str, float] | None = None,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> dict[str, Any]:
    """The ranking of banks for ``region`` (None: everywhere) in ``month``, with its computation."""
    now = now or timezone.now()
    calendar = calendar or work_calendar()
    weights = weights or weights_for(region)
    period = month.filters
    start, end = period.start_at, period.end_before
    region_needs = FinancingNeed.objects.filter(_region_q(region, "enterprise__region__code"))

    raw: dict[str, dict[int, float | None]] = {key: {} for key in INDICATORS}
    banks: set[int] = set()

    held = (
        region_needs.filter(
            created_at__gte=start, created_at__lt=end, assigned_branch__isnull=False
        )
        .order_by()
        .values("assigned_branch__bank_id")
        .annotate(
            asked=Coalesce(Sum("amount_yuan"), 0),
            approved=Coalesce(Sum("approved_amount_yuan"), 0),
            disbursed=Coalesce(Sum("disbursed_amount_yuan"), 0),
        )
    )
    amounts: dict[int, dict[str, int]] = {}
    for row in held:
        bank_id = row["assigned_branch__bank_id"]
        banks.add(bank_id)
        amounts[bank_id] = {k: int(row[k]) for k in ("asked", "approved", "disbursed")}

    turns = Deadline.objects.filter(
        need__in=Subquery(region_needs.values("pk").order_by()),
        kind=Deadline.Kind.ACCEPT,
        assignment__created_at__gte=start,
        assignment__created_at__lt=end,
        assignment__branch__isnull=False,
    ).order_by()
    samples: dict[int, list[float]] = defaultdict(list)
    for bank_id, started, met in turns.values_list(
        "assignment__branch__bank_id", "assignment__created_at", "met_at"
    ):
        banks.add(bank_id)
        if met is not None:
            samples[bank_id].append(max(0.0, calendar.working_hours_between(started, met)))

    ratings = dict(
        NeedRating.objects.filter(
            need__in=Subquery(region_needs.values("pk").order_by()),
            created_at__gte=start,
            created_at__lt=end,
            branch__isnull=False,
        )
        .order_by()
        .values("branch__bank_id")
        .annotate(avg=Avg("score"))
        .values_list("branch__bank_id", "avg")
    )
    banks.update(ratings)

    missed = (
        Q(met_at__isnull=False, met_at__gt=F("due_at"))
        | Q(met_at__isnull=True, cancelled_at__isnull=True, due_at__lt=now)
        | Q(met_at__isnull=True, cancelled_at__isnull=False, cancelled_at__gt=F("due_at"))
    )
    overdue = dict(
        Deadline.objects.filter(
            need__in=Subquery(region_needs.values("pk").order_by()),
            due_at__gte=start,
            due_at__lt=end,
            assignment__branch__isnull=False,
        )
        .order_by()
        .values("assignment__branch__bank_id")
        .annotate(n=Count("pk", filter=missed))
        .values_list("assignment__branch__bank_id", "n")
    )
    banks.update(overdue)
    banks.discard(None)

    names = dict(Bank.objects.filter(pk__in=banks).values_list("pk", "name"))
    for bank_id in banks:
        money = amounts.get(bank_id)
        raw["response_time"][bank_id] = (
            round(statistics.median(samples[bank_id]), 1) if samples.get(bank_id) else None
        )
        raw["approval_rate"][bank_id] = rate(money["approved"], money["asked"]) if money else None
        raw["disbursement_rate"][bank_id] = (
            rate(money["disbursed"], money["approved"]) if money else None
        )
        avg = ratings.get(bank_id)
        raw["rating"][bank_id] = round(float(avg), 2) if avg is not None else None
        raw["overdue"][bank_id] = overdue.get(bank_id, 0)

    scores = {key: score(raw[key], better) for key, (_, better) in INDICATORS.items()}
    rows = []
    for bank_id in banks:
        used = {
            key: scores[key][bank_id]
            for key in INDICATORS
            if scores[key][bank_id] is not None and weights.get(key, 0) > 0
        }
        weight_sum = sum(weights[key] for key in used)
        total = (
            round(sum(weights[key] * value for key, value in used.items()) / weight_sum, 2)
            if weight_sum
            else 0.0
        )
        formula = " + ".join(f"{weights[key]:g}×{value:g}" for key, value in used.items())
        rows.append(
            {
                "bank_id": bank_id,
                "bank": names.get(bank_id, ""),
                "raw": {key: raw[key][bank_id] for key in INDICATORS},
                "scores": {key: scores[key][bank_id] for key in INDICATORS},
                "weight_sum": weight_sum,
                "total": total,
                "formula": f"({formula}) ÷ {weight_sum:g} = {total:g}" if used else "无数据",
            }
        )
    rows.sort(key=lambda row: (-row["total"], row["bank"]))
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
    return {
        "region": region.code if region else "",
        "region_name": region.name if region else "全部地区",
        "month": month.key,
        "month_label": month.label,
        "weights": weights,
        "indicators": [
            {"key": key, "label": label, "higher_is_better": better, "weight": weights.get(key, 0)}
            for key, (label, better) in INDICATORS.items()
        ],
        "rows": rows,
    }
