"""Staff pages of the catalogue (scoped to the staff member's region), Excel import/export, the
printable compendium and saved searches."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from banks.models import LoanProduct
from banks.selectors import product_history
from banks.services import product_create, product_publish, product_unpublish, product_update
from catalogue.excel import catalogue_export
from catalogue.forms import ImportForm, PolicyForm, ProductForm, SavedSearchForm
from catalogue.models import CatalogueKind, SavedSearch
from catalogue.services import (
    saved_search_create,
    saved_search_delete,
    saved_search_unsubscribe,
    saved_search_unsubscribe_token,
)
from catalogue.views_common import paginate
from policies.models import Policy
from policies.selectors import policy_history
from policies.services import policy_create, policy_publish, policy_unpublish, policy_update
from regions.models import Region


def _require_staff(request: HttpRequest) -> None:
    # Others get 404, not 403: the staff pages do not advertise themselves.
    user = request.user
    if not (user.is_district_staff and user.region_id) and not user.is_platform_admin:
        raise Http404


@login_required
def staff_index(request: HttpRequest) -> HttpResponse:
    """The policies and products the staff member maintains, drafts included."""
    _require_staff(request)
    tab = "products" if request.GET.get("tab") == "products" else "policies"
    if tab == "products":
        queryset = (
            LoanProduct.objects.for_user(request.user)
            .select_related("bank", "region")
            .order_by("-updated_at", "-pk")
        )
    else:
        queryset = (
            Policy.objects.for_user(request.user)
            .select_related("region")
            .order_by("-updated_at", "-pk")
        )
    page = paginate(request, queryset)
    return render(
        request,
        "catalogue/staff_index.html",
        {"tab": tab, "page": page, "querystring": f"tab={tab}"},
    )


@login_required
def staff_policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (no ``pk``) or edit a policy of the staff member's region; shows its history."""
    _require_staff(request)
    policy = None
    if pk is not None:
        policy = get_object_or_404(
            Policy.objects.for_user(request.user).select_related("region"), pk=pk
        )
    form = PolicyForm(request.POST or None, user=request.user, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            if policy is None:
                policy = policy_create(
                    key=form.cleaned_data["key"],
                    data=form.service_data(),
                    rule=form.cleaned_data.get("rule_json"),
                    user=request.user,
                )
                messages.success(request, "政策已创建（草稿），发布后公众可见。")
            else:
                changed = policy_update(
                    policy=policy,
                    data=form.service_data(),
                    rule=form.cleaned_data.get("rule_json"),
                    rule_valid_from=form.cleaned_data.get("rule_valid_from"),
                    user=request.user,
                )
                messages.success(request, "修改已保存。" if changed else "没有修改。")
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            return redirect("catalogue:staff_policy_edit", pk=policy.pk)
    return render(
        request,
        "catalogue/staff_edit.html",
        {
            "form": form,
            "object": policy,
            "kind": "policy",
            "history": policy_history(policy)[:100] if policy else [],
        },
    )


@login_required
def staff_product_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (no ``pk``) or edit a loan product of the staff member's region; shows its history."""
    _require_staff(request)
    product = None
    if pk is not None:
        product = get_object_or_404(
            LoanProduct.objects.for_user(request.user).select_related("bank", "region"), pk=pk
        )
    form = ProductForm(request.POST or None, user=request.user, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                product = product_create(
                    key=form.cleaned_data["key"], data=form.service_data(), user=request.user
                )
                messages.success(request, "信贷产品已创建（草稿），发布后公众可见。")
            else:
                changed = product_update(
                    product=product, data=form.service_data(), user=request.user
                )
                messages.success(request, "修改已保存。" if changed else "没有修改。")
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            return redirect("catalogue:staff_product_edit", pk=product.pk)
    return render(
        request,
        "catalogue/staff_edit.html",
        {
            "form": form,
            "object": product,
            "kind": "product",
            "history": product_history(product)[:100] if product else [],
        },
    )


@login_required
@require_POST
def staff_publish(request: HttpRequest, kind: str, pk: int, publish: bool) -> HttpResponse:
    """Publish or withdraw a policy or product."""
    _require_staff(request)
    if kind == CatalogueKind.POLICY:
        policy = get_object_or_404(Policy.objects.for_user(request.user), pk=pk)
        (policy_publish if publish else policy_unpublish)(policy=policy, user=request.user)
        target = redirect("catalogue:staff_policy_edit", pk=pk)
    else:
        product = get_object_or_404(LoanProduct.objects.for_user(request.user), pk=pk)
        (product_publish if publish else product_unpublish)(product=product, user=request.user)
        target = redirect("catalogue:staff_product_edit", pk=pk)
    messages.success(request, "已发布。" if publish else "已撤回，公众不再可见。")
    return target


@login_required
def staff_import(request: HttpRequest) -> HttpResponse:
    """Import products and policies from Excel on the worker; any bad row rejects the whole
    file. The form checks the upload's type and size; the job page shows progress and errors."""
    from dashboards.services import catalogue_import_start

    _require_staff(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = catalogue_import_start(user=request.user, upload=form.cleaned_data["file"])
        messages.success(request, "文件已上传，正在后台检查并导入，进度见本页。")
        return redirect("dashboards:job", pk=job.pk)
    return render(request, "catalogue/staff_import.html", {"form": form})


@login_required
def staff_export(request: HttpRequest) -> HttpResponse:
    """The staff member's products and policies as one workbook in the compendium's columns."""
    _require_staff(request)
    content = catalogue_export(
        policies=Policy.objects.for_user(request.user),
        products=LoanProduct.objects.for_user(request.user),
    )
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="catalogue-{stamp}.xlsx"'
    return response


def compendium_pdf(request: HttpRequest, region_code: str) -> HttpResponse:
    """The printable compendium (产品汇编) of the products serving a district, as PDF."""
    from catalogue.compendium import compendium_build

    region = get_object_or_404(Region, code=region_code)
    response = HttpResponse(compendium_build(region=region), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="compendium-{region.code}.pdf"'
    return response


@login_required
def saved_list(request: HttpRequest) -> HttpResponse:
    """The user's saved searches, with their unsubscribe links."""
    searches = list(SavedSearch.objects.filter(user=request.user))
    for saved in searches:
        saved.unsubscribe_token = saved_search_unsubscribe_token(saved)
    return render(request, "catalogue/saved_list.html", {"searches": searches})


@login_required
@require_POST
def saved_create(request: HttpRequest) -> HttpResponse:
    """Save the search of the list page the user is on."""
    form = SavedSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "无法保存该搜索。")
        return redirect("catalogue:saved_list")
    params = QueryDict(form.cleaned_data["params"] or "")
    try:
        saved_search_create(
            user=request.user,
            kind=form.cleaned_data["kind"],
            params=params.dict(),
            name=form.cleaned_data["name"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "搜索已保存：有新的或更新的匹配结果时，我们会在消息中通知您。")
    return redirect("catalogue:saved_list")


@login_required
@require_POST
def saved_delete(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's search does not exist for this one: 404, not a silent "deleted".
    get_object_or_404(SavedSearch, pk=pk, user=request.user)
    saved_search_delete(user=request.user, saved_search_id=pk)
    messages.success(request, "已删除。")
    return redirect("catalogue:saved_list")


@never_cache  # names the user's saved search, and is reached without a session
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe from a saved search's alerts (no login; the token is signed)."""
    saved = saved_search_unsubscribe(token=token)
    if saved is None:
        raise Http404
    return render(request, "catalogue/unsubscribed.html", {"saved": saved})
