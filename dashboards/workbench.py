"""Reads of the bank side: an officer's queue and month, a branch manager's overview.

Every function runs a fixed number of queries whatever the number of cases.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from accounts.models import Role
from dashboards.clock import Epoch, WorkingClock
from dashboards.selectors import Filters, overdue_deadlines, rolled_up_hours
from needs.models import Assignment, Deadline, FinancingNeed, Urgency
from needs.paging import LazyCount, PeekPage, page_number
from needs.states import OPEN_STATES, Status
from workdays.calendar import WorkCalendar

if TYPE_CHECKING:
    from accounts.models import User

QUEUE_PAGE_SIZE = 50
QUEUE_SCOPES = {"": "我的案件和本网点待接单", "mine": "由我办理", "unclaimed": "本网点待接单"}


def _active_deadlines() -> QuerySet[Deadline]:
    return Deadline.objects.filter(
        met_at__isnull=True, cancelled_at__isnull=True, assignment__outcome=Assignment.Outcome.OPEN
    )


@dataclass(frozen=True)
class QueueFilters:
    scope: str = ""
    status: str = ""
    urgency: str = ""
    overdue: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilters:
        status = params.get("status", "")
        urgency = params.get("urgency", "")
        scope = params.get("scope", "")
        return cls(
            scope=scope if scope in QUEUE_SCOPES else "",
            status=status if status in OPEN_STATES else "",
            urgency=urgency if urgency in Urgency.values else "",
            overdue=params.get("overdue") == "1",
        )

    def querystring(self) -> str:
        pairs = [("scope", self.scope), ("status", self.status), ("urgency", self.urgency)]
        if self.overdue:
            pairs.append(("overdue", "1"))
        return "&".join(f"{key}={value}" for key, value in pairs if value)


def _desk(user: User, filters: QueueFilters) -> QuerySet[FinancingNeed]:
    """The open cases on ``user``'s desk after the filters, in no order.

    An officer: the cases they handle and their branch's cases nobody has accepted yet;
    a manager: every open case of the branch.
    """
    needs = FinancingNeed.objects.for_user(user).filter(status__in=sorted(OPEN_STATES))
    if user.role == Role.BANK_MANAGER:
        needs = needs.filter(assigned_branch_id=user.branch_id)
    else:
        mine = Q(assigned_officer_id=user.pk)
        unclaimed = Q(assigned_branch_id=user.branch_id, assigned_officer__isnull=True)
        chosen = {"mine": mine, "unclaimed": unclaimed}.get(filters.scope, mine | unclaimed)
        needs = needs.filter(chosen)
    if filters.status:
        needs = needs.filter(status=filters.status)
    if filters.urgency:
        needs = needs.filter(urgency=filters.urgency)
    return needs


def queue(user: User, filters: QueueFilters, now: datetime) -> QuerySet[FinancingNeed]:
    """The open cases on ``user``'s desk, nearest deadline first (cases without one last).

    The reference ordering, as one queryset: it works out every case's next deadline, which is
    slow on a desk of thousands; pages come from :func:`queue_page`, which gives the same rows.
    """
    needs = _desk(user, filters)
    active = _active_deadlines().filter(need_id=OuterRef("pk"))
    needs = needs.annotate(
        next_due=Subquery(active.order_by("due_at", "pk").values("due_at")[:1]),
    )
    if filters.overdue:
        needs = needs.filter(next_due__lt=now)
    return (
        needs.select_related("enterprise", "assigned_officer", "assigned_branch")
        .prefetch_related(
            Prefetch("deadlines", queryset=_active_deadlines(), to_attr="active_deadlines")
        )
        .order_by(F("next_due").asc(nulls_last=True), "created_at", "pk")
    )


def _next_deadlines(needs: QuerySet[FinancingNeed]) -> QuerySet[Deadline]:
    """Each case's next deadline (one row per case), nearest first, ties by submission.

    Driven from the deadlines side: the partial index on active deadlines (``due_at``, ``id``)
    is read in order and stops once the page is full, instead of working out the next
    deadline of every case on the desk. A case's active deadlines all belong to its one open
    bank turn, so "no earlier active deadline in the same turn" picks the next one (the lowest
    id among equal times, as the old per-case ordering did).
    """
    earlier = Deadline.objects.filter(
        assignment_id=OuterRef("assignment_id"),
        met_at__isnull=True,
        cancelled_at__isnull=True,
    ).filter(Q(due_at__lt=OuterRef("due_at")) | Q(due_at=OuterRef("due_at"), pk__lt=OuterRef("pk")))
    # Only the deadline's own columns: joining the list's columns in here makes the plan
    # costly enough for PostgreSQL to start parallel workers for a 51-row read.
    return (
        _active_deadlines()
        .filter(need__in=needs)
        .filter(~Exists(earlier))
        .only("pk", "need_id", "assignment_id", "kind", "due_at")
        .order_by("due_at", "need__created_at", "need_id")
    )


def _list_rows(needs: QuerySet[FinancingNeed]) -> QuerySet[FinancingNeed]:
    return needs.select_related("enterprise", "assigned_officer", "assigned_branch")


def queue_page(
    user: User,
    filters: QueueFilters,
    now: datetime,
    number: Any = 1,
    per_page: int = QUEUE_PAGE_SIZE,
) -> PeekPage:
    """Page ``number`` of :func:`queue` in two or three short queries whatever the desk's size.

    Cases with an active deadline come first, read from the deadlines side; the page is topped
    up with the cases without one (oldest first). Only a page entirely past the deadlines
    counts them, and then no further than its own offset. Each case carries
    ``next_deadline``; the total (``page.paginator.count``) is counted only if asked for.
    """
    number = page_number(number)
    offset = (number - 1) * per_page
    desk = _desk(user, filters)
    firsts = _next_deadlines(desk)
    if filters.overdue:
        firsts = firsts.filter(due_at__lt=now)
    deadlines = list(firsts[offset : offset + per_page + 1])
    rows: list[FinancingNeed] = []
    if deadlines:
        found = _list_rows(FinancingNeed.objects.all()).in_bulk([d.need_id for d in deadlines])
        for deadline in deadlines:
            need = found.get(deadline.need_id)
            if need is not None:  # deleted between the two reads
                need.next_deadline = deadline
                rows.append(need)
    if len(rows) <= per_page and not filters.overdue:
        # A page that starts past the cases with a deadline counts them, up to its offset.
        skip = 0 if rows or offset == 0 else offset - firsts[:offset].count()
        undated = (
            _list_rows(desk)
            .filter(~Exists(_active_deadlines().filter(need_id=OuterRef("pk"))))
            .order_by("created_at", "pk")
        )
        for need in undated[skip : skip + per_page + 1 - len(rows)]:
            need.next_deadline = None
            rows.append(need)
    return PeekPage(
        rows[:per_page],
        number=number,
        has_next=len(rows) > per_page,
        paginator=LazyCount(firsts.count if filters.overdue else desk.count, per_page),
    )


def hours_left(due_at: datetime | None, now: datetime, calendar: WorkCalendar) -> float | None:
    """Working hours from now to ``due_at``; negative once it has passed."""
    if due_at is None:
        return None
    if due_at >= now:
        return round(calendar.working_hours_between(now, due_at), 1)
    return -round(calendar.working_hours_between(due_at, now), 1)


def decorate(needs: list[FinancingNeed], now: datetime, calendar: WorkCalendar) -> None:
    """Give each queued case the working hours left to its next deadline (Chinese calendar)."""
    for need in needs:
        if not hasattr(need, "next_deadline"):  # a row of :func:`queue`
            need.next_deadline = need.active_deadlines[0] if need.active_deadlines else None
        deadline = need.next_deadline
        need.hours_left = hours_left(deadline.due_at if deadline else None, now, calendar)


def month_filters(today: date) -> Filters:
    return Filters.for_month(today.year, today.month)


def my_month(user: User, today: date, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
    """An officer's figures this month (two queries): what they accepted, contacted, approved,
    disbursed, and how fast they accepted (median working hours per bank turn)."""
    period = month_filters(today)
    start, end = period.start_at, period.end_before
    overdue = Exists(overdue_deadlines(now).filter(need_id=OuterRef("pk")))
    mine = FinancingNeed.objects.filter(assigned_officer_id=user.pk)
    decided = Q(decided_at__gte=start, decided_at__lt=end, approved_amount_yuan__isnull=False)
    paid = Q(disbursed_on__gte=period.start, disbursed_on__lte=period.end)
    figures = mine.order_by().aggregate(
        accepted=Count("pk", filter=Q(accepted_at__gte=start, accepted_at__lt=end)),
        contacted=Count("pk", filter=Q(first_contact_at__gte=start, first_contact_at__lt=end)),
        approved=Count("pk", filter=decided),
        approved_yuan=Coalesce(Sum("approved_amount_yuan", filter=decided), 0),
        disbursed=Count("pk", filter=paid),
        disbursed_yuan=Coalesce(Sum("disbursed_amount_yuan", filter=paid), 0),
        open=Count("pk", filter=Q(status__in=sorted(OPEN_STATES))),
        overdue=Count("pk", filter=Q(overdue) & Q(status__in=sorted(OPEN_STATES))),
    )
    rows = list(
        Deadline.objects.filter(
            need__assigned_officer_id=user.pk,
            kind=Deadline.Kind.ACCEPT,
            met_at__gte=start,
            met_at__lt=end,
        )
        .annotate(
            hours=rolled_up_hours(), started=Epoch("assignment__created_at"), met=Epoch("met_at")
        )
        .order_by()
        .values_list("hours", "started", "met")
    )
    # The roll-up's hours where it has caught up with the turn, counted here where not.
    clock = WorkingClock.spanning(calendar, [m for h, a, b in rows if h is None for m in (a, b)])
    samples = [
        hours if hours is not None else max(0.0, clock.hours_between(started, met))
        for hours, started, met in rows
    ]
    figures["median_accept_hours"] = round(statistics.median(samples), 1) if samples else None
    figures["month_label"] = f"{today.year}年{today.month}月"
    return figures


def my_month_cached(
    user: User, today: date, now: datetime, calendar: WorkCalendar
) -> dict[str, Any]:
    """:func:`my_month`, kept ``DASHBOARD_CACHE_SECONDS`` per officer and month like the
    dashboards' numbers (the queue above it is always read afresh)."""
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", 60)
    if seconds <= 0:
        return my_month(user, today, now, calendar)
    key = f"dashboards:my-month:v1:{user.pk}:{today:%Y-%m}"
    figures = cache.get(key)
    if figures is None:
        figures = my_month(user, today, now, calendar)
        cache.set(key, figures, seconds)
    return figures


