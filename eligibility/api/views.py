"""The eligibility API of ``shared/contracts/eligibility-api.md``: facts, eligibility, matching.

Open to anonymous visitors (as the public calculator is) with the generous ``anon`` rate.
The endpoints only evaluate: they store nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eligibility.api.rendering import eligibility_json, fast_path_applies
from eligibility.api.serializers import EligibilityRequestSerializer, ProductMatchRequestSerializer
from eligibility.facts import facts_catalogue
from eligibility.selectors import (
    Need,
    eligibility_results,
    ensure_catalogue_facts,
    parse_request_facts,
    product_match,
)
from portal.api.throttles import AnonRateThrottle, UserRateThrottle


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
    def post(self, request: Request) -> HttpResponse:
        data = self._facts_only(request.data)
        if data is None:
            serializer = EligibilityRequestSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        facts = data.get("facts") or {}
        as_of = data.get("as_of") or timezone.localdate()
        policy_ids = data.get("policies") or None
        renderer = getattr(request, "accepted_renderer", None)
        if fast_path_applies(renderer, getattr(request, "accepted_media_type", None)):
            # The very bytes (and Content-Type) JSONRenderer would give, from pre-encoded parts.
            content = eligibility_json(facts=facts, as_of=as_of, policy_ids=policy_ids)
            return HttpResponse(content, content_type=renderer.media_type)
        results = eligibility_results(facts=facts, as_of=as_of, policy_ids=policy_ids)
        return Response({"results": results})

    @staticmethod
    def _facts_only(raw: Any) -> dict[str, Any] | None:
        """The validated body when it holds only valid ``facts`` and ``as_of`` (what the
        serializer would give: the same fact parser, the same date format); None for anything
        else, which the serializer then validates (and explains)."""
        if type(raw) is not dict or not set(raw) <= {"facts", "as_of"}:
            return None
        data: dict[str, Any] = {"facts": {}}
        as_of = raw.get("as_of")
        if as_of is not None:
            if type(as_of) is not str:
                return None
            try:
                data["as_of"] = datetime.strptime(as_of, "%Y-%m-%d").date()
            except ValueError:
                return None
        if "facts" in raw:
            if type(raw["facts"]) is not dict:
                return None
            data["facts"], errors = parse_request_facts(raw["facts"])
            if errors:
                return None
        return data


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
