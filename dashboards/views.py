"""Pages: the officer workbench, the branch manager's view, the district dashboard, the bank
assessment with its bulletins, and the long jobs with their progress. Views stay thin: numbers
come from selectors, writes from services, and who sees what from ``dashboards.scoping``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from dashboards import services
from dashboards import workbench as wb
from dashboards.assessment import Month, bank_assessment, weights_for
from dashboards.documents import assessment_table
from dashboards.models import INDICATORS, Bulletin, Job
from dashboards.scoping import (
    check_region,
    ensure_dashboard,
    ensure_district,
    is_district,
    region_q,
)
from dashboards.selectors import (
    DIMENSION_LABELS,
    Filters,
    dashboard_data_cached,
    filter_choices,
    overdue_cases,
)
from needs.models import FinancingNeed, Urgency
from needs.states import OPEN_STATES, Status
from portal.errors import TransitionNotAllowed
from regions.models import Region
from workdays.selectors import work_calendar


def _bank_user(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_bank_user and user.branch_id):
        raise Http404


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own view."""
    user = request.user
    ensure_dashboard(user)
    if is_district(user):
        return redirect("dashboards:district")
    if user.role == Role.BANK_MANAGER:
        return redirect("dashboards:branch")
    return redirect("dashboards:workbench")


# --- Bank side -----------------------------------------------------------------------------------


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """My queue ordered by deadline with the working hours left, filters, bulk steps, my month."""
    _bank_user(request)
    user = request.user
    now = timezone.now()
    calendar = work_calendar()
    filters = wb.QueueFilters.from_params(request.GET)
    page = wb.queue_page(user, filters, now, request.GET.get("page"))
    wb.decorate(list(page.object_list), now, calendar)
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "querystring": filters.querystring(),
        "scopes": wb.QUEUE_SCOPES.items(),
        "statuses": [(value, label) for value, label in Status.choices if value in OPEN_STATES],
        "urgencies": Urgency.choices,
        "is_manager": user.role == Role.BANK_MANAGER,
    }
    if user.role == Role.BANK_MANAGER:
        context["officers"] = list(wb.branch_officers(user))
    else:
        context["figures"] = wb.my_month_cached(user, timezone.localdate(), now, calendar)
    return render(request, "dashboards/workbench.html", context)


def _selected_ids(request: HttpRequest) -> list[int]:
    ids = []
    for value in request.POST.getlist("needs"):
        if not value.isdigit():
            raise ValidationError({"needs": "所选融资需求无效。"})
        ids.append(int(value))
    return ids


@login_required
@require_POST
def workbench_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk steps where they are safe: accept (officer), reassign to an officer (manager)."""
    _bank_user(request)
    user = request.user
    action = request.POST.get("action", "")
    back = request.POST.get("next") or reverse("dashboards:workbench")
    if not back.startswith("/dashboards/"):
        back = reverse("dashboards:workbench")
    try:
        ids = _selected_ids(request)
        if action == "accept":
            done = services.needs_bulk_accept(actor=user, need_ids=ids)
            messages.success(request, f"已接单 {len(done)} 笔。")
        elif action == "assign":
            if user.role != Role.BANK_MANAGER:
                raise PermissionDenied
            officer = wb.branch_officers(user).filter(pk=request.POST.get("officer") or 0).first()
            if officer is None:
                raise ValidationError({"officer": "请选择本网点的客户经理。"})
            done = services.needs_bulk_assign_officer(
                actor=user, need_ids=ids, officer=officer, note=request.POST.get("note", "")[:500]
            )
            messages.success(request, f"已将 {len(done)} 笔分配给{officer}。")
        else:
            raise ValidationError({"action": "请选择批量操作。"})
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    except TransitionNotAllowed as exc:
        messages.error(request, f"未执行任何操作：{exc}")
    return redirect(back)


@login_required
def branch(request: HttpRequest) -> HttpResponse:
    """The branch's cases by officer, the overdue list, and reassignment."""
    user = request.user
    if not (user.role == Role.BANK_MANAGER and user.branch_id):
        raise Http404
    now = timezone.now()
    calendar = work_calendar()
    today = timezone.localdate()
    branch_needs = FinancingNeed.objects.for_user(user)
    context = {
        "rows": wb.by_officer(user, today, now),
        "month_label": f"{today.year}年{today.month}月",
        "overdue": overdue_cases(branch_needs, now, calendar),
        "officers": list(wb.branch_officers(user)),
    }
    return render(request, "dashboards/branch.html", context)


# --- District dashboard --------------------------------------------------------------------------


def _filters(request: HttpRequest) -> Filters:
    filters = Filters.from_params(request.GET)
    check_region(request.user, filters.region)
    return filters


def _region_choices(user) -> list[tuple[str, str]]:
    if not is_district(user):
        return []
    regions = Region.objects.filter(region_q(user, "code")).order_by("code")
    return list(regions.values_list("code", "name"))


@login_required
def district(request: HttpRequest) -> HttpResponse:
    """Every number of the district, each chart beside a table of the same numbers."""
    user = request.user
    ensure_dashboard(user)
    filters = _filters(request)
    data = dashboard_data_cached(user, filters)
    context = {
        "data": data,
        "filters": filters,
        "choices": filter_choices(user),
        "regions": _region_choices(user),
        "dimensions": [
            (name, label, data[f"by_{name}"]) for name, label in DIMENSION_LABELS.items()
        ],
        "querystring": "&".join(f"{k}={v}" for k, v in filters.as_params().items()),
        "is_district": is_district(user),
        "jobs": list(Job.objects.filter(requested_by=user)[:5]) if is_district(user) else [],
        "bulletin": _bulletins(user).first() if is_district(user) else None,
    }
    return render(request, "dashboards/district.html", context)


