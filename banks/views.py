"""Public pages of the loan-product catalogue: browse, search, detail."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from banks.models import LoanProduct
from banks.selectors import banks_with_products, product_search, public_products
from catalogue.cache import cached_public_page, catalogue_cached
from catalogue.views_common import (
    catalogue_params,
    paginate,
    querystring_without_page,
    region_choices,
)
from eligibility.selectors import net_cost_for_viewer


@cached_public_page("products")
def product_list(request: HttpRequest) -> HttpResponse:
    """Search and filter published loan products."""
    params = catalogue_params(request)
    found = product_search(params)
    banks = catalogue_cached(
        "bank-choices", lambda: [(str(b.pk), b.name) for b in banks_with_products()]
    )
    bank_choices = [("", "全部银行"), *banks]
    found.form.fields["bank"].widget = forms.Select(choices=bank_choices)
    found.form.fields["region_code"].widget = forms.Select(choices=region_choices())
    page = paginate(request, found.qs)
    return render(
        request,
        "banks/product_list.html",
        {
            "filter": found,
            "form": found.form,
            "page": page,
            "querystring": querystring_without_page(params),
            "save_params": params.urlencode(),
            "searching": bool(params.get("search")),
        },
    )


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One product with its terms and the source passage it comes from.

    Staff of the product's region also see drafts (to preview before publishing).
    """
    product = public_products().filter(pk=pk).first()
    if product is None:
        product = get_object_or_404(
            LoanProduct.objects.for_user(request.user).select_related("bank", "branch"), pk=pk
        )
    net_cost = net_cost_for_viewer(product, request.user)  # after 贴息 / 担保费补贴
    return render(request, "banks/product_detail.html", {"product": product, "net_cost": net_cost})
