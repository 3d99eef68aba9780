"""Working-day deadlines of an assignment, and the reminders and escalations around them.

Deadlines count Chinese working days (holidays and make-up days from chinesecalendar and the staff
override table; Monday to Friday in a year neither covers). Per deadline, the officer is reminded
once shortly before it, the branch manager is told once it has passed, and district staff one
working day after that. :class:`~needs.models.DeadlineAlert`'s unique constraint makes a second
alert of the same level impossible, so a sweep that runs twice sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from needs.models import Assignment, Deadline, DeadlineAlert, FinancingNeed, ServiceLevel
from notifications.services import notification_send
from regions.models import Region
from workdays.calendar import SHANGHAI
from workdays.selectors import work_calendar

logger = logging.getLogger(__name__)

#: Remind the officer when this many working hours or fewer remain: on the deadline's last working
#: day (a working day counts 24 hours; deadlines fall at the end of a working day).
REMIND_WORKING_HOURS = 24
DEFAULT_LEVEL = {"accept_days": 1, "contact_days": 2, "decision_days": 10}


def service_level_for(region: Region) -> ServiceLevel:
    """The deadlines of the firm's district (nearest configured region up the tree), or defaults."""
    codes = region.ancestor_codes()
    levels = {
        level.region.code: level
        for level in ServiceLevel.objects.filter(region__code__in=codes).select_related("region")
    }
    for code in codes:
        if code in levels:
            return levels[code]
    return ServiceLevel(region=region, **DEFAULT_LEVEL)


def deadlines_create(*, need: FinancingNeed, assignment: Assignment) -> list[Deadline]:
    """Accept, first-contact and decision deadlines counted from the assignment."""
    level = service_level_for(need.enterprise.region)
    calendar = work_calendar()
    # Shanghai explicitly, not the active time zone: the year range below is read from the
    # local day, and 00:30 on 1 January in Shanghai is still 31 December in UTC.
    start = assignment.created_at.astimezone(SHANGHAI)
    rows = []
    for kind, days in (
        (Deadline.Kind.ACCEPT, level.accept_days),
        (Deadline.Kind.CONTACT, level.contact_days),
        (Deadline.Kind.DECISION, level.decision_days),
    ):
        due = calendar.add_working_days(start, days)
        estimated = bool(calendar.uncovered_years(start, due))
        rows.append(
            Deadline(
                need=need,
                assignment=assignment,
                kind=kind,
                due_at=due,
                calendar_estimated=estimated,
            )
        )
    return Deadline.objects.bulk_create(rows)


def deadlines_meet(*, need: FinancingNeed, kinds: list[str]) -> None:
    """Mark the open assignment's deadlines of ``kinds`` as met now."""
    Deadline.objects.filter(
        need=need, kind__in=kinds, met_at__isnull=True, cancelled_at__isnull=True
    ).update(met_at=timezone.now())


def deadlines_cancel(*, need: FinancingNeed) -> None:
    """Stop watching the need's remaining deadlines (it left the bank or closed)."""
    Deadline.objects.filter(need=need, met_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )


def _bank_recipients(need: FinancingNeed) -> list[User]:
    if need.assigned_officer_id:
        return [need.assigned_officer]
    if need.assigned_team_id:
        return list(need.assigned_team.members.filter(is_active=True))
    return list(
        User.objects.filter(branch=need.assigned_branch_id, role=Role.BANK_OFFICER, is_active=True)
    )


def _managers(need: FinancingNeed) -> list[User]:
    return list(
        User.objects.filter(branch=need.assigned_branch_id, role=Role.BANK_MANAGER, is_active=True)
    )


def _district_staff(need: FinancingNeed) -> list[User]:
    return list(
        User.objects.filter(
            role=Role.DISTRICT_STAFF,
            is_active=True,
            region__code__in=need.enterprise.region.ancestor_codes(),
        )
    )


def _claim(deadline: Deadline, level: str) -> bool:
    """Record the alert; False when it was already sent (the unique constraint refuses it)."""
    try:
        with transaction.atomic():
            DeadlineAlert.objects.create(deadline=deadline, level=level, due_at=deadline.due_at)
    except IntegrityError:
        return False
    return True


