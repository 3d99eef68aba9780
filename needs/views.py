"""Pages: the firm's needs and submission form, the bank workbench, the case page, staff lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from needs import forms as f
from needs import services
from needs.models import Assignment, Deadline, FinancingNeed, NeedAttachment
from needs.paging import peek_page
from needs.permissions import role_may
from needs.routing import excluded_bank_ids
from needs.selectors import (
    decision_estimate,
    matching_products,
    need_detail_queryset,
    need_list,
    need_list_rows,
    next_open_deadlines,
    released_history,
)
from needs.states import OPEN_STATES, Action, Status, allowed
from needs.templatetags.needs_tags import wan
from portal.errors import TransitionNotAllowed
from portal.uploads import attachment_response
from privacy.selectors import need_contact_context
from workdays.selectors import uncovered_years_ahead, work_calendar

Call = Callable[[FinancingNeed, User, dict[str, Any], HttpRequest], Any]

#: action -> (form class, heading, button text, service call)
ACTIONS: dict[str, tuple[type[forms.Form], str, str, Call]] = {
    Action.ACCEPT: (
        f.NoteForm,
        "接单",
        "确认接单",
        lambda n, u, d, r: services.financing_need_accept(need=n, actor=u, note=d["note"]),
    ),
    Action.CONTACT: (
        f.ContactForm,
        "记录首次对接",
        "保存对接记录",
        lambda n, u, d, r: services.financing_need_contact(
            need=n, actor=u, channel=d["channel"], note=d["note"]
        ),
    ),
    Action.REQUEST_MATERIALS: (
        f.RequestMaterialsForm,
        "要求补充材料",
        "发送补充材料要求",
        lambda n, u, d, r: services.financing_need_request_materials(
            need=n, actor=u, items=d["items"], note=d["note"]
        ),
    ),
    Action.PROPOSE: (
        f.ProposeForm,
        "提出融资方案",
        "提交方案",
        lambda n, u, d, r: services.financing_need_propose(
            need=n,
            actor=u,
            product=d["product"],
            amount_yuan=d["amount_yuan"],
            rate_percent=d["rate_percent"],
            term_months=d["term_months"],
            note=d["note"],
        ),
    ),
    Action.APPROVE: (
        f.ApproveForm,
        "记录授信",
        "确认授信",
        lambda n, u, d, r: services.financing_need_approve(
            need=n, actor=u, amount_yuan=d["amount_yuan"], note=d["note"]
        ),
    ),
    Action.DISBURSE: (
        f.DisburseForm,
        "记录放款",
        "确认放款",
        lambda n, u, d, r: services.financing_need_disburse(
            need=n,
            actor=u,
            amount_yuan=d["amount_yuan"],
            disbursed_on=d["disbursed_on"],
            note=d["note"],
        ),
    ),
    Action.DECLINE: (
        f.DeclineForm,
        "退回",
        "确认退回",
        lambda n, u, d, r: services.financing_need_decline(
            need=n, actor=u, reason=d["reason"], note=d["note"]
        ),
    ),
    Action.TRANSFER: (
        f.TransferForm,
        "行内转办",
        "转办",
        lambda n, u, d, r: services.financing_need_transfer(
            need=n, actor=u, officer=d["officer"], note=d["note"]
        ),
    ),
    Action.ASSIGN_OFFICER: (
        f.OfficerChoiceForm,
        "分配客户经理",
        "分配",
        lambda n, u, d, r: services.financing_need_assign_officer(
            need=n, actor=u, officer=d["officer"], note=d["note"]
        ),
    ),
    Action.STAFF_ASSIGN: (
        f.StaffAssignForm,
        "分配承办银行",
        "分配",
        lambda n, u, d, r: services.financing_need_staff_assign(
            need=n, actor=u, branch=d["branch"], note=d["note"]
        ),
    ),
    Action.PROVIDE_MATERIALS: (
        f.UploadForm,
        "上传材料",
        "上传",
        lambda n, u, d, r: services.financing_need_upload(
            need=n, actor=u, files=d["files"], note=d["note"]
        ),
    ),
    Action.COMMENT: (
        f.CommentForm,
        "留言",
        "发送留言",
        lambda n, u, d, r: services.financing_need_comment(need=n, actor=u, text=d["text"]),
    ),
    Action.ANOTHER_BANK: (
        f.NoteForm,
        "申请更换银行",
        "申请更换银行",
        lambda n, u, d, r: services.financing_need_request_another_bank(
            need=n, actor=u, note=d["note"]
        ),
    ),
    Action.WITHDRAW: (
        f.NoteForm,
        "撤回需求",
        "确认撤回",
        lambda n, u, d, r: services.financing_need_withdraw(need=n, actor=u, note=d["note"]),
    ),
    Action.RATE: (
        f.RateForm,
        "评价服务",
        "提交评价",
        lambda n, u, d, r: services.financing_need_rate(
            need=n, actor=u, score=d["score"], comment=d["comment"]
        ),
    ),
}


def _is_stalled(need: FinancingNeed, now) -> bool:
    return any(
        d.is_active and d.due_at < now and d.assignment.outcome == Assignment.Outcome.OPEN
        for d in need.deadlines.all()
    )


def _form_kwargs(action: str, need: FinancingNeed) -> dict[str, Any]:
    if action == Action.TRANSFER and need.assigned_branch_id:
        return {"officers": f.TransferForm.officers_for(need.assigned_branch.bank_id)}
    if action == Action.ASSIGN_OFFICER:
        return {
            "officers": User.objects.filter(
                branch_id=need.assigned_branch_id, role=Role.BANK_OFFICER, is_active=True
            ).order_by("username")
        }
    return {}


def _available_actions(user: User, need: FinancingNeed) -> list[str]:
    now = timezone.now()
    names = []
    for action in ACTIONS:
        if not role_may(user, need, action) or not allowed(need.status, action):
            continue
        if action == Action.ANOTHER_BANK and not _is_stalled(need, now):
            continue
        if action == Action.RATE and hasattr(need, "rating"):
            continue
        names.append(action)
    if (
        need.is_open
        and Action.PROVIDE_MATERIALS not in names
        and role_may(user, need, Action.PROVIDE_MATERIALS)
    ):
        names.append(Action.PROVIDE_MATERIALS)
    return names


def _forms(user: User, need: FinancingNeed, bound: tuple[str, forms.Form] | None = None):
    result = []
    for action in _available_actions(user, need):
        form_class, heading, button, _ = ACTIONS[action]
        if bound and bound[0] == action:
            form = bound[1]
        else:
            form = form_class(prefix=action, **_form_kwargs(action, need))
        result.append({"action": action, "form": form, "heading": heading, "button": button})
    return result


def _detail_context(request: HttpRequest, need: FinancingNeed, bound=None) -> dict[str, Any]:
    user = request.user
    calendar = work_calendar()
    assignments = list(need.assignments.all())
    declines = [a for a in assignments if a.outcome == Assignment.Outcome.DECLINED]
    show_history = not user.is_bank_user
    context: dict[str, Any] = {
        "need": need,
        "events": list(need.events.all()),
        "deadlines": [
            d for d in need.deadlines.all() if d.assignment.outcome == Assignment.Outcome.OPEN
        ],
        "assignments": assignments if show_history else [],
        "declines": declines if show_history else [],
        "forms": _forms(user, need, bound),
        "now": timezone.now(),
        "attachments": list(need.attachments.all()),
    }
    if need.is_open:
        context["estimate"] = decision_estimate(need, calendar=calendar)
    if declines and user.is_enterprise_member:
        context["suggested_products"] = matching_products(
            need, exclude_bank_ids=excluded_bank_ids(need)
        )
    rating = (
        getattr(need, "rating", None)
        if need.status in (Status.DISBURSED, Status.WITHDRAWN)
        else None
    )
    context["rating"] = rating
    context.update(need_contact_context(user, need))  # masked unless the firm or consented officer
    return context


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of the case list, its values ready to print (``None``: nothing to show)."""

    pk: int
    url: str
    enterprise: str
    amount: str
    term_months: int
    status: str
    assigned_branch_id: int | None
    branch: str | None
    officer: str | None
    deadline: str | None
    overdue: bool
    created: str


