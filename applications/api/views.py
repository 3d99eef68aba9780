"""API: /api/v1/applications/ — apply, scoped reads (404 outside scope), one endpoint per step.

Every step is audited as an :class:`~applications.models.ApplicationEvent` by the services; a
step the current state does not allow answers 409 with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from applications import services
from applications.api import serializers as s
from applications.models import PolicyApplication
from applications.selectors import application_detail_queryset, application_list
from applications.services import OTHER_MATERIAL
from policies.models import Policy


def _files(request: Request, materials: list[str]) -> list[tuple[str, Any]]:
    """``material_<n>`` → the n-th checklist item; ``other_files`` → 其他材料."""
    out: list[tuple[str, Any]] = []
    for key in request.FILES:
        if key == "other_files":
            out.extend((OTHER_MATERIAL, f) for f in request.FILES.getlist(key))
            continue
        prefix, _, index = key.partition("_")
        if prefix != "material" or not index.isdigit() or int(index) >= len(materials):
            raise serializers.ValidationError(
                {key: "未知的材料字段：应为 material_<序号> 或 other_files。"}
            )
        out.extend((materials[int(index)], f) for f in request.FILES.getlist(key))
    return out


def _facts(raw: Any) -> dict:
    if isinstance(raw, str):  # multipart: facts as a JSON text
        try:
            raw = json.loads(raw or "{}")
        except ValueError as exc:
            raise serializers.ValidationError({"facts": "应为 JSON 对象。"}) from exc
    if not isinstance(raw, dict):
        raise serializers.ValidationError({"facts": "应为 JSON 对象。"})
    return raw


class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Policy applications, scoped by ``PolicyApplication.objects.for_user``; others get 404."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status", "policy", "year"]

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            return application_list(user).order_by("-created_at", "-id")
        return application_detail_queryset(user)

    def get_serializer_class(self):
        if self.action == "create":
            return s.ApplySerializer
        if self.action == "list":
            return s.ApplicationSerializer
        return s.ApplicationDetailSerializer

    def _detail(self, user: User, pk: int) -> Response:
        fresh = application_detail_queryset(user).filter(pk=pk).first()
        if fresh is None:
            return Response({"id": pk, "status": PolicyApplication.objects.get(pk=pk).status})
        return Response(s.ApplicationDetailSerializer(fresh).data)

    @extend_schema(request=s.ApplySerializer, responses={201: s.ApplicationDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        if not (user.is_enterprise_member and user.enterprise_id):
            return Response(
                {"detail": "只有企业用户可以提交申报。"}, status=status.HTTP_403_FORBIDDEN
            )
        data = request.data.copy() if hasattr(request.data, "copy") else dict(request.data)
        serializer = s.ApplySerializer(data=data)
        serializer.is_valid(raise_exception=True)
        policy = Policy.objects.published().filter(pk=serializer.validated_data["policy"]).first()
        if policy is None:
            raise serializers.ValidationError({"policy": "政策不存在或未发布。"})
        application = services.policy_application_submit(
            enterprise=user.enterprise,
            policy=policy,
            submitted_by=user,
            facts=_facts(serializer.validated_data["facts"]),
            files=_files(request, list(policy.materials or [])),
            declaration=serializer.validated_data["declaration"],
        )
        response = self._detail(user, application.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    def _run(
        self,
        request: Request,
        serializer_class,
        call: Callable[[PolicyApplication, User, dict], Any],
    ) -> Response:
        application = get_object_or_404(
            PolicyApplication.objects.for_user(request.user), pk=self.kwargs["pk"]
        )  # 404 outside the user's scope
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(application, request.user, serializer.validated_data)
        return self._detail(request.user, application.pk)

    @extend_schema(request=s.ConfirmSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """免申即享: confirm a pre-filled draft."""
        return self._run(
            request,
            s.ConfirmSerializer,
            lambda a, u, d: services.policy_application_confirm(
                application=a, actor=u, declaration=d["declaration"]
            ),
        )

    @extend_schema(request=s.ResubmitSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str | None = None) -> Response:
        def call(a: PolicyApplication, u: User, d: dict) -> None:
            services.policy_application_resubmit(
                application=a,
                actor=u,
                facts=_facts(d["facts"]),
                files=_files(request, list(a.policy.materials or [])),
                note=d["note"],
            )

        return self._run(request, s.ResubmitSerializer, call)

    @extend_schema(request=s.ApplicationNoteSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.ApplicationNoteSerializer,
            lambda a, u, d: services.policy_application_accept(
                application=a, actor=u, note=d["note"]
            ),
        )

    @extend_schema(request=s.ReturnSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_correction(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.ReturnSerializer,
            lambda a, u, d: services.policy_application_return(
                application=a,
                actor=u,
                items=d["items"],
                correction_due_on=d["correction_due_on"],
            ),
        )

    @extend_schema(request=s.ApproveSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.ApproveSerializer,
            lambda a, u, d: services.policy_application_approve(
                application=a, actor=u, amount_yuan=d["amount_yuan"], reason=d["reason"]
            ),
        )

    @extend_schema(request=s.RejectSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.RejectSerializer,
            lambda a, u, d: services.policy_application_reject(
                application=a, actor=u, reason=d["reason"]
            ),
        )

    @extend_schema(request=s.PublicizeSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def publicize(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.PublicizeSerializer,
            lambda a, u, d: services.policy_application_publicize(
                application=a,
                actor=u,
                ends_on=d["ends_on"],
                starts_on=d["starts_on"],
                note=d["note"],
            ),
        )

    @extend_schema(request=s.PaySerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.PaySerializer,
            lambda a, u, d: services.policy_application_pay(
                application=a,
                actor=u,
                amount_yuan=d["amount_yuan"],
                paid_on=d["paid_on"],
                note=d["note"],
            ),
        )

    @extend_schema(request=s.ApplicationNoteSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.ApplicationNoteSerializer,
            lambda a, u, d: services.policy_application_withdraw(
                application=a, actor=u, note=d["note"]
            ),
        )

    @extend_schema(request=s.ApplicationCommentSerializer, responses=s.ApplicationDetailSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.ApplicationCommentSerializer,
            lambda a, u, d: services.policy_application_comment(
                application=a, actor=u, text=d["text"]
            ),
        )
