"""The staff's page of the audit record (read-only: there is no page that edits it)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from audit.selectors import OBJECT_TYPE_LABELS, audit_entries


@login_required
@require_safe
def audit_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_district_staff or user.is_platform_admin):
        raise PermissionDenied
    filters = {
        "object_type": request.GET.get("object_type", "")[:64],
        "action": request.GET.get("action", "")[:48],
        "object_id": request.GET.get("object_id", "")[:64],
    }
    page = Paginator(audit_entries(user, **filters), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "entries": page.object_list,
            "filters": filters,
            "object_types": sorted(OBJECT_TYPE_LABELS.items(), key=lambda item: item[1]),
            "type_labels": OBJECT_TYPE_LABELS,
            "querystring": urlencode({k: v for k, v in filters.items() if v}),
        },
    )
