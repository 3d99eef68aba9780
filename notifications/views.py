"""The inbox page and notification preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from notifications.models import Notification, NotificationPreference
from notifications.services import notification_mark_read, notification_preference_update
from portal.validators import mask_phone


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label="通过电子邮件通知我", required=False)
    sms_enabled = forms.BooleanField(label="通过短信通知我", required=False)


def _inbox(request: HttpRequest, form: PreferenceForm | None = None, status: int = 200):
    page = Paginator(Notification.objects.for_user(request.user), 20).get_page(
        request.GET.get("page")
    )
    if form is None:
        preference = NotificationPreference.objects.filter(user=request.user).first()
        form = PreferenceForm(
            initial={
                "email_enabled": preference.email_enabled if preference else True,
                "sms_enabled": preference.sms_enabled if preference else False,
            }
        )
    user = request.user
    form.fields["email_enabled"].help_text = (
        f"发送至 {user.email}" if user.email else "账号未登记电子邮箱，暂不发送邮件。"
    )
    form.fields["sms_enabled"].help_text = (
        f"发送至 {mask_phone(user.phone)}" if user.phone else "账号未登记手机号。"
    )
    return render(request, "notifications/inbox.html", {"page": page, "form": form}, status=status)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Every role's inbox, with the delivery preferences beneath it."""
    return _inbox(request)


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    notification_mark_read(user=request.user)
    messages.success(request, "已全部标为已读。")
    return redirect("notifications:inbox")


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferenceForm(request.POST)
    if form.is_valid():
        try:
            notification_preference_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "通知偏好已保存。")
            return redirect("notifications:inbox")
    return _inbox(request, form, status=400)
