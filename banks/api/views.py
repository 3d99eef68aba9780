"""API: the public loan-product catalogue, read-only."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from banks.api.serializers import LoanProductSerializer
from banks.filters import ProductFilter
from banks.selectors import public_products
from catalogue.cache import CachedPublicListMixin
from catalogue.paging import CataloguePagination

LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="中文关键词"),
    OpenApiParameter("bank", OpenApiTypes.STR, description="银行编号、全称或简称"),
    OpenApiParameter(
        "guarantee", OpenApiTypes.STR, description="担保方式：credit、mortgage、pledge、guarantee"
    ),
]


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class LoanProductViewSet(CachedPublicListMixin, viewsets.ReadOnlyModelViewSet):
    """Published loan products; search, filters and paging as the contract describes."""

    serializer_class = LoanProductSerializer
    cache_kind = "api-products"
    filterset_class = ProductFilter
    pagination_class = CataloguePagination
    permission_classes = [permissions.AllowAny]
    # Digits only, so that other routes under products/ (e.g. products/match/) stay free.
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        # Read-only: the search columns (matched in SQL, never shown) are not loaded.
        return public_products().defer("search_text", "search_title")
