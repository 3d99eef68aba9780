"""Staff pages of the working-day calendar: overrides and a year's State Council schedule."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from workdays import services
from workdays.calendar import shanghai_date
from workdays.forms import OverrideForm, ScheduleForm
from workdays.selectors import overrides_of_year, uncovered_years_ahead, year_status


def _staff_only(request: HttpRequest) -> None:
    if not services.may_keep_calendar(request.user):
        raise Http404


def _year(request: HttpRequest) -> int:
    this_year = shanghai_date(timezone.now()).year
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or this_year)
    except ValueError:
        return this_year
    return year if 2000 <= year <= 2100 else this_year


def _page(request: HttpRequest, year: int, *, override_form=None, schedule_form=None, status=200):
    this_year = shanghai_date(timezone.now()).year
    context = {
        "year": year,
        "years": [year_status(y) for y in (this_year, this_year + 1)],
        "status": year_status(year),
        "overrides": overrides_of_year(year),
        "uncovered_years": uncovered_years_ahead(timezone.now()),
        "override_form": override_form or OverrideForm(prefix="override"),
        "schedule_form": schedule_form or ScheduleForm(prefix="schedule", initial={"year": year}),
    }
    return render(request, "workdays/calendar.html", context, status=status)


def _back(year: int) -> HttpResponse:
    return redirect(f"{reverse('workdays:calendar')}?year={year}")


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    """A year's source of truth (package, staff or missing) and its staff overrides."""
    _staff_only(request)
    return _page(request, _year(request))


@login_required
@require_POST
def override_set_view(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = OverrideForm(request.POST, prefix="override")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.workday_override_set(
                actor=request.user,
                day=data["date"],
                is_working_day=data["is_working_day"],
                note=data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已保存 {data['date']:%Y-%m-%d} 的安排。")
            return _back(data["date"].year)
    return _page(request, _year(request), override_form=form, status=400)


@login_required
@require_POST
def override_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    try:
        services.workday_override_delete(actor=request.user, override_id=pk)
    except ValidationError as exc:
        raise Http404 from exc
    messages.success(request, "已删除该调整。")
    return _back(_year(request))


@login_required
@require_POST
def schedule_enter_view(request: HttpRequest) -> HttpResponse:
    """Enter a whole year from the State Council notice; bad lines change nothing."""
    _staff_only(request)
    form = ScheduleForm(request.POST, prefix="schedule")
    year = _year(request)
    if form.is_valid():
        data = form.cleaned_data
        year = data["year"]
        try:
            services.schedule_year_enter(
                actor=request.user, year=year, notice=data["notice"], entries=data["entries"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已录入 {year} 年放假安排，该年度办理时限将按此计算。")
            return _back(year)
    return _page(request, year, schedule_form=form, status=400)