def branch_officers(user: User) -> QuerySet:
    from accounts.models import User as UserModel

    return UserModel.objects.filter(
        branch_id=user.branch_id, role=Role.BANK_OFFICER, is_active=True
    ).order_by("username")


def by_officer(user: User, today: date, now: datetime) -> list[dict[str, Any]]:
    """The branch's cases per officer (two queries): open, overdue, approved and disbursed this
    month; officers with no case show zeros, cases nobody accepted show as 未分配."""
    period = month_filters(today)
    start, end = period.start_at, period.end_before
    overdue = Exists(overdue_deadlines(now).filter(need_id=OuterRef("pk")))
    decided = Q(decided_at__gte=start, decided_at__lt=end, approved_amount_yuan__isnull=False)
    paid = Q(disbursed_on__gte=period.start, disbursed_on__lte=period.end)
    is_open = Q(status__in=sorted(OPEN_STATES))
    rows = {
        row["assigned_officer_id"]: row
        for row in FinancingNeed.objects.filter(assigned_branch_id=user.branch_id)
        .order_by()
        .values("assigned_officer_id")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=is_open),
            waiting=Count("pk", filter=Q(status=Status.ASSIGNED)),
            overdue=Count("pk", filter=Q(overdue) & is_open),
            approved=Count("pk", filter=decided),
            approved_yuan=Coalesce(Sum("approved_amount_yuan", filter=decided), 0),
            disbursed=Count("pk", filter=paid),
            disbursed_yuan=Coalesce(Sum("disbursed_amount_yuan", filter=paid), 0),
        )
    }
    empty = dict.fromkeys(
        (
            "total",
            "open",
            "waiting",
            "overdue",
            "approved",
            "approved_yuan",
            "disbursed",
            "disbursed_yuan",
        ),
        0,
    )
    result = [
        {"officer_id": officer.pk, "officer": str(officer), **{**empty, **rows.pop(officer.pk, {})}}
        for officer in branch_officers(user)
    ]
    for officer_id, row in rows.items():  # a manager, a former officer, or nobody yet
        label = "未分配客户经理" if officer_id is None else f"其他人员（#{officer_id}）"
        result.append({"officer_id": officer_id, "officer": label, **{**empty, **row}})
    for row in result:
        row.pop("assigned_officer_id", None)
    return result
