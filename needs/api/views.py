"""API: /api/v1/needs/ — submit, scoped reads (404 outside scope), one endpoint per step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, User
from banks.models import Branch
from enterprises.models import Enterprise
from needs import services
from needs.api import representation as rep
from needs.api import serializers as s
from needs.models import FinancingNeed
from needs.selectors import need_list


def _user(pk: int, field: str) -> User:
    user = User.objects.filter(
        pk=pk, role__in=[Role.BANK_OFFICER, Role.BANK_MANAGER], is_active=True
    ).first()
    if user is None:
        raise serializers.ValidationError({field: "客户经理不存在。"})
    return user


def _branch(pk: int) -> Branch:
    branch = Branch.objects.filter(pk=pk).first()
    if branch is None:
        raise serializers.ValidationError({"branch": "网点不存在。"})
    return branch


class NeedStatusSerializer(serializers.Serializer):
    """What a step answers when it moved the need out of the actor's scope (e.g. a decline):
    its id and status only, with ``in_scope`` false (which also tells the two answers apart)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    in_scope = serializers.BooleanField()


#: A step answers the need as the actor now sees it, or only its id and status once the actor
#: can no longer see it.
STEP_RESPONSE = PolymorphicProxySerializer(
    component_name="NeedStepResult",
    serializers=[s.NeedDetailSerializer, NeedStatusSerializer],
    resource_type_field_name=None,
)


class NeedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Financing needs. Reads are scoped by ``FinancingNeed.objects.for_user``; others get 404."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status", "purpose"]

    def get_queryset(self):
        user = self.request.user
        if self.action in ("list", "retrieve"):
            # The timeline, products, files and deadlines are read as values (representation).
            return need_list(user)
        return FinancingNeed.objects.for_user(user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        scoped = self.filter_queryset(self.get_queryset())
        queryset = scoped.values(*rep.NEED_VALUES)
        context = self.get_serializer_context()
        # Counted without the joins of the shown columns (a bank's list holds thousands).
        page = (
            None
            if self.paginator is None
            else self.paginator.paginate_queryset(queryset, request, view=self, count_from=scoped)
        )
        if page is None:
            return Response(rep.need_list_data(list(queryset), context))
        return self.get_paginated_response(rep.need_list_data(list(page), context))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(rep.need_detail_data(self.get_object(), self.get_serializer_context()))

    def get_serializer_class(self):
        if self.action == "create":
            return s.NeedSubmitSerializer
        if self.action == "retrieve":
            return s.NeedDetailSerializer
        return s.NeedSerializer

    @extend_schema(request=s.NeedSubmitSerializer, responses={201: s.NeedDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        if not (user.is_enterprise_member and user.enterprise_id):
            return Response(
                {"detail": "只有企业用户可以提交融资需求。"}, status=status.HTTP_403_FORBIDDEN
            )
        serializer = s.NeedSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # With its region: the audit entry is filed under it.
        enterprise = Enterprise.objects.select_related("region").get(pk=user.enterprise_id)
        done = services.financing_need_submission(
            enterprise=enterprise,
            submitted_by=user,
            data=serializer.validated_data,
            attachments=request.FILES.getlist("attachments"),
        )
        # The answer is what was just committed, built from memory (no deadlines before routing).
        # As before, it is serialized without the request: contact details masked, no read logged.
        event = done.event
        answer = rep.need_detail_data(
            done.need,
            {},
            products=[product.pk for product in done.products],
            events=[rep.event_data(rep.event_values(event, actor=user))],
            attachments=[rep.attachment_data(rep.attachment_values(a)) for a in done.attachments],
            deadlines=[],
        )
        return Response(answer, status=status.HTTP_201_CREATED)

    def _run(
        self, request: Request, serializer_class, call: Callable[[FinancingNeed, User, dict], Any]
    ) -> Response:
        need = self.get_object()  # 404 outside the user's scope
        data = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = call(need, request.user, data)
        products = rep.scoped_products(request.user, need.pk)
        if products is None:  # the step moved the need out of the user's scope (e.g. a decline)
            current = FinancingNeed.objects.filter(pk=need.pk).values_list("status", flat=True)
            return Response({"id": need.pk, "status": current.get(), "in_scope": False})
        if isinstance(result, FinancingNeed) and result.pk == need.pk:
            fresh = result  # the locked row as the step saved it, with its relations loaded
        else:
            fresh = need_list(request.user).get(pk=need.pk)
        # Serialized without the request, as before: contact details masked, no read logged.
        return Response(rep.need_detail_data(fresh, {}, products=products))

    @extend_schema(request=s.NoteSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.NoteSerializer,
            lambda need, user, d: services.financing_need_accept(
                need=need, actor=user, note=d["note"]
            ),
        )

    @extend_schema(request=s.ContactSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def contact(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.ContactSerializer,
            lambda need, user, d: services.financing_need_contact(
                need=need, actor=user, channel=d["channel"], note=d["note"]
            ),
        )

    @extend_schema(request=s.RequestMaterialsSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"], url_path="request-materials")
    def request_materials(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.RequestMaterialsSerializer,
            lambda need, user, d: services.financing_need_request_materials(
                need=need, actor=user, items=d["items"], note=d["note"]
            ),
        )

    @extend_schema(request=s.ProposeSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def propose(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.ProposeSerializer,
            lambda need, user, d: services.financing_need_propose(
                need=need,
                actor=user,
                product=d["product"],
                amount_yuan=d["amount_yuan"],
                rate_percent=d["rate_percent"],
                term_months=d["term_months"],
                note=d["note"],
            ),
        )

    @extend_schema(request=s.AmountSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.AmountSerializer,
            lambda need, user, d: services.financing_need_approve(
                need=need, actor=user, amount_yuan=d["amount_yuan"], note=d["note"]
            ),
        )

    @extend_schema(request=s.DisburseSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def disburse(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.DisburseSerializer,
            lambda need, user, d: services.financing_need_disburse(
                need=need,
                actor=user,
                amount_yuan=d["amount_yuan"],
                disbursed_on=d["disbursed_on"],
                note=d["note"],
            ),
        )

    @extend_schema(request=s.DeclineSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.DeclineSerializer,
            lambda need, user, d: services.financing_need_decline(
                need=need, actor=user, reason=d["reason"], note=d["note"]
            ),
        )

    @extend_schema(request=s.TransferSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        def call(need, user, d):
            services.financing_need_transfer(
                need=need,
                actor=user,
                branch=_branch(d["branch"]) if d.get("branch") else None,
                officer=_user(d["officer"], "officer") if d.get("officer") else None,
                note=d["note"],
            )

        return self._run(request, s.TransferSerializer, call)

    @extend_schema(request=s.AssignOfficerSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"], url_path="assign-officer")
    def assign_officer(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.AssignOfficerSerializer,
            lambda need, user, d: services.financing_need_assign_officer(
                need=need, actor=user, officer=_user(d["officer"], "officer"), note=d["note"]
            ),
        )

    @extend_schema(request=s.StaffAssignSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"], url_path="staff-assign")
    def staff_assign(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.StaffAssignSerializer,
            lambda need, user, d: services.financing_need_staff_assign(
                need=need, actor=user, branch=_branch(d["branch"]), note=d["note"]
            ),
        )

    @extend_schema(request=s.NoteSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.NoteSerializer,
            lambda need, user, d: services.financing_need_withdraw(
                need=need, actor=user, note=d["note"]
            ),
        )

    @extend_schema(request=s.NoteSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"], url_path="another-bank")
    def another_bank(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.NoteSerializer,
            lambda need, user, d: services.financing_need_request_another_bank(
                need=need, actor=user, note=d["note"]
            ),
        )

    @extend_schema(request=s.RateSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.RateSerializer,
            lambda need, user, d: services.financing_need_rate(
                need=need, actor=user, score=d["score"], comment=d["comment"]
            ),
        )

    @extend_schema(request=s.CommentSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.CommentSerializer,
            lambda need, user, d: services.financing_need_comment(
                need=need, actor=user, text=d["text"]
            ),
        )

    @extend_schema(request=s.UploadSerializer, responses=STEP_RESPONSE)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def materials(self, request: Request, pk: str | None = None) -> Response:
        return self._run(
            request,
            s.NoteSerializer,
            lambda need, user, d: services.financing_need_upload(
                need=need, actor=user, files=request.FILES.getlist("files"), note=d["note"]
            ),
        )
