"""Reads of the loan-product catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from banks.filters import ProductFilter
from banks.models import Bank, LoanProduct, LoanProductQuerySet
from catalogue.models import CatalogueChange, CatalogueKind
from regions.models import Region


def public_products() -> LoanProductQuerySet:
    """Published products with what their list rows show (a fixed number of queries per page)."""
    return (
        LoanProduct.objects.published()
        .select_related("bank", "branch", "region")
        .prefetch_related(Prefetch("regions_served", queryset=Region.objects.order_by("code")))
    )


def product_search(params: Mapping[str, Any], queryset: QuerySet | None = None) -> ProductFilter:
    """The bound catalogue filter over ``queryset`` (default: published products).

    The default leaves out the search columns (matched and ranked in SQL, never shown).
    """
    if queryset is None:
        queryset = public_products().defer("search_text", "search_title")
    return ProductFilter(params, queryset=queryset)


def banks_with_products() -> QuerySet[Bank]:
    """Banks that have at least one published product, for the bank filter."""
    # EXISTS rather than a DISTINCT join: one index probe per bank, not a scan of the products.
    published = LoanProduct.objects.published().filter(bank_id=OuterRef("pk"))
    return Bank.objects.filter(Exists(published)).order_by("name")


def product_history(product: LoanProduct) -> QuerySet[CatalogueChange]:
    """The change history of a product, newest first."""
    return CatalogueChange.objects.filter(
        kind=CatalogueKind.PRODUCT, object_id=product.pk
    ).select_related("user")
