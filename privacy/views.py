"""Pages: a firm's personal-information page (copy, deletion, consents, review requests), the
contact consent on a need, and the staff's lists of data requests and review requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from eligibility.models import EligibilityResult
from needs.models import FinancingNeed
from policies.models import Policy
from privacy.forms import ReviewAnswerForm, ReviewRequestForm
from privacy.models import ContactConsent, DataRequest, ReviewRequest
from privacy.services import (
    contact_consent_grant,
    contact_consent_withdraw,
    deletion_request_create,
    deletion_request_fulfil,
    enterprise_data_export,
    review_request_answer,
    review_request_create,
)


def _firm_member(request: HttpRequest):
    user = request.user
    if not user.is_enterprise_member or not user.enterprise_id:
        raise PermissionDenied
    return user.enterprise


def _staff(request: HttpRequest) -> None:
    if not (request.user.is_district_staff or request.user.is_platform_admin):
        raise PermissionDenied


@login_required
def my_data_view(request: HttpRequest) -> HttpResponse:
    """The firm's page: download a copy, ask for deletion, see consents and review requests."""
    enterprise = _firm_member(request)
    context = {
        "enterprise": enterprise,
        "deletion": DataRequest.objects.filter(
            enterprise=enterprise, kind=DataRequest.Kind.DELETION
        ).first(),
        "contact_consents": ContactConsent.objects.filter(need__enterprise=enterprise)
        .select_related("bank")
        .order_by("-granted_at")[:100],
        "results": EligibilityResult.objects.filter(enterprise=enterprise)
        .select_related("policy")
        .order_by("policy__title")[:200],
        "reviews": ReviewRequest.objects.filter(enterprise=enterprise)
        .select_related("policy")
        .order_by("-created_at")[:100],
    }
    return render(request, "privacy/my_data.html", context)


@login_required
@require_POST
def export_view(request: HttpRequest) -> HttpResponse:
    enterprise = _firm_member(request)
    payload = enterprise_data_export(enterprise=enterprise, user=request.user)
    response = HttpResponse(payload, content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="enterprise-data-{stamp}.zip"'
    return response


@login_required
@require_POST
def deletion_view(request: HttpRequest) -> HttpResponse:
    enterprise = _firm_member(request)
    deletion_request_create(enterprise=enterprise, user=request.user)
    messages.success(
        request,
        "删除申请已提交。金融发展服务中心将在15日内处理，处理后账号将停用、联系人信息将被删除。",
    )
    return redirect("privacy:my_data")


@login_required
@require_POST
def contact_consent_view(request: HttpRequest, need_id: int) -> HttpResponse:
    """The firm's separate consent (or its withdrawal) for the bank now handling a need."""
    need = get_object_or_404(
        FinancingNeed.objects.for_user(request.user).select_related("assigned_branch__bank"),
        pk=need_id,
    )
    try:
        if request.POST.get("withdraw"):
            contact_consent_withdraw(need=need, actor=request.user)
            messages.success(request, "已撤回授权，银行将不再能查看联系人信息。")
        else:
            consent = contact_consent_grant(need=need, actor=request.user)
            messages.success(request, f"已同意向{consent.bank.name}提供联系人信息。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("needs:detail", pk=need.pk)


@login_required
def review_request_view(request: HttpRequest, policy_id: int) -> HttpResponse:
    """A firm asks a person to review the automated result of one policy."""
    enterprise = _firm_member(request)
    policy = get_object_or_404(Policy.objects.published(), pk=policy_id)
    result = EligibilityResult.objects.filter(enterprise=enterprise, policy=policy).first()
    form = ReviewRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_request_create(
                enterprise=enterprise,
                policy=policy,
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "人工复核申请已提交，工作人员答复后将通知您。")
            return redirect("privacy:my_data")
    return render(
        request,
        "privacy/review_request.html",
        {"form": form, "policy": policy, "result": result},
        status=400 if form.errors else 200,
    )


@login_required
def staff_reviews_view(request: HttpRequest) -> HttpResponse:
    _staff(request)
    queryset = (
        ReviewRequest.objects.for_user(request.user)
        .select_related("enterprise", "policy", "answered_by")
        .order_by("status", "-created_at", "-id")
    )
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(
        request, "privacy/staff_reviews.html", {"page": page, "reviews": page.object_list}
    )


@login_required
def staff_review_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    review = get_object_or_404(
        ReviewRequest.objects.for_user(request.user).select_related("enterprise", "policy"), pk=pk
    )
    form = ReviewAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_request_answer(
                review=review, actor=request.user, answer=form.cleaned_data["answer"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "复核意见已答复。")
            return redirect("privacy:staff_reviews")
    return render(
        request,
        "privacy/staff_review_answer.html",
        {"review": review, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def staff_requests_view(request: HttpRequest) -> HttpResponse:
    _staff(request)
    queryset = (
        DataRequest.objects.for_user(request.user)
        .filter(kind=DataRequest.Kind.DELETION)
        .select_related("enterprise")
        .order_by("status", "-requested_at", "-id")
    )
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(
        request, "privacy/staff_requests.html", {"page": page, "requests": page.object_list}
    )


@login_required
@require_POST
def staff_request_fulfil_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    data_request = get_object_or_404(
        DataRequest.objects.for_user(request.user).filter(kind=DataRequest.Kind.DELETION), pk=pk
    )
    deletion_request_fulfil(data_request=data_request, actor=request.user)
    messages.success(request, f"已删除{data_request.enterprise.name}的个人信息。")
    return redirect("privacy:staff_requests")