# --- Assessment and bulletins --------------------------------------------------------------------


def _bulletins(user):
    bulletins = Bulletin.objects.select_related("region")
    if user.is_platform_admin:
        return bulletins
    return bulletins.filter(region_q(user, "region__code"))


def _assessment_region(request: HttpRequest) -> Region | None:
    user = request.user
    code = check_region(user, request.GET.get("region", "").strip())
    if code:
        return Region.objects.get(code=code)
    return user.region if user.is_district_staff else None


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    """The monthly ranking of banks with the computation shown; staff set their weights."""
    user = request.user
    ensure_district(user)
    region = _assessment_region(request)
    month = Month.parse(request.GET.get("month"), Month.previous(timezone.localdate()))
    weights = weights_for(region)
    errors: list[str] = []
    if request.method == "POST":
        if region is None or region != getattr(user, "region", None):
            raise Http404
        try:
            posted = {key: float(request.POST.get(key, "") or "nan") for key in INDICATORS}
            if any(value != value for value in posted.values()):  # NaN: a blank field
                raise ValidationError({"weights": "每个指标都要填写权重。"})
            services.assessment_scheme_save(actor=user, region=region, weights=posted)
        except ValueError:
            errors.append("权重必须是数字。")
        except ValidationError as exc:
            errors.extend(m for ms in exc.message_dict.values() for m in ms)
        else:
            messages.success(request, "考核权重已保存。")
            return redirect(f"{reverse('dashboards:assessment')}?month={month.key}")
        weights = {key: request.POST.get(key, "") for key in INDICATORS}
    result = bank_assessment(region=region, month=month, weights=None if errors else weights)
    context = {
        "result": result,
        "table": assessment_table(result),
        "month": month,
        "region": region,
        "indicators": [
            (key, label, better, weights.get(key, ""))
            for key, (label, better) in INDICATORS.items()
        ],
        "errors": errors,
        "can_edit": region is not None and region == getattr(user, "region", None),
        "bulletins": list(_bulletins(user)[:24]),
    }
    return render(request, "dashboards/assessment.html", context, status=400 if errors else 200)


@login_required
def bulletin_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A kept bulletin, for the staff of its region (404 for anyone else)."""
    ensure_district(request.user)
    bulletin = get_object_or_404(_bulletins(request.user), pk=pk)
    field = {"pdf": bulletin.pdf, "xlsx": bulletin.xlsx}.get(fmt)
    if field is None or not field:
        raise Http404
    name = f"{bulletin.region.name}{bulletin.month:%Y年%m月}通报.{fmt}"
    return FileResponse(field.open("rb"), as_attachment=True, filename=name)


@login_required
@require_POST
def bulletin_generate(request: HttpRequest) -> HttpResponse:
    """Staff (re)write their region's bulletin of a month now, on the worker."""
    from dashboards.tasks import generate_bulletin

    user = request.user
    ensure_district(user)
    if not user.is_district_staff:
        raise Http404
    month = Month.parse(request.POST.get("month"), Month.previous(timezone.localdate()))
    region_id = user.region_id
    # The kept bulletin stays downloadable until the new one replaces it.
    transaction.on_commit(
        lambda: generate_bulletin.delay(region_id, month.year, month.month, replace=True)
    )
    messages.success(request, f"正在生成{month.label}通报，稍后刷新本页即可下载。")
    return redirect(f"{reverse('dashboards:assessment')}?month={month.key}")


# --- Long jobs -----------------------------------------------------------------------------------


@login_required
@require_POST
def job_start(request: HttpRequest) -> HttpResponse:
    """Start an export or a bulk re-match; the page then polls its progress."""
    user = request.user
    ensure_district(user)
    kind = request.POST.get("kind", "")
    if kind == Job.Kind.CATALOGUE_IMPORT:
        raise Http404  # started by uploading a workbook on the catalogue's import page
    filters = Filters.from_params(request.POST)
    check_region(user, filters.region)
    try:
        job = services.job_start(user=user, kind=kind, params=filters.as_params())
    except ValidationError as exc:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"errors": exc.message_dict}, status=400)
        raise Http404 from exc
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(_job_json(job), status=202)
    messages.success(request, f"{job.get_kind_display()}已开始，进度见下方。")
    return redirect(f"{reverse('dashboards:job', args=[job.pk])}")


def _job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": job.get_kind_display(),
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": job.progress,
        "message": job.message,
        "error": "任务失败，请稍后重试。"
        if job.status == Job.Status.FAILED and not job.problems
        else "",
        "problems": job.problems,
        "download": reverse("dashboards:job_download", args=[job.pk]) if job.result else "",
    }


def _my_job(request: HttpRequest, pk: int) -> Job:
    ensure_district(request.user)
    return get_object_or_404(Job, pk=pk, requested_by=request.user)


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's progress: JSON for the page's polling, HTML otherwise."""
    job = _my_job(request, pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(_job_json(job))
    return render(request, "dashboards/job.html", {"job": job, "job_json": _job_json(job)})


@login_required
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _my_job(request, pk)
    if not job.result:
        raise Http404
    name = job.result.name.rsplit("/", 1)[-1]
    return FileResponse(job.result.open("rb"), as_attachment=True, filename=name)
