"""Reads about financing needs: scoped lists, one case with its timeline, estimates, suggestions."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from banks.models import LoanProduct
from needs.deadlines import service_level_for
from needs.models import Assignment, Deadline, FinancingNeed, NeedEvent
from regions.codes import ZONE_RE
from regions.selectors import within_region_q
from workdays.calendar import WorkCalendar, shanghai_date
from workdays.selectors import work_calendar

if TYPE_CHECKING:
    from accounts.models import User

#: How many of a district's most recent decisions the estimate looks at.
ESTIMATE_SAMPLE = 200


def need_list(user: User) -> QuerySet[FinancingNeed]:
    """The needs ``user`` may see, with what a list row shows (a fixed number of queries)."""
    return FinancingNeed.objects.for_user(user).select_related(
        "enterprise", "assigned_branch__bank", "assigned_officer"
    )


#: What a row of the case list page shows, in the order of :func:`need_list_rows`' tuples.
LIST_ROW_FIELDS = (
    "pk",
    "enterprise__name",
    "amount_yuan",
    "term_months",
    "status",
    "created_at",
    "assigned_branch_id",
    "assigned_branch__name",
    "assigned_officer__display_name",
    "assigned_officer__username",
)


def need_list_rows(queryset: QuerySet[FinancingNeed]) -> QuerySet:
    """``queryset`` (scoped by :func:`need_list`) as tuples of :data:`LIST_ROW_FIELDS`: only the
    columns a list row shows, no model instances (the page's rows, one query)."""
    return queryset.values_list(*LIST_ROW_FIELDS)


def next_open_deadlines(need_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """Each need's next pending deadline of its open turn: ``need id -> (kind, due_at)``.

    Met and cancelled deadlines, and those of turns already ended, do not count. One query
    (none for no needs), shaped so that PostgreSQL has one sensible plan whatever its
    statistics say (the load test's database may have none) and however large the tables grow:
    the open turns are found in the unique index of open assignments by need, and all their
    deadlines (three at most each) are read, the met and cancelled ones dropped here, so the
    partial index of *all* active deadlines never looks like the way in.
    """
    if not need_ids:
        return {}
    open_turns = (
        Assignment.objects.filter(need_id__in=need_ids, outcome=Assignment.Outcome.OPEN)
        .order_by()
        .values("pk")
    )
    rows = (
        Deadline.objects.filter(need_id__in=need_ids, assignment__in=open_turns)
        .order_by("due_at", "id")
        .values_list("need_id", "kind", "due_at", "met_at", "cancelled_at")
    )
    first: dict[int, tuple[str, datetime]] = {}
    for need_id, kind, due_at, met_at, cancelled_at in rows:
        if met_at is None and cancelled_at is None and need_id not in first:
            first[need_id] = (kind, due_at)
    return first


def need_detail_queryset(user: User) -> QuerySet[FinancingNeed]:
    """The needs ``user`` may open, with the timeline, deadlines and files prefetched."""
    return (
        need_list(user)
        .select_related("enterprise__region", "assigned_team")
        .prefetch_related(
            Prefetch("events", queryset=NeedEvent.objects.select_related("actor")),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("branch__bank", "assigned_by"),
            ),
            Prefetch(
                "deadlines",
                queryset=Deadline.objects.filter(cancelled_at__isnull=True).select_related(
                    "assignment"
                ),
            ),
            "attachments",
        )
    )


def released_history(user: User) -> QuerySet[Assignment]:
    """The needs ``user``'s bank gave back (declined, or released at the firm's request).

    Once a bank lets a need go, the case leaves its workbench (``FinancingNeed.objects.for_user``
    answers 404: the firm's dealings with the next bank are not its business), but the bank keeps
    a read-only record of its own turn — what was asked, when, and why it declined — for its
    files and the district's monthly assessment. Scoped like the workbench: an officer its
    bank's, a manager its branch's.
    """
    from accounts.models import Role

    released = Assignment.objects.filter(
        outcome__in=[Assignment.Outcome.DECLINED, Assignment.Outcome.RELEASED]
    )
    if not (user.is_authenticated and user.is_active and user.is_bank_user and user.branch_id):
        return released.none()
    if user.role == Role.BANK_MANAGER:
        released = released.filter(branch_id=user.branch_id)
    else:
        released = released.filter(branch__bank__branches=user.branch_id)
    return released.select_related("need__enterprise", "branch").order_by("-ended_at", "-pk")


def district_code(code: str) -> str:
    """The district a region code belongs to: a zone's district, otherwise the code itself."""
    match = ZONE_RE.match(code)
    return match.group(1) if match else code


@dataclass(frozen=True)
class DecisionEstimate:
    """Working days from submission to decision: the district's median, or its deadline."""

    working_days: int
    sample_size: int
    estimated_by: datetime

    @property
    def from_history(self) -> bool:
        return self.sample_size > 0


def decision_estimate(
    need: FinancingNeed, *, calendar: WorkCalendar | None = None
) -> DecisionEstimate:
    """The median working days from submission to 授信 among the district's decided needs.

    Without history, the district's decision deadline plus its accept deadline is the default.
    """
    calendar = calendar or work_calendar()
    region = need.enterprise.region
    district = district_code(region.code)
    decided = (
        FinancingNeed.objects.filter(
            within_region_q(district, "enterprise__region__code"), decided_at__isnull=False
        )
        .order_by("-decided_at")
        .values_list("created_at", "decided_at")[:ESTIMATE_SAMPLE]
    )
    samples = [
        max(
            0,
            calendar.working_days_between(shanghai_date(created), shanghai_date(decided_at)),
        )
        for created, decided_at in decided
    ]
    if samples:
        days = max(1, round(statistics.median(samples)))
    else:
        level = service_level_for(region)
        days = level.accept_days + level.decision_days
    return DecisionEstimate(
        working_days=days,
        sample_size=len(samples),
        estimated_by=calendar.add_working_days(need.created_at, days),
    )


def matching_products(
    need: FinancingNeed, *, exclude_bank_ids: set[int] | None = None, limit: int = 6
) -> list[LoanProduct]:
    """Published loan products that suit the need: offered in the firm's region, accepting one of
    its guarantee methods, with room for its amount; other banks than those that declined."""
    codes = need.enterprise.region.ancestor_codes()
    queryset = (
        LoanProduct.objects.published()
        .filter(Q(regions_served__code__in=codes) | Q(regions_served__isnull=True))
        .filter(Q(max_amount_yuan__isnull=True) | Q(max_amount_yuan__gte=need.amount_yuan))
        .exclude(bank_id__in=exclude_bank_ids or set())
        .select_related("bank")
        .distinct()
        .order_by("bank__name", "name", "pk")
    )
    methods = set(need.guarantee_methods)
    matched = [p for p in queryset[:200] if methods.intersection(p.guarantee_methods or [])]
    return matched[:limit]
