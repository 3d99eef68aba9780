"""API: the public policy catalogue, read-only."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from catalogue.cache import CachedPublicListMixin
from catalogue.paging import CataloguePagination
from policies.api.serializers import PolicySerializer
from policies.filters import PolicyFilter
from policies.selectors import public_policies

LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="中文关键词，如 贴息、算力、知识产权"),
    OpenApiParameter(
        "region_code", OpenApiTypes.STR, description="企业所在区县代码：含市、省级政策"
    ),
    OpenApiParameter("in_force_on", OpenApiTypes.DATE, description="有效日期，默认今天"),
    OpenApiParameter("include_expired", OpenApiTypes.BOOL, description="true：含已过期政策"),
    OpenApiParameter(
        "max_amount_yuan_min",
        OpenApiTypes.INT,
        description="最高支持金额不低于（元）；未写明上限的政策也列出",
    ),
    OpenApiParameter(
        "max_amount_yuan_max", OpenApiTypes.INT, description="最高支持金额不高于（元）"
    ),
]


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class PolicyViewSet(CachedPublicListMixin, viewsets.ReadOnlyModelViewSet):
    """Published policies; search, filters and paging as the contract describes."""

    serializer_class = PolicySerializer
    cache_kind = "api-policies"
    filterset_class = PolicyFilter
    pagination_class = CataloguePagination
    permission_classes = [permissions.AllowAny]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        # Read-only: the search columns (matched in SQL, never shown) are not loaded.
        return public_policies().defer("search_text", "search_title")