_STATUS_LABELS: dict[str, str] = dict(Status.choices)
_KIND_LABELS: dict[str, str] = dict(Deadline.Kind.choices)


def _detail_url_maker() -> Callable[[int], str]:
    """``pk -> needs:detail URL`` with one ``reverse()`` per request instead of one per row."""
    sentinel = "7294816350"
    url = reverse("needs:detail", kwargs={"pk": int(sentinel)})
    head, found, tail = url.partition(sentinel)
    if not found or sentinel in tail:  # pragma: no cover - a URL shape this cannot split
        return lambda pk: reverse("needs:detail", kwargs={"pk": pk})
    return lambda pk: f"{head}{pk}{tail}"


def _list_rows(rows: list[tuple], deadlines: dict, now) -> list[ListRow]:
    """The page's rows in one pass: what the template prints, computed once per row.

    Same text as the model's displays and the template filters gave: the status and deadline
    labels, ``wan`` amounts, Shanghai (active time zone) times, ``str(user)`` of the officer.
    """
    url_for = _detail_url_maker()
    tz = timezone.get_current_timezone()
    result = []
    for pk, firm, amount, term, status, created, branch_id, branch, shown, username in rows:
        deadline = deadlines.get(pk)
        if deadline is None:
            due_label = None
            overdue = False
        else:
            kind, due_at = deadline
            local = due_at.astimezone(tz)
            due_label = (
                f"{_KIND_LABELS.get(kind, kind)} "
                f"{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
            )
            overdue = due_at < now
        created = created.astimezone(tz)
        result.append(
            ListRow(
                pk=pk,
                url=url_for(pk),
                enterprise=firm,
                amount=wan(amount),
                term_months=term,
                status=_STATUS_LABELS.get(status, status),
                assigned_branch_id=branch_id,
                branch=branch,
                # User.__str__: the display name, else the username.
                officer=(shown or username) if username is not None else None,
                deadline=due_label,
                overdue=overdue,
                created=(
                    f"{created.year:04d}-{created.month:02d}-{created.day:02d} "
                    f"{created.hour:02d}:{created.minute:02d}"
                ),
            )
        )
    return result


