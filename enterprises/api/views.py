"""API: firm registration, scoped enterprise reads, and the member's own profile."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from enterprises.api.serializers import (
    EnterpriseProfileSerializer,
    EnterpriseRegistrationSerializer,
    EnterpriseSerializer,
)
from enterprises.models import Enterprise
from enterprises.services import enterprise_register, enterprise_update_profile
from portal.api.throttles import AnonRateThrottle


class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = EnterpriseSerializer

    def get_queryset(self):
        return (
            Enterprise.objects.for_user(self.request.user).select_related("region").order_by("pk")
        )

    @extend_schema(request=EnterpriseRegistrationSerializer, responses={201: EnterpriseSerializer})
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[permissions.AllowAny],
        throttle_classes=[AnonRateThrottle],
        authentication_classes=[],
    )
    def register(self, request: Request) -> Response:
        serializer = EnterpriseRegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = enterprise_register(
            uscc=data["uscc"],
            name=data["name"],
            region=data["region_code"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            email=data["email"],
            username=data["username"],
            password=data["password"],
            consent=data["consent"],
        )
        return Response(EnterpriseSerializer(user.enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnterpriseProfileSerializer, responses=EnterpriseSerializer)
    @action(detail=False, methods=["get", "patch"])
    def me(self, request: Request) -> Response:
        enterprise = self.get_queryset().filter(pk=request.user.enterprise_id).first()
        if enterprise is None or not request.user.is_enterprise_member:
            return Response({"detail": "未找到。"}, status=status.HTTP_404_NOT_FOUND)
        if request.method == "PATCH":
            serializer = EnterpriseProfileSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            enterprise = enterprise_update_profile(
                enterprise=enterprise, data=serializer.validated_data
            )
        return Response(EnterpriseSerializer(enterprise).data)
