"""Writes to the staff-kept calendar: single overrides and a year's State Council schedule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from workdays.models import ScheduleYear, WorkdayOverride


@dataclass(frozen=True)
class ScheduleEntry:
    """One line of a State Council notice: a day off (``working=False``) or a make-up day."""

    day: date
    working: bool
    note: str = ""


def may_keep_calendar(user: User) -> bool:
    """District staff and platform admins keep the calendar (it is shared by every district)."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_district_staff or user.is_platform_admin)
    )


def _ensure(user: User) -> None:
    if not may_keep_calendar(user):
        raise PermissionDenied("只有金融发展服务中心工作人员可以维护工作日历。")


@transaction.atomic
def workday_override_set(
    *, actor: User, day: date, is_working_day: bool, note: str = ""
) -> WorkdayOverride:
    """Say whether ``day`` is a working day (a new row, or the existing one for that date)."""
    _ensure(actor)
    note = (note or "").strip()
    if len(note) > 100:
        raise ValidationError({"note": "说明不能超过 100 字。"})
    override, _ = WorkdayOverride.objects.update_or_create(
        date=day,
        defaults={"is_working_day": bool(is_working_day), "note": note, "updated_by": actor},
    )
    return override


@transaction.atomic
def workday_override_delete(*, actor: User, override_id: int) -> None:
    """Remove one override; the day follows chinesecalendar (or Monday to Friday) again."""
    _ensure(actor)
    deleted, _ = WorkdayOverride.objects.filter(pk=override_id).delete()
    if not deleted:
        raise ValidationError({"override": "该调整记录不存在。"})


@transaction.atomic
def schedule_year_enter(
    *, actor: User, year: int, notice: str, entries: Iterable[ScheduleEntry]
) -> ScheduleYear:
    """Enter a year's holidays and make-up working days from the State Council notice, all or
    nothing, and mark the year as covered so its deadlines stop being estimated."""
    _ensure(actor)
    entries = list(entries)
    errors: dict[str, list[str]] = {}
    if not 2000 <= int(year) <= 2100:
        errors.setdefault("year", []).append("年度应在 2000 到 2100 之间。")
    notice = (notice or "").strip()
    if not notice:
        errors.setdefault("notice", []).append("请填写国务院办公厅通知文号或标题。")
    elif len(notice) > 200:
        errors.setdefault("notice", []).append("依据不能超过 200 字。")
    if not any(not entry.working for entry in entries):
        errors.setdefault("entries", []).append("请至少录入一天放假日期。")
    seen: dict[date, bool] = {}
    for entry in entries:
        if entry.day.year != int(year):
            errors.setdefault("entries", []).append(f"{entry.day:%Y-%m-%d} 不在 {year} 年内。")
        elif entry.day in seen and seen[entry.day] != entry.working:
            errors.setdefault("entries", []).append(
                f"{entry.day:%Y-%m-%d} 同时被录入为放假和上班。"
            )
        seen[entry.day] = entry.working
    if errors:
        raise ValidationError(errors)
    for entry in entries:
        WorkdayOverride.objects.update_or_create(
            date=entry.day,
            defaults={
                "is_working_day": entry.working,
                "note": entry.note[:100],
                "updated_by": actor,
            },
        )
    schedule, created = ScheduleYear.objects.get_or_create(
        year=year, defaults={"notice": notice, "entered_by": actor}
    )
    if not created:
        schedule.notice = notice
        schedule.save(update_fields=["notice"])
    return schedule
