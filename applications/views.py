"""Pages: apply for a policy, the firm's applications, the staff queue, the case page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from applications import forms as f
from applications import services
from applications.facts import LOCKED_FACTS, compiled, editable_fact_specs, parse_facts
from applications.models import ApplicationFile, PolicyApplication
from applications.permissions import role_may
from applications.selectors import (
    application_detail_queryset,
    application_list,
    application_preview,
    policy_closed_reason,
    staff_queue,
)
from applications.states import Action, Status, allowed
from eligibility.engine import format_value
from eligibility.facts import FACTS
from policies.models import Policy
from portal.errors import TransitionNotAllowed
from portal.uploads import attachment_response


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if f"fact_{field}" in form.fields:
            form.add_error(f"fact_{field}", errors)
        elif field in form.fields and field != "__all__":
            form.add_error(field, errors)
        else:
            form.add_error(None, errors)


def _fact_rows(facts: dict[str, Any]) -> list[tuple[str, str]]:
    parsed, _ = parse_facts({k: v for k, v in facts.items() if k in FACTS})
    return [
        (FACTS[name].label, format_value(FACTS[name], value))
        for name, value in parsed.items()
        if name != "beneficiary_kind"
    ]


# --- Lists ---------------------------------------------------------------------------------------


@login_required
def application_list_view(request: HttpRequest) -> HttpResponse:
    """A firm's applications (and 免申即享 drafts), or the office's queue per policy."""
    user = request.user
    if not (user.is_enterprise_member or user.is_district_staff or user.is_platform_admin):
        raise PermissionDenied
    queryset = application_list(user)
    status = request.GET.get("status", "")
    policy_id = request.GET.get("policy", "")
    if status in Status.values:
        queryset = queryset.filter(status=status)
    elif user.is_enterprise_member is False:
        queryset = queryset.exclude(status=Status.DRAFT)
    if policy_id.isdigit():
        queryset = queryset.filter(policy_id=int(policy_id))
    page = Paginator(queryset.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    querystring = "&".join(
        f"{key}={value}" for key, value in (("status", status), ("policy", policy_id)) if value
    )
    context: dict[str, Any] = {
        "page": page,
        "status": status,
        "policy_id": policy_id,
        "statuses": Status.choices,
        "querystring": querystring,
        "today": timezone.localdate(),
    }
    if not user.is_enterprise_member:
        context["queue"] = staff_queue(user)
    return render(request, "applications/list.html", context)


# --- Applying ------------------------------------------------------------------------------------


def _apply_policy(request: HttpRequest, policy_pk: int) -> Policy:
    user = request.user
    if not (user.is_enterprise_member and user.enterprise_id):
        raise PermissionDenied("只有企业用户可以申报政策。")
    return get_object_or_404(Policy.objects.published().select_related("region"), pk=policy_pk)


@login_required
def application_apply_view(request: HttpRequest, policy_pk: int) -> HttpResponse:
    """Apply: facts pre-filled from the profile, the amount with its formula, the checklist of
    materials, the declaration. "重新测算" recomputes with the edited facts without saving."""
    policy = _apply_policy(request, policy_pk)
    enterprise = request.user.enterprise
    existing = PolicyApplication.objects.filter(enterprise=enterprise, policy=policy).open().first()
    if existing is not None:
        # One undecided application per firm and policy: carry on with that one.
        messages.info(
            request,
            f"贵企业已有该政策的申报 #{existing.pk}（{existing.get_status_display()}），"
            "请在原申报中办理，不能重复提交。",
        )
        return redirect("applications:detail", pk=existing.pk)
    closed = policy_closed_reason(policy, timezone.localdate())
    if closed:  # said before the firm fills anything in (the service refuses it the same way)
        messages.error(request, closed)
        return redirect("policies:detail", pk=policy.pk)
    preview = application_preview(enterprise=enterprise, policy=policy)
    specs = editable_fact_specs(preview.compiled)
    kwargs = {"specs": specs, "values": preview.facts, "materials": list(policy.materials or [])}
    form = f.ApplyForm(request.POST or None, request.FILES or None, **kwargs)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            facts = form.facts()
            if "preview" in request.POST:
                given = {k: v for k, v in facts.items() if v is not None}
                preview = application_preview(enterprise=enterprise, policy=policy, facts=given)
            else:
                try:
                    application = services.policy_application_submit(
                        enterprise=enterprise,
                        policy=policy,
                        submitted_by=request.user,
                        facts=facts,
                        files=form.files_list(),
                        declaration=form.cleaned_data.get("declaration", False),
                    )
                except ValidationError as exc:
                    _add_errors(form, exc)
                else:
                    messages.success(request, f"申报已提交（#{application.pk}），请留意审核进度。")
                    return redirect("applications:detail", pk=application.pk)
        if form.errors:
            status = 400
    locked = [
        (FACTS[name].label, format_value(FACTS[name], preview.facts.get(name)))
        for name in ("uscc", "region_code")
        if name in FACTS
    ]
    context = {
        "policy": policy,
        "form": form,
        "preview": preview,
        "locked": locked,
        "enterprise": enterprise,
    }
    return render(request, "applications/apply.html", context, status=status)


# --- The case page -------------------------------------------------------------------------------

Call = Callable[[PolicyApplication, User, forms.Form], Any]


def _resubmit_form(application: PolicyApplication, data=None, files=None) -> f.ResubmitForm:
    rule = compiled(application.rule)
    values, _ = parse_facts(
        {k: v for k, v in application.facts.items() if k in FACTS and k not in LOCKED_FACTS}
    )
    return f.ResubmitForm(
        data,
        files,
        prefix=Action.RESUBMIT,
        specs=editable_fact_specs(rule),
        values=values,
        materials=list(application.policy.materials or []),
    )


#: action -> (heading, button, form factory, service call)
ACTIONS: dict[str, tuple[str, str, Callable[..., forms.Form], Call]] = {
    Action.SUBMIT: (
        "确认申报（免申即享）",
        "一键确认申报",
        lambda app, data=None, files=None: f.ConfirmForm(data, prefix=Action.SUBMIT),
        lambda a, u, form: services.policy_application_confirm(
            application=a, actor=u, declaration=form.cleaned_data["declaration"]
        ),
    ),
    Action.RESUBMIT: (
        "补正后重新提交",
        "重新提交",
        _resubmit_form,
        lambda a, u, form: services.policy_application_resubmit(
            application=a,
            actor=u,
            facts={k: v for k, v in form.facts().items() if v is not None},
            files=form.files_list(),
            note=form.cleaned_data["note"],
        ),
    ),
    Action.ACCEPT: (
        "受理",
        "受理",
        lambda app, data=None, files=None: f.NoteForm(data, prefix=Action.ACCEPT),
        lambda a, u, form: services.policy_application_accept(
            application=a, actor=u, note=form.cleaned_data["note"]
        ),
    ),
    Action.RETURN: (
        "退回补正",
        "退回补正",
        lambda app, data=None, files=None: f.ReturnForm(data, prefix=Action.RETURN),
        lambda a, u, form: services.policy_application_return(
            application=a,
            actor=u,
            items=form.cleaned_data["items"],
            correction_due_on=form.cleaned_data["correction_due_on"],
        ),
    ),
    Action.APPROVE: (
        "审核通过",
        "审核通过",
        lambda app, data=None, files=None: f.ApproveForm(
            data, prefix=Action.APPROVE, initial={"amount_yuan": app.computed_amount_yuan}
        ),
        lambda a, u, form: services.policy_application_approve(
            application=a,
            actor=u,
            amount_yuan=form.cleaned_data["amount_yuan"],
            reason=form.cleaned_data["reason"],
        ),
    ),
    Action.REJECT: (
        "审核不通过",
        "审核不通过",
        lambda app, data=None, files=None: f.RejectForm(data, prefix=Action.REJECT),
        lambda a, u, form: services.policy_application_reject(
            application=a, actor=u, reason=form.cleaned_data["reason"]
        ),
    ),
    Action.PUBLICIZE: (
        "公示",
        "开始公示",
        lambda app, data=None, files=None: f.PublicizeForm(data, prefix=Action.PUBLICIZE),
        lambda a, u, form: services.policy_application_publicize(
            application=a,
            actor=u,
            ends_on=form.cleaned_data["ends_on"],
            note=form.cleaned_data["note"],
        ),
    ),
    Action.PAY: (
        "兑现",
        "记录兑现",
        lambda app, data=None, files=None: f.PayForm(
            data, prefix=Action.PAY, initial={"amount_yuan": app.approved_amount_yuan}
        ),
        lambda a, u, form: services.policy_application_pay(
            application=a,
            actor=u,
            amount_yuan=form.cleaned_data["amount_yuan"],
            paid_on=form.cleaned_data["paid_on"],
            note=form.cleaned_data["note"],
        ),
    ),
    Action.WITHDRAW: (
        "撤回申报",
        "确认撤回",
        lambda app, data=None, files=None: f.NoteForm(data, prefix=Action.WITHDRAW),
        lambda a, u, form: services.policy_application_withdraw(
            application=a, actor=u, note=form.cleaned_data["note"]
        ),
    ),
    Action.COMMENT: (
        "留言",
        "发送留言",
        lambda app, data=None, files=None: f.CommentForm(data, prefix=Action.COMMENT),
        lambda a, u, form: services.policy_application_comment(
            application=a, actor=u, text=form.cleaned_data["text"]
        ),
    ),
}


def _forms(user: User, application: PolicyApplication, bound=None) -> list[dict[str, Any]]:
    result = []
    for action, (heading, button, factory, _) in ACTIONS.items():
        if not (role_may(user, application, action) and allowed(application.status, action)):
            continue
        form = bound[1] if bound and bound[0] == action else factory(application)
        result.append({"action": action, "form": form, "heading": heading, "button": button})
    return result


def _detail_context(request: HttpRequest, application: PolicyApplication, bound=None):
    files = list(application.files.all())
    materials = list(application.policy.materials or [])
    have = {file.material for file in files}
    return {
        "application": application,
        "events": list(application.events.all()),
        "files": files,
        "checklist": [(m, m in have) for m in materials],
        "fact_rows": _fact_rows(application.facts),
        "forms": _forms(request.user, application, bound),
        "today": timezone.localdate(),
    }


@login_required
def application_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(application_detail_queryset(request.user), pk=pk)
    return render(request, "applications/detail.html", _detail_context(request, application))


@login_required
@require_POST
def application_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one step from the case page; errors re-render it, refused transitions say why."""
    if action not in ACTIONS:
        raise Http404
    application = get_object_or_404(application_detail_queryset(request.user), pk=pk)
    if not role_may(request.user, application, action):
        raise PermissionDenied
    heading, _, factory, call = ACTIONS[action]
    form = factory(application, request.POST, request.FILES)
    if form.is_valid():
        try:
            call(application, request.user, form)
        except TransitionNotAllowed as exc:
            messages.error(request, str(exc))
            return redirect("applications:detail", pk=pk)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已{heading}。")
            return redirect("applications:detail", pk=pk)
    application = get_object_or_404(application_detail_queryset(request.user), pk=pk)
    context = _detail_context(request, application, (action, form))
    return render(request, "applications/detail.html", context, status=400)


@login_required
def application_file_view(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    """An application's file, for those who may see the application; always a download."""
    application = get_object_or_404(PolicyApplication.objects.for_user(request.user), pk=pk)
    item = get_object_or_404(ApplicationFile, pk=file_id, application=application)
    return attachment_response(
        item.file, filename=item.original_name, content_type=item.content_type
    )


@login_required
@require_POST
def proactive_toggle_view(request: HttpRequest, policy_pk: int) -> HttpResponse:
    """District staff mark (or unmark) one of their policies 免申即享."""
    user = request.user
    if not (user.is_district_staff or user.is_platform_admin):
        raise PermissionDenied
    policy = get_object_or_404(Policy.objects.for_user(user), pk=policy_pk)
    enabled = request.POST.get("enabled") == "1"
    services.proactive_policy_set(policy=policy, actor=user, enabled=enabled)
    if enabled:
        messages.success(
            request, f"已将“{policy.title}”设为免申即享，符合条件的企业将收到待确认申报。"
        )
    else:
        messages.success(request, f"已取消“{policy.title}”的免申即享。")
    return redirect("policies:detail", pk=policy.pk)
