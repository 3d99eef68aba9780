"""The inbox page and notification preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from notifications.models import Notification, NotificationPreference
from notifications.services import notification_mark_read, notification_preference_update


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label="通过电子邮件通知我", required=False)
    sms_enabled = forms.BooleanField(label="通过短信通知我", required=False)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.for_user(request.user), 20).get_page(
        request.GET.get("page")
    )
    preference = NotificationPreference.objects.filter(user=request.user).first()
    form = PreferenceForm(
        initial={
            "email_enabled": preference.email_enabled if preference else True,
            "sms_enabled": preference.sms_enabled if preference else False,
        }
    )
    return render(request, "notifications/inbox.html", {"page": page, "form": form})


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
        notification_preference_update(user=request.user, **form.cleaned_data)
        messages.success(request, "通知偏好已保存。")
    return redirect("notifications:inbox")
