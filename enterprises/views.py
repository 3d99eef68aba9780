"""Pages: firm self-registration, the firm's profile, staff verification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from enterprises.forms import EnterpriseProfileForm, EnterpriseRegistrationForm
from enterprises.models import Enterprise
from enterprises.services import enterprise_register, enterprise_update_profile, enterprise_verify


def register(request: HttpRequest) -> HttpResponse:
    form = EnterpriseRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = enterprise_register(
                uscc=data["uscc"],
                name=data["name"],
                region=data["region"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                email=data["email"],
                username=data["username"],
                password=data["password"],
                consent=data["consent"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, "注册成功。金融发展服务中心核验企业信息后，您即可享受全部服务。"
            )
            return redirect("home")
    return render(request, "enterprises/register.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    if not request.user.is_enterprise_member or not request.user.enterprise_id:
        raise PermissionDenied
    enterprise = request.user.enterprise
    form = EnterpriseProfileForm(request.POST or None, instance=enterprise)
    if request.method == "POST" and form.is_valid():
        changed = {field: form.cleaned_data[field] for field in form.changed_data}
        try:
            enterprise_update_profile(
                enterprise=Enterprise.objects.get(pk=enterprise.pk), data=changed
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "企业信息已保存。")
            return redirect("enterprises:profile")
    return render(request, "enterprises/profile.html", {"form": form, "enterprise": enterprise})


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_district_staff or request.user.is_platform_admin):
        raise PermissionDenied
    enterprises = (
        Enterprise.objects.for_user(request.user)
        .select_related("region", "industry_chain")
        .order_by("-created_at")
    )
    return render(request, "enterprises/staff_list.html", {"enterprises": enterprises[:200]})


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    if not (request.user.is_district_staff or request.user.is_platform_admin):
        raise PermissionDenied
    enterprise = get_object_or_404(Enterprise.objects.for_user(request.user), pk=pk)
    enterprise_verify(enterprise=enterprise, verified_by=request.user)
    messages.success(request, f"已核验：{enterprise.name}")
    return redirect("enterprises:staff_list")