@login_required
def need_list_view(request: HttpRequest) -> HttpResponse:
    """The role's list: a firm's own needs, a bank's workbench, a district's needs and pool."""
    user = request.user
    if not (
        user.is_platform_admin
        or user.is_enterprise_member
        or user.is_bank_user
        or user.is_district_staff
    ):
        raise PermissionDenied
    queryset = need_list(user)
    status = request.GET.get("status", "")
    scope = request.GET.get("scope", "")
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATES)
    elif status in Status.values:
        queryset = queryset.filter(status=status)
    if scope == "mine" and user.is_bank_user:
        queryset = queryset.filter(assigned_officer=user)
    # No count of the whole list (a bank's runs to tens of thousands): one row more than the
    # page says whether there is a next one.
    page = peek_page(
        need_list_rows(queryset.order_by("-created_at", "-id")), request.GET.get("page"), 20
    )
    now = timezone.now()
    page.object_list = _list_rows(
        page.object_list, next_open_deadlines([row[0] for row in page.object_list]), now
    )
    querystring = "&".join(
        f"{key}={value}" for key, value in (("status", status), ("scope", scope)) if value
    )
    context = {
        "page": page,
        "status": status,
        "scope": scope,
        "statuses": Status.choices,
        "querystring": querystring,
    }
    if user.is_district_staff or user.is_platform_admin:
        context["uncovered_years"] = uncovered_years_ahead(now)
    return render(request, "needs/list.html", context)


@login_required
def released_history_view(request: HttpRequest) -> HttpResponse:
    """A bank's read-only record of the needs it declined or was asked to give up."""
    if not request.user.is_bank_user:
        raise Http404
    page = Paginator(released_history(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "needs/released.html", {"page": page})


@login_required
def need_submit_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_enterprise_member and user.enterprise_id):
        raise PermissionDenied
    enterprise = user.enterprise
    initial = {"contact_name": enterprise.contact_name, "contact_phone": enterprise.contact_phone}
    form = f.NeedForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        attachments = data.pop("attachments", [])
        try:
            need = services.financing_need_submit(
                enterprise=enterprise, submitted_by=user, data=data, attachments=attachments
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "融资需求已提交，平台正在为您派单。")
            return redirect("needs:detail", pk=need.pk)
    return render(request, "needs/submit.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def need_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_object_or_404(need_detail_queryset(request.user), pk=pk)
    return render(request, "needs/detail.html", _detail_context(request, need))


@login_required
@require_POST
def need_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one step from the case page; errors re-render it, refused transitions say why."""
    if action not in ACTIONS:
        raise Http404
    need = get_object_or_404(need_detail_queryset(request.user), pk=pk)
    form_class, _, _, call = ACTIONS[action]
    form = form_class(request.POST, request.FILES, prefix=action, **_form_kwargs(action, need))
    if form.is_valid():
        try:
            call(need, request.user, form.cleaned_data, request)
        except TransitionNotAllowed as exc:
            messages.error(request, str(exc))
            return redirect("needs:detail", pk=pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"已{ACTIONS[action][1]}。")
            if FinancingNeed.objects.for_user(request.user).filter(pk=pk).exists():
                return redirect("needs:detail", pk=pk)
            return redirect("needs:list")
    need = get_object_or_404(need_detail_queryset(request.user), pk=pk)
    return render(
        request, "needs/detail.html", _detail_context(request, need, (action, form)), status=400
    )


@login_required
def attachment_view(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A need's file, for those who may see the need; always a download, never inline."""
    need = get_object_or_404(FinancingNeed.objects.for_user(request.user), pk=pk)
    attachment = get_object_or_404(NeedAttachment, pk=attachment_id, need=need)
    return attachment_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )
