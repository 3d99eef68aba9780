"""Login with an optional second factor, and the page to turn the second factor on or off."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe

from accounts import totp
from accounts.forms import OTPCodeForm
from accounts.models import TOTPDevice, User
from accounts.services import (
    totp_check,
    totp_disable,
    totp_enrol_confirm,
    totp_enrol_start,
    totp_required,
)

PENDING_KEY = "otp_pending"
# The password step is valid for this long before the code must be entered.
PENDING_SECONDS = 300


class PortalLoginView(auth_views.LoginView):
    """Password first; an account with a second factor then goes to the code step, not logged in."""

    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        if not totp_required(user):
            return super().form_valid(form)
        # Not logged in yet: the session only remembers who passed the password step. The
        # session key is cycled here and again at login, so a planted key never carries over.
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_redirect_url(),
        }
        return redirect("accounts:otp_verify")


def _pending_user(request: HttpRequest) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user = User.objects.filter(pk=pending.get("user_id"), is_active=True).first()
    return user, pending


def otp_verify_view(request: HttpRequest) -> HttpResponse:
    """The second login step: a code from the authenticator app."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, "登录已超时，请重新输入用户名和密码。")
        return redirect("login")
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_check(user=user, code=form.cleaned_data["code"]):
            request.session.pop(PENDING_KEY, None)
            login(request, user, backend=pending["backend"])
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = reverse("home")
            return HttpResponseRedirect(target)
        # A wrong code counts as a failed login, so guessing codes runs into the same lockout.
        user_login_failed.send(
            sender=__name__, credentials={"username": user.username}, request=request
        )
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_KEY, None)
        form.add_error("code", "动态验证码不正确或已过期。")
    return render(
        request, "accounts/otp_verify.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def otp_settings_view(request: HttpRequest) -> HttpResponse:
    """Turn the second factor on (secret, then a code to confirm) or off."""
    user = request.user
    if not user.can_use_second_factor:
        raise PermissionDenied
    device = TOTPDevice.objects.filter(user=user).first()
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "start":
                device = totp_enrol_start(user=user)
                form = OTPCodeForm()
            elif step == "confirm" and form.is_valid():
                totp_enrol_confirm(user=user, code=form.cleaned_data["code"])
                messages.success(request, "动态验证码已启用，下次登录时需要输入。")
                return redirect("accounts:otp_settings")
            elif step == "disable" and form.is_valid():
                totp_disable(user=user, code=form.cleaned_data["code"])
                messages.success(request, "动态验证码已关闭。")
                return redirect("accounts:otp_settings")
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("code" if "code" in form.fields else None, message)
    context = {"device": device, "form": form}
    if device is not None and not device.is_confirmed:
        context["secret"] = device.secret
        context["uri"] = totp.provisioning_uri(context["secret"], account=user.username)
        context["qr_svg"] = mark_safe(totp.provisioning_qr_svg(context["uri"]))  # noqa: S308
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "accounts/otp_settings.html", context, status=status)
