"""Reads behind the dashboards and the stats API: grouped SQL aggregates, a fixed number of queries
whatever the number of cases.

Definitions (the same on the page, in the export and in ``/api/v1/stats/``):

- a case counts in the period when it was submitted in it (``created_at``, Asia/Shanghai days);
- 授信率 = Σ授信金额 ÷ Σ需求金额 of the cases (a case never approved adds its ask and nothing
  approved); 资金到位率 = Σ放款金额 ÷ Σ授信金额; rates are percentages rounded to 0.1;
- "by bank" is the bank holding the case now (a case declined and rerouted counts under the bank
  it went to; the declining bank's refusal shows under 退回原因);
- working hours to acceptance / first contact are counted per bank turn (派单记录), from the
  assignment to the moment its accept / first-contact deadline was met, in working hours
  (``WorkCalendar.working_hours_between``), and reported as medians;
- a case is overdue when one of its current bank's deadlines has passed unmet.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accounts.models import Role
from banks.models import Bank, LoanProduct
from dashboards.clock import DAY, OFFSET, Epoch, WorkingClock
from dashboards.models import Bulletin, CatalogueView, TurnHours
from dashboards.scoping import ensure_dashboard, is_district, region_q, scoped_needs
from enterprises.models import SizeClass
from needs.models import Assignment, Deadline, DeclineReason, FinancingNeed
from needs.states import OPEN_STATES, Status
from policies.models import Policy
from regions.codes import ancestors
from regions.models import IndustryChain
from regions.selectors import within_region_q
from workdays.calendar import WorkCalendar
from workdays.selectors import work_calendar

if TYPE_CHECKING:
    from accounts.models import User

#: Rows of the lists that could grow with the data (overdue cases, top items).
OVERDUE_LIMIT = 50
TOP_LIMIT = 10
APPLICATIONS_LIMIT = 30
NONE_LABEL = {"bank": "未派单", "chain": "未归入产业链", "size": "未划型", "month": ""}


def rate(numerator: int, denominator: int) -> float | None:
    """A percentage rounded to 0.1, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(numerator * 100 / denominator, 1)


def median_hours(samples: list[float]) -> float | None:
    return round(statistics.median(samples), 1) if samples else None