def _send(deadline: Deadline, level: str, recipients: list[User], title: str, body: str) -> None:
    url = reverse("needs:detail", args=[deadline.need_id])
    stamp = deadline.due_at.astimezone(SHANGHAI).strftime("%Y%m%d%H%M")
    for user in recipients:
        notification_send(
            user=user,
            kind=f"need_deadline_{level}",
            title=title,
            body=body,
            url=url,
            dedupe_key=f"need:{deadline.need_id}:deadline:{deadline.kind}:{level}:{stamp}",
        )


@transaction.atomic
def deadline_alert(*, deadline_id: int, now: datetime | None = None, calendar=None) -> list[str]:
    """Send what is due for one deadline now; returns the levels sent (each at most once ever)."""
    now = now or timezone.now()
    calendar = calendar or work_calendar()
    deadline = (
        Deadline.objects.select_related(
            "need__enterprise__region",
            "need__assigned_branch",
            "need__assigned_officer",
            "need__assigned_team",
            "assignment",
        )
        .filter(pk=deadline_id, met_at__isnull=True, cancelled_at__isnull=True)
        .first()
    )
    if deadline is None or deadline.assignment.outcome != Assignment.Outcome.OPEN:
        return []
    need = deadline.need
    due_local = deadline.due_at.astimezone(SHANGHAI)
    due_text = due_local.strftime("%Y-%m-%d %H:%M")
    label = deadline.get_kind_display()
    firm = need.enterprise.name
    sent = []
    if now < deadline.due_at:
        remaining = calendar.working_hours_between(now, deadline.due_at)
        if remaining <= REMIND_WORKING_HOURS and _claim(deadline, DeadlineAlert.Level.REMINDER):
            _send(
                deadline,
                DeadlineAlert.Level.REMINDER,
                _bank_recipients(need),
                f"即将到期：{firm}的融资需求需在{due_text}前{label}",
                f"融资需求 #{need.pk} 的{label}时限为 {due_text}（工作日计算），请及时办理。",
            )
            sent.append(DeadlineAlert.Level.REMINDER)
        return sent
    if _claim(deadline, DeadlineAlert.Level.MANAGER):
        _send(
            deadline,
            DeadlineAlert.Level.MANAGER,
            _managers(need) or _bank_recipients(need),
            f"已逾期：{firm}的融资需求未在{due_text}前{label}",
            f"融资需求 #{need.pk} 由{need.assigned_branch}办理，{label}时限 {due_text} 已过，请督办。",
        )
        sent.append(DeadlineAlert.Level.MANAGER)
    district_at = calendar.add_working_days(due_local, 1)
    if now >= district_at and _claim(deadline, DeadlineAlert.Level.DISTRICT):
        _send(
            deadline,
            DeadlineAlert.Level.DISTRICT,
            _district_staff(need),
            f"逾期督办：{need.assigned_branch}未按时{label}（{firm}）",
            f"融资需求 #{need.pk} 的{label}时限 {due_text} 已过一个工作日以上，"
            f"承办网点：{need.assigned_branch}。",
        )
        sent.append(DeadlineAlert.Level.DISTRICT)
    return sent


def deadlines_sweep(*, now: datetime | None = None) -> int:
    """Check every watched deadline that is near or past; returns the number of alerts sent."""
    now = now or timezone.now()
    calendar = work_calendar()
    # Four working hours can span a long holiday, so look a fortnight ahead and let the calendar
    # decide; deadlines far in the past were escalated already or are escalated now, once.
    horizon = now + timedelta(days=14)
    ids = list(
        Deadline.objects.filter(
            met_at__isnull=True,
            cancelled_at__isnull=True,
            due_at__lte=horizon,
            assignment__outcome=Assignment.Outcome.OPEN,
        )
        .exclude(alerts__level=DeadlineAlert.Level.DISTRICT)
        .order_by("due_at")
        .values_list("pk", flat=True)
    )
    total = 0
    for deadline_id in ids:
        total += len(deadline_alert(deadline_id=deadline_id, now=now, calendar=calendar))
    return total
