"""Public pages of the policy catalogue: browse, search, detail."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from catalogue.cache import cached_public_page
from catalogue.views_common import (
    catalogue_params,
    paginate,
    querystring_without_page,
    region_choices,
)
from policies.models import Policy
from policies.selectors import policy_rules, policy_search, public_policies


@cached_public_page("policies")
def policy_list(request: HttpRequest) -> HttpResponse:
    """Search and filter published policies; expired ones only on request, and marked."""
    params = catalogue_params(request)
    found = policy_search(params)
    found.form.fields["region_code"].widget = forms.Select(choices=region_choices())
    page = paginate(request, found.qs)
    return render(
        request,
        "policies/list.html",
        {
            "filter": found,
            "form": found.form,
            "page": page,
            "querystring": querystring_without_page(params),
            "save_params": params.urlencode(),
            "searching": bool(params.get("search")),
        },
    )


def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One policy with its terms, materials, contact and the source passage it comes from.

    Staff of the policy's region also see drafts (to preview before publishing).
    """
    policy = public_policies().filter(pk=pk).first()
    if policy is None:
        policy = get_object_or_404(
            Policy.objects.for_user(request.user).select_related("region"), pk=pk
        )
    return render(
        request,
        "policies/detail.html",
        {"policy": policy, "rules": policy_rules(policy)},
    )
