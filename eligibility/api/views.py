"""The eligibility API of ``shared/contracts/eligibility-api.md``: facts, eligibility, matching.

Open to anonymous visitors (as the public calculator is) with the generous ``anon`` rate.
The endpoints only evaluate: they store nothing.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from eligibility.api.serializers import EligibilityRequestSerializer, ProductMatchRequestSerializer
from eligibility.facts import facts_catalogue
from eligibility.selectors import Need, eligibility_results, ensure_catalogue_facts, product_match


class PublicAPIView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]


class FactsView(PublicAPIView):
    """Every fact name the engine knows, with its type, unit and Chinese label."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        ensure_catalogue_facts()
        facts = facts_catalogue()
        return Response({"count": len(facts), "results": facts})


class EligibilityView(PublicAPIView):
    """Evaluate facts against the policies in force on ``as_of`` (default today)."""

    @extend_schema(request=EligibilityRequestSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        serializer = EligibilityRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        results = eligibility_results(
            facts=data.get("facts") or {},
            as_of=data.get("as_of") or timezone.localdate(),
            policy_ids=data.get("policies") or None,
        )
        return Response({"results": results})


class ProductMatchView(PublicAPIView):
    """Loan products whose terms admit a need, and near misses with what fails."""

    @extend_schema(request=ProductMatchRequestSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        serializer = ProductMatchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        need_data = data.get("need") or {}
        need = Need(
            amount_yuan=need_data.get("amount_yuan"),
            term_months=need_data.get("term_months"),
            guarantee_methods=tuple(need_data.get("guarantee_methods") or ()),
        )
        return Response(product_match(facts=data.get("facts") or {}, need=need))
