"""Public pages of the policy catalogue: browse, search, detail."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from applications.selectors import application_counts_key
from catalogue.cache import cached_public_page
from catalogue.views_common import (
    catalogue_params,
    paginate,
    querystring_without_page,
    region_choices,
)
from policies.models import Policy
from policies.selectors import policy_rules, policy_search, public_policies


def _firm_region_code(request: HttpRequest) -> str | None:
    """The region of the signed-in user's firm, or None (visitors, banks, staff)."""
    user = request.user
    if not (user.is_authenticated and user.is_enterprise_member and user.enterprise_id):
        return None
    return user.enterprise.region.code


@cached_public_page("policies")
def policy_list(request: HttpRequest) -> HttpResponse:
    """Search and filter published policies; expired ones only on request, and marked.

    A firm's user first sees the policies reaching its own region (its district's, city's and
    province's); choosing 全部地区 (an empty ``region_code``) widens the list. Visitors see all.
    """
    params = catalogue_params(request)
    firm_region = None
    if "region_code" not in params:
        firm_region = _firm_region_code(request)
        if firm_region:
            params["region_code"] = firm_region
    found = policy_search(params)
    fields = found.form.fields
    fields["region_code"].widget = forms.Select(choices=region_choices())
    # The page asks in 万元; the yuan bounds (for API callers) are kept when given, not shown.
    fields["max_amount_yuan_min"].widget = forms.HiddenInput()
    fields["max_amount_yuan_max"].widget = forms.HiddenInput()
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
            "firm_region": firm_region,
        },
    )


def _application_counts_key(request: HttpRequest, pk: int) -> str:
    """The page's live part, its public application counts: named by a token that every
    application step replaces (read with the catalogue's, no query)."""
    return application_counts_key(pk)


# A visitor's page is kept until the catalogue changes (publishing, editing, withdrawing a policy
# are catalogue writes) or an application to the policy takes a step (the counts token is part
# of the key; a row changed outside the services shows within CATALOGUE_CACHE_SECONDS).
@cached_public_page("policy-detail", vary=_application_counts_key)
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
