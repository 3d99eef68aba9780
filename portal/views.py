"""Portal-wide pages: the landing page, each role's home, health."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "portal/landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {"user": user}
    if user.is_enterprise_member and user.enterprise_id:
        context["enterprise"] = user.enterprise
    return render(request, f"portal/home_{user.role}.html", context)


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database readiness for load balancers and docker compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means not ready
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