def month_key(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    return f"{moment.year:04d}-{moment.month:02d}"


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters: the period (inclusive days) and optional chain, bank, firm size,
    and a region inside the viewer's own (checked by :func:`dashboards.scoping.check_region`)."""

    start: date
    end: date
    chain_id: int | None = None
    bank_id: int | None = None
    size_class: str = ""
    region: str = ""

    @classmethod
    def default_period(cls, today: date) -> tuple[date, date]:
        """The current month and the eleven before it."""
        year, month = today.year, today.month - 11
        if month <= 0:
            year, month = year - 1, month + 12
        return date(year, month, 1), today

    @classmethod
    def from_params(cls, params: Mapping[str, str], today: date | None = None) -> Filters:
        """Read the filters from a query string; a malformed value falls back to its default."""
        today = today or timezone.localdate()
        start, end = cls.default_period(today)
        start = _date(params.get("start")) or start
        end = _date(params.get("end")) or end
        if end < start:
            start, end = end, start
        size = params.get("size", "")
        return cls(
            start=start,
            end=end,
            chain_id=_int(params.get("chain")),
            bank_id=_int(params.get("bank")),
            size_class=size if size in SizeClass.values or size == "none" else "",
            # A GB/T 2260 code is digits; anything else (a NUL byte, which PostgreSQL refuses
            # in a string) is no filter at all.
            region=_region_code(params.get("region")),
        )

    @classmethod
    def for_month(cls, year: int, month: int) -> Filters:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(start=first, end=following - timedelta(days=1))

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_before(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def as_params(self) -> dict[str, str]:
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.chain_id:
            params["chain"] = str(self.chain_id)
        if self.bank_id:
            params["bank"] = str(self.bank_id)
        if self.size_class:
            params["size"] = self.size_class
        if self.region:
            params["region"] = self.region
        return params


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _region_code(value: str | None) -> str:
    code = (value or "").strip()
    return code if code.isascii() and code.isdigit() and len(code) <= 12 else ""


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    # Ids are 64-bit; a larger number names nothing (and SQLite would overflow on it).
    return number if number and 0 < number < 2**63 else None


def _firm_filters(filters: Filters, prefix: str) -> Q:
    q = within_region_q(filters.region, f"{prefix}region__code") if filters.region else Q()
    if filters.chain_id:
        q &= Q(**{f"{prefix}industry_chain_id": filters.chain_id})
    if filters.size_class == "none":
        q &= Q(**{f"{prefix}size_class": ""})
    elif filters.size_class:
        q &= Q(**{f"{prefix}size_class": filters.size_class})
    return q


def base_needs(user: User, filters: Filters) -> QuerySet[FinancingNeed]:
    """The user's cases submitted in the period, of the chosen chain and firm size (any bank)."""
    return scoped_needs(user).filter(
        _firm_filters(filters, "enterprise__"),
        created_at__gte=filters.start_at,
        created_at__lt=filters.end_before,
    )


def filtered_needs(user: User, filters: Filters) -> QuerySet[FinancingNeed]:
    """:func:`base_needs` held by the chosen bank, if one is chosen."""
    needs = base_needs(user, filters)
    if filters.bank_id:
        needs = needs.filter(assigned_branch__bank_id=filters.bank_id)
    return needs


def overdue_deadlines(now: datetime) -> QuerySet[Deadline]:
    return Deadline.objects.filter(
        met_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__lt=now,
        assignment__outcome=Assignment.Outcome.OPEN,
    )


def _measures(now: datetime) -> dict[str, Any]:
    overdue = Exists(overdue_deadlines(now).filter(need_id=OuterRef("pk")))
    return {
        "count": Count("pk"),
        "open": Count("pk", filter=Q(status__in=sorted(OPEN_STATES))),
        "asked_yuan": Coalesce(Sum("amount_yuan"), 0),
        "approved_count": Count("pk", filter=Q(approved_amount_yuan__isnull=False)),
        "approved_yuan": Coalesce(Sum("approved_amount_yuan"), 0),
        "disbursed_count": Count("pk", filter=Q(disbursed_amount_yuan__isnull=False)),
        "disbursed_yuan": Coalesce(Sum("disbursed_amount_yuan"), 0),
        "overdue": Count("pk", filter=Q(overdue)),
    }


MEASURE_KEYS = (
    "count",
    "open",
    "asked_yuan",
    "approved_count",
    "approved_yuan",
    "disbursed_count",
    "disbursed_yuan",
    "overdue",
)


def _row(values: Mapping[str, Any]) -> dict[str, Any]:
    row = {key: int(values.get(key) or 0) for key in MEASURE_KEYS}
    row["approval_rate"] = rate(row["approved_yuan"], row["asked_yuan"])
    row["disbursement_rate"] = rate(row["disbursed_yuan"], row["approved_yuan"])
    return row


#: dimension -> (values() fields: key, label)
DIMENSIONS: dict[str, tuple[str, str | None]] = {
    "bank": ("assigned_branch__bank_id", "assigned_branch__bank__name"),
    "chain": ("enterprise__industry_chain_id", "enterprise__industry_chain__name"),
    "size": ("enterprise__size_class", None),
    "month": ("month", None),
}
DIMENSION_LABELS = {"bank": "银行", "chain": "产业链", "size": "企业规模", "month": "月份"}


def cube(needs: QuerySet[FinancingNeed], now: datetime) -> list[dict[str, Any]]:
    """The measures of ``needs`` grouped by bank, chain, firm size, month and status at once.

    One scan of the cases (one query) instead of one per view: every count and sum is additive,
    so the totals and each "by …" table are roll-ups of these rows (:func:`rollup`).
    """
    fields = ["status"]
    for key_field, label_field in DIMENSIONS.values():
        fields += [key_field] + ([label_field] if label_field else [])
    return list(
        needs.annotate(month=TruncMonth("created_at"))
        .order_by()
        .values(*fields)
        .annotate(**_measures(now))
        .order_by()
    )


def _sum(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    total = dict.fromkeys(MEASURE_KEYS, 0)
    for values in rows:
        for key in MEASURE_KEYS:
            total[key] += int(values[key] or 0)
    return total


def rollup(rows: list[dict[str, Any]], dimension: str) -> list[dict]:
    """The cube's rows added up by ``dimension`` (bank, chain, size or month)."""
    key_field, label_field = DIMENSIONS[dimension]
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    labels: dict[Any, str | None] = {}
    for values in rows:
        key = values[key_field]
        if dimension == "month":
            key = month_key(key)
        groups[key].append(values)
        labels[key] = values[label_field] if label_field else None
    sizes = dict(SizeClass.choices)
    result = []
    for key, members in groups.items():
        if dimension == "month":
            label = key
        elif dimension == "size":
            label = sizes.get(key, "") or NONE_LABEL["size"]
            key = key or "none"
        else:
            label = labels[key] or NONE_LABEL[dimension]
        result.append({"key": key, "label": label, **_row(_sum(members))})
    if dimension == "size":
        order = [*SizeClass.values, "none"]
        result.sort(key=lambda row: order.index(row["key"]) if row["key"] in order else 99)
    elif dimension in ("bank", "chain"):
        result.sort(key=lambda row: (row["key"] is None, -row["count"], row["label"]))
    else:
        result.sort(key=lambda row: row["key"])
    return result


@dataclass
class _Samples:
    accept: dict[tuple[str, Any], list[float]] = field(default_factory=lambda: defaultdict(list))
    contact: dict[tuple[str, Any], list[float]] = field(default_factory=lambda: defaultdict(list))


def rolled_up_hours() -> Case:
    """A deadline's working hours from the turn roll-up (:class:`TurnHours`), or NULL when the
    roll-up is missing or was counted from other moments than the turn's and deadline's now."""
    same_start = Q(assignment__hours__started_at=F("assignment__created_at"))
    return Case(
        When(
            same_start,
            kind=Deadline.Kind.ACCEPT,
            assignment__hours__accept_met_at=F("met_at"),
            then=F("assignment__hours__accept_hours"),
        ),
        When(
            same_start,
            kind=Deadline.Kind.CONTACT,
            assignment__hours__contact_met_at=F("met_at"),
            then=F("assignment__hours__contact_hours"),
        ),
        default=Value(None),
        output_field=FloatField(),
    )


def _met_deadlines(user: User, filters: Filters) -> QuerySet[Deadline]:
    """The met accept and contact deadlines of the bank turns behind the dashboard's medians."""
    rows = Deadline.objects.filter(
        need__in=Subquery(base_needs(user, filters).values("pk").order_by()),
        kind__in=[Deadline.Kind.ACCEPT, Deadline.Kind.CONTACT],
        met_at__isnull=False,
        assignment__branch__isnull=False,
    )
    if filters.bank_id:
        rows = rows.filter(assignment__branch__bank_id=filters.bank_id)
    return rows


class ShanghaiMonth(Func):
    """YYYY-MM of a datetime column in Asia/Shanghai (PostgreSQL)."""

    output_field = CharField()
    arity = 1
    template = "to_char(%(expressions)s AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"


#: GROUPING(bank, chain, size, month) of each grouping set -> the dimension it is.
_GROUPING = {15: "all", 7: "bank", 11: "chain", 13: "size", 14: "month"}


def _medians_in_database(rows: QuerySet[Deadline]) -> dict[str, dict] | None:
    """On PostgreSQL, every median at once from the roll-up (one query, a few dozen rows back
    instead of one per sample); None when some sample has no current roll-up (the caller then
    counts in Python)."""
    inner = (
        rows.annotate(
            hours=rolled_up_hours(),
            bank=F("assignment__branch__bank_id"),
            chain=F("need__enterprise__industry_chain_id"),
            size=F("need__enterprise__size_class"),
            month=ShanghaiMonth("need__created_at"),
        )
        .order_by()
        .values("kind", "hours", "bank", "chain", "size", "month")
    )
    # The inner SQL is Django's own compilation with every value left as a parameter; only the
    # GROUPING SETS around it (which the ORM cannot express) are written here.
    sql, params = inner.query.sql_with_params()
    head = (
        "SELECT kind, bank, chain, size, month, GROUPING(bank, chain, size, month), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY hours), COUNT(*) - COUNT(hours) FROM ("
    )
    tail = (
        ") AS samples GROUP BY GROUPING SETS "
        "((kind), (kind, bank), (kind, chain), (kind, size), (kind, month))"
    )
    query = head + sql + tail
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        result = cursor.fetchall()
    if any(row[7] for row in result):
        return None
    found: dict[str, dict] = {Deadline.Kind.ACCEPT: {}, Deadline.Kind.CONTACT: {}}
    for kind, bank, chain, size, month, grouping, median, _ in result:
        dimension = _GROUPING[grouping]
        key = {"all": None, "bank": bank, "chain": chain, "size": size or "none", "month": month}
        found[kind][(dimension, key[dimension])] = round(median, 1)
    return {"accept": found[Deadline.Kind.ACCEPT], "contact": found[Deadline.Kind.CONTACT]}


def response_medians(
    user: User, filters: Filters, calendar: WorkCalendar
) -> dict[str, dict[tuple[str, Any], float | None]]:
    """Median working hours to acceptance and to first contact, keyed like
    :func:`response_samples`. PostgreSQL takes them from the roll-up when it is current (the
    usual case: the beat task keeps it so); otherwise they are counted from the samples."""
    if connection.vendor == "postgresql":
        found = _medians_in_database(_met_deadlines(user, filters))
        if found is not None:
            return found
    samples = response_samples(user, filters, calendar)
    return {
        kind: {key: median_hours(values) for key, values in groups.items()}
        for kind, groups in samples.items()
    }


def response_samples(
    user: User, filters: Filters, calendar: WorkCalendar
) -> dict[str, dict[tuple[str, Any], list[float]]]:
    """Working hours from each bank turn to acceptance and to first contact (one query).

    Keys are ``("all", None)`` and ``(dimension, key)``; the bank is the turn's bank. The hours
    come from the roll-up (:class:`~dashboards.models.TurnHours`); a turn it has not caught up
    with yet is counted here by :class:`~dashboards.clock.WorkingClock` (the calendar's
    definition on epoch seconds), so the medians always equal those counted from the cases.
    """
    rows = _met_deadlines(user, filters)
    rows = list(
        rows.annotate(
            hours=rolled_up_hours(),
            started=Epoch("assignment__created_at"),
            met=Epoch("met_at"),
            submitted=Epoch("need__created_at"),
        )
        .values_list(
            "kind",
            "hours",
            "started",
            "met",
            "assignment__branch__bank_id",
            "need__enterprise__industry_chain_id",
            "submitted",
            "need__enterprise__size_class",
        )
        .order_by()
    )
    stale = [m for row in rows if row[1] is None for m in (row[2], row[3])]
    clock = WorkingClock.spanning(calendar, stale)
    months: dict[int, str] = {}
    found = _Samples()
    accept_kind = Deadline.Kind.ACCEPT
    for kind, hours, started, met, bank_id, chain_id, submitted, size in rows:
        if hours is None:
            hours = max(0.0, clock.hours_between(started, met))
        bucket = found.accept if kind == accept_kind else found.contact
        day = int((submitted + OFFSET) // DAY)
        month = months.get(day)
        if month is None:
            month = months[day] = WorkingClock.month_key(submitted)
        bucket[("all", None)].append(hours)
        bucket[("bank", bank_id)].append(hours)
        bucket[("chain", chain_id)].append(hours)
        bucket[("size", size or "none")].append(hours)
        bucket[("month", month)].append(hours)
    return {"accept": found.accept, "contact": found.contact}


def stale_turns(
    *, assignment_ids: list[int] | None = None, after_id: int = 0, limit: int = 2000
) -> list[dict[str, Any]]:
    """Bank turns with a met accept or contact deadline whose roll-up (:class:`TurnHours`) is
    missing or was counted from other moments, in id order after ``after_id`` (one query)."""
    met = Deadline.objects.filter(assignment_id=OuterRef("pk"), met_at__isnull=False)
    never = Value(datetime(1970, 1, 1, tzinfo=UTC))
    fresh = (
        TurnHours.objects.filter(assignment_id=OuterRef("pk"), started_at=OuterRef("created_at"))
        .alias(accept=Coalesce("accept_met_at", never), contact=Coalesce("contact_met_at", never))
        .filter(
            accept=Coalesce(OuterRef("accept_met"), never),
            contact=Coalesce(OuterRef("contact_met"), never),
        )
    )
    turns = Assignment.objects.filter(pk__gt=after_id)
    if assignment_ids is not None:
        turns = turns.filter(pk__in=assignment_ids)
    return list(
        turns.annotate(
            accept_met=Subquery(met.filter(kind=Deadline.Kind.ACCEPT).values("met_at")[:1]),
            contact_met=Subquery(met.filter(kind=Deadline.Kind.CONTACT).values("met_at")[:1]),
        )
        .filter(Q(accept_met__isnull=False) | Q(contact_met__isnull=False))
        .filter(~Exists(fresh))
        .order_by("pk")
        .values(
            assignment_id=F("pk"),
            started_at=F("created_at"),
            accept_met_at=F("accept_met"),
            contact_met_at=F("contact_met"),
        )[:limit]
    )


def _declines(user: User, filters: Filters) -> list[dict]:
    rows = Assignment.objects.filter(
        need__in=Subquery(base_needs(user, filters).values("pk").order_by()),
        outcome=Assignment.Outcome.DECLINED,
    )
    if filters.bank_id:
        rows = rows.filter(branch__bank_id=filters.bank_id)
    counts = dict(
        rows.order_by()
        .values("decline_reason")
        .annotate(n=Count("pk"))
        .values_list("decline_reason", "n")
    )
    labels = dict(DeclineReason.choices)
    result = [
        {"reason": reason, "label": label, "count": counts.pop(reason, 0)}
        for reason, label in labels.items()
    ]
    for reason, n in counts.items():  # a reason no longer offered
        result.append(
            {"reason": reason, "label": labels.get(reason, reason or "未注明"), "count": n}
        )
    return [row for row in result if row["count"]]


def overdue_cases(
    needs: QuerySet[FinancingNeed], now: datetime, calendar: WorkCalendar
) -> list[dict]:
    """The oldest overdue deadlines of ``needs`` (at most OVERDUE_LIMIT), with hours overdue."""
    rows = (
        overdue_deadlines(now)
        .filter(need__in=Subquery(needs.values("pk").order_by()))
        .select_related("need__enterprise", "need__assigned_officer", "assignment__branch__bank")
        .order_by("due_at", "pk")[:OVERDUE_LIMIT]
    )
    return [
        {
            "need_id": d.need_id,
            "enterprise": d.need.enterprise.name,
            "bank": d.assignment.branch.bank.name if d.assignment.branch else "",
            "branch": d.assignment.branch.name if d.assignment.branch else "",
            "officer": str(d.need.assigned_officer) if d.need.assigned_officer else "",
            "kind": d.kind,
            "kind_label": d.get_kind_display(),
            "due_at": timezone.localtime(d.due_at).strftime("%Y-%m-%d %H:%M"),
            "working_hours_overdue": round(calendar.working_hours_between(d.due_at, now), 1),
        }
        for d in rows
    ]


def _applications(user: User, filters: Filters) -> list[dict]:
    """Applications and payouts by policy (district view only), drafts left out."""
    from applications.models import PolicyApplication
    from applications.states import GRANTED_STATES
    from applications.states import Status as AppStatus

    granted = Q(status__in=sorted(GRANTED_STATES))
    rows = (
        PolicyApplication.objects.for_user(user)
        .exclude(status=AppStatus.DRAFT)
        .filter(
            _firm_filters(filters, "enterprise__"),
            created_at__gte=filters.start_at,
            created_at__lt=filters.end_before,
        )
        .order_by()
        .values("policy_id", "policy__title")
        .annotate(
            count=Count("pk"),
            granted=Count("pk", filter=granted),
            approved_yuan=Coalesce(Sum("approved_amount_yuan", filter=granted), 0),
            paid=Count("pk", filter=Q(status=AppStatus.PAID)),
            paid_yuan=Coalesce(Sum("paid_amount_yuan", filter=Q(status=AppStatus.PAID)), 0),
        )
        .order_by("-count", "policy_id")[:APPLICATIONS_LIMIT]
    )
    return [
        {
            "policy_id": row["policy_id"],
            "title": row["policy__title"],
            "count": row["count"],
            "granted": row["granted"],
            "approved_yuan": int(row["approved_yuan"]),
            "paid": row["paid"],
            "paid_yuan": int(row["paid_yuan"]),
        }
        for row in rows
    ]


def _catalogue_q(user: User, filters: Filters) -> Q:
    """Catalogue items that apply to the chosen region (those above it and within it)."""
    code = filters.region or (user.region.code if user.is_district_staff and user.region_id else "")
    if code:
        return Q(region__code__in=ancestors(code)) | within_region_q(code, "region__code")
    return Q()


def _most_viewed(user: User, filters: Filters) -> list[dict]:
    result = []
    for kind, model, title_field in (
        (CatalogueView.Kind.POLICY, Policy, "title"),
        (CatalogueView.Kind.PRODUCT, LoanProduct, "name"),
    ):
        items = model.objects.filter(_catalogue_q(user, filters))
        title = model.objects.filter(pk=OuterRef("object_id")).values(title_field)[:1]
        rows = (
            CatalogueView.objects.filter(
                kind=kind,
                day__gte=filters.start,
                day__lte=filters.end,
                object_id__in=Subquery(items.values("pk").order_by()),
            )
            .order_by()
            .values("object_id")
            .annotate(views=Sum("count"), title=Subquery(title))
            .order_by("-views", "object_id")[:TOP_LIMIT]
        )
        result.extend(
            {
                "kind": kind,
                "kind_label": CatalogueView.Kind(kind).label,
                "id": row["object_id"],
                "title": row["title"] or "",
                "views": int(row["views"]),
            }
            for row in rows
        )
    return result


def _most_matched(user: User, filters: Filters) -> list[dict]:
    """Policies with the most firms matched (eligible) by the background matching, now; and the
    loan products firms chose most often on their needs in the period (two queries)."""
    from eligibility.models import EligibilityResult

    policies = (
        EligibilityResult.objects.filter(
            region_q(user, "enterprise__region__code"),
            _firm_filters(filters, "enterprise__"),
            eligible=True,
        )
        .order_by()
        .values("policy_id", "policy__title")
        .annotate(matched=Count("pk"))
        .order_by("-matched", "policy_id")[:TOP_LIMIT]
    )
    chosen = FinancingNeed.products.through.objects.filter(
        financingneed_id__in=Subquery(filtered_needs(user, filters).values("pk").order_by())
    )
    products = (
        chosen.order_by()
        .values("loanproduct_id", "loanproduct__name")
        .annotate(matched=Count("pk"))
        .order_by("-matched", "loanproduct_id")[:TOP_LIMIT]
    )
    return [
        {
            "kind": CatalogueView.Kind.POLICY,
            "kind_label": "政策（符合条件的企业数）",
            "id": row["policy_id"],
            "title": row["policy__title"],
            "matched": row["matched"],
        }
        for row in policies
    ] + [
        {
            "kind": CatalogueView.Kind.PRODUCT,
            "kind_label": "信贷产品（企业选择次数）",
            "id": row["loanproduct_id"],
            "title": row["loanproduct__name"],
            "matched": row["matched"],
        }
        for row in products
    ]


def dashboard_data(
    user: User,
    filters: Filters,
    *,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
    sections: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Every number of the dashboard, JSON-ready; amounts in integer yuan."""
    now = now or timezone.now()
    wanted = set(sections) if sections is not None else None

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    needs = filtered_needs(user, filters)
    data: dict[str, Any] = {"filters": filters.as_params()}
    medians = None
    if want("totals") or any(want(f"by_{d}") for d in DIMENSIONS):
        calendar = calendar or work_calendar()
        medians = response_medians(user, filters, calendar)
    rows = None
    if want("totals") or want("by_status") or any(want(f"by_{d}") for d in DIMENSIONS):
        rows = cube(needs, now)
    if want("totals"):
        totals = _row(_sum(rows))
        totals["median_accept_hours"] = medians["accept"].get(("all", None))
        totals["median_contact_hours"] = medians["contact"].get(("all", None))
        data["totals"] = totals
    if want("by_status"):
        counts = defaultdict(int)
        for values in rows:
            counts[values["status"]] += values["count"]
        data["by_status"] = [
            {"status": value, "label": label, "count": counts.get(value, 0)}
            for value, label in Status.choices
        ]
    for dimension in DIMENSIONS:
        if not want(f"by_{dimension}"):
            continue
        grouped = rollup(rows, dimension)
        for row in grouped:
            key = (dimension, row["key"])
            row["median_accept_hours"] = medians["accept"].get(key)
            row["median_contact_hours"] = medians["contact"].get(key)
        data[f"by_{dimension}"] = grouped
    if want("declines"):
        data["declines"] = _declines(user, filters)
    if want("overdue"):
        calendar = calendar or work_calendar()
        data["overdue"] = overdue_cases(needs, now, calendar)
    if is_district(user):
        if want("applications"):
            data["applications"] = _applications(user, filters)
        if want("catalogue"):
            data["most_viewed"] = _most_viewed(user, filters)
            data["most_matched"] = _most_matched(user, filters)
    return data


def _scope_key(user: User) -> str:
    """Who the numbers are for, as :func:`dashboards.scoping.scoped_needs` decides it."""
    if user.is_platform_admin:
        return "admin"
    if user.is_district_staff:
        return f"region:{user.region.code}"
    if user.role == Role.BANK_MANAGER:
        return f"branch:{user.branch_id}"
    return f"officer:{user.pk}"


def dashboard_data_cached(
    user: User, filters: Filters, *, sections: Iterable[str] | None = None
) -> dict[str, Any]:
    """:func:`dashboard_data` for the pages and the stats API, kept for
    ``DASHBOARD_CACHE_SECONDS`` per scope (region, branch or officer), filters and sections.

    Staff reload and re-filter the same view many times while the cases behind it change a few
    times an hour; counting 100,000 cases on each load is what made the dashboard slow. The
    numbers are at most that many seconds old (the page says when they were counted); exports
    and bulletins always count afresh. 0 turns the cache off.
    """
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", 60)
    if seconds <= 0:
        return {**dashboard_data(user, filters, sections=sections), "counted_at": None}
    ensure_dashboard(user)  # never answer from the cache for someone without a dashboard
    wanted = ",".join(sorted(sections)) if sections is not None else "*"
    params = "&".join(f"{key}={value}" for key, value in sorted(filters.as_params().items()))
    digest = hashlib.sha256(f"{_scope_key(user)}|{params}|{wanted}".encode()).hexdigest()
    key = f"dashboards:data:v1:{digest[:32]}"
    data = cache.get(key)
    if data is None:
        data = dashboard_data(user, filters, sections=sections)
        data["counted_at"] = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        cache.set(key, data, seconds)
    return data


def filter_choices(user: User) -> dict[str, list[tuple[Any, str]]]:
    """The options of the filter form: the region's chains, the banks, the firm sizes."""
    chains = IndustryChain.objects.filter(region_q(user, "region__code")).order_by(
        "region__code", "name"
    )
    return {
        "chains": [(c.pk, f"{c.name}（{c.region.name}）") for c in chains.select_related("region")],
        "banks": list(Bank.objects.order_by("name").values_list("pk", "name")),
        "sizes": [*SizeClass.choices, ("none", NONE_LABEL["size"])],
    }


def latest_bulletin(user: User) -> Bulletin | None:
    """The newest bulletin of the staff member's region (or any, for an admin)."""
    bulletins = Bulletin.objects.select_related("region")
    if user.is_platform_admin:
        return bulletins.first()
    if user.is_district_staff and user.region_id:
        return bulletins.filter(region_q(user, "region__code")).first()
    return None


__all__ = [
    "DIMENSIONS",
    "DIMENSION_LABELS",
    "Filters",
    "base_needs",
    "dashboard_data",
    "dashboard_data_cached",
    "filter_choices",
    "filtered_needs",
    "latest_bulletin",
    "rate",
]
