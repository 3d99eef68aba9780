"""``/api/v1/stats/``: the dashboard's numbers, scoped as the pages are (outsiders get 404).

Every endpoint takes the dashboard's filters as query parameters (``start``, ``end`` as
YYYY-MM-DD, ``chain``, ``bank``, ``size``, ``region``) and answers amounts in integer yuan.
"""

from __future__ import annotations

from typing import ClassVar

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from dashboards.assessment import Month, bank_assessment
from dashboards.scoping import check_region, ensure_dashboard, ensure_district
from dashboards.selectors import DIMENSIONS, Filters, dashboard_data_cached
from regions.models import Region

FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="起始日期（含），默认近 12 个月"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="截止日期（含），默认今天"),
    OpenApiParameter("chain", OpenApiTypes.INT, description="产业链编号"),
    OpenApiParameter("bank", OpenApiTypes.INT, description="银行编号（当前承办银行）"),
    OpenApiParameter("size", OpenApiTypes.STR, description="企业规模（none = 未划型）"),
    OpenApiParameter("region", OpenApiTypes.STR, description="本辖区内的行政区划代码"),
]


def _filters(request: Request) -> Filters:
    filters = Filters.from_params(request.query_params)
    check_region(request.user, filters.region)
    return filters


class StatsView(APIView):
    """One slice of the dashboard's numbers (``sections``) for the caller's scope."""

    sections: ClassVar[list[str]] = []
    district_only = False

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: dict})
    def get(self, request: Request, **kwargs) -> Response:
        (ensure_district if self.district_only else ensure_dashboard)(request.user)
        data = dashboard_data_cached(request.user, _filters(request), sections=self.sections)
        return Response(data)


class SummaryView(StatsView):
    """Totals (counts, amounts, 授信率, 资金到位率, medians, overdue) and needs by status."""

    sections: ClassVar[list[str]] = ["totals", "by_status"]


class DeclinesView(StatsView):
    """How often banks declined, by reason."""

    sections: ClassVar[list[str]] = ["declines"]


class OverdueView(StatsView):
    """The oldest overdue cases (at most 50)."""

    sections: ClassVar[list[str]] = ["overdue"]


class ApplicationsView(StatsView):
    """Policy applications and payouts by policy (district staff)."""

    sections: ClassVar[list[str]] = ["applications"]
    district_only = True


class CatalogueView(StatsView):
    """The most viewed and the most matched policies and products (district staff)."""

    sections: ClassVar[list[str]] = ["catalogue"]
    district_only = True


class DimensionView(APIView):
    """The totals grouped by ``bank``, ``chain``, ``month`` or ``size``."""

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: dict})
    def get(self, request: Request, dimension: str) -> Response:
        ensure_dashboard(request.user)
        if dimension not in DIMENSIONS:
            raise Http404
        data = dashboard_data_cached(request.user, _filters(request), sections=[f"by_{dimension}"])
        return Response(
            {
                "filters": data["filters"],
                "counted_at": data["counted_at"],
                "results": data[f"by_{dimension}"],
            }
        )


class AssessmentView(APIView):
    """The bank assessment (考核) of a month, with every raw value, score and weight."""

    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM，默认上月"),
            OpenApiParameter("region", OpenApiTypes.STR, description="本辖区内的行政区划代码"),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        user = request.user
        ensure_district(user)
        code = check_region(user, request.query_params.get("region", "").strip())
        region = (
            Region.objects.get(code=code) if code else (user.region if user.region_id else None)
        )
        month = Month.parse(request.query_params.get("month"), Month.previous(timezone.localdate()))
        return Response(bank_assessment(region=region, month=month))


class StatsRootView(APIView):
    """The list of stats endpoints."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        ensure_dashboard(request.user)
        names = ["summary", "declines", "overdue", "applications", "catalogue", "assessment"]
        links = {name: reverse(f"api-stats-{name}", request=request) for name in names}
        for dimension in DIMENSIONS:
            links[f"by_{dimension}"] = reverse(
                "api-stats-by", kwargs={"dimension": dimension}, request=request
            )
        return Response(links)
