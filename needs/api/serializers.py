"""Serializers of the needs API (contract: /work/shared/contracts/operations.md)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from needs.models import (
    ContactChannel,
    DeclineReason,
    FinancingNeed,
    GuaranteeMethod,
    NeedAttachment,
    NeedEvent,
    Purpose,
    Urgency,
)
from needs.states import action_label, status_label
from portal.validators import validate_phone
from privacy.selectors import need_contact_api


class NeedSubmitSerializer(serializers.Serializer):
    amount_yuan = serializers.IntegerField(min_value=10_000, max_value=10**11)
    term_months = serializers.IntegerField(min_value=1, max_value=360)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    guarantee_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=GuaranteeMethod.choices),
        allow_empty=False,
        max_length=4,
    )
    collateral = serializers.CharField(max_length=500, required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=64)
    contact_phone = serializers.CharField(max_length=20, validators=[validate_phone])
    products = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=5
    )


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    action_label = serializers.SerializerMethodField()
    from_status_label = serializers.SerializerMethodField()
    to_status_label = serializers.SerializerMethodField()

    class Meta:
        model = NeedEvent
        fields = [
            "id",
            "action",
            "action_label",
            "actor",
            "from_status",
            "from_status_label",
            "to_status",
            "to_status_label",
            "note",
            "data",
            "created_at",
        ]

    def get_actor(self, event: NeedEvent) -> str:
        return str(event.actor) if event.actor_id else "系统"

    def get_action_label(self, event: NeedEvent) -> str:
        return "提交需求" if event.action == "submit" else action_label(event.action)

    def get_from_status_label(self, event: NeedEvent) -> str:
        return status_label(event.from_status) if event.from_status else ""

    def get_to_status_label(self, event: NeedEvent) -> str:
        return status_label(event.to_status) if event.to_status else ""


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = NeedAttachment
        fields = ["id", "original_name", "content_type", "size", "is_material", "created_at", "url"]

    def get_url(self, attachment: NeedAttachment) -> str:
        from django.urls import reverse

        return reverse("needs:attachment", args=[attachment.need_id, attachment.pk])


class NeedSerializer(serializers.ModelSerializer):
    """The shape of a need in the API (and the OpenAPI schema). The views build the same JSON by
    hand in ``needs.api.representation``; ``tests/needs/test_api_shape.py`` keeps them equal."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    purpose_label = serializers.CharField(source="get_purpose_display", read_only=True)
    enterprise = serializers.SerializerMethodField()
    assigned_bank = serializers.SerializerMethodField()
    assigned_branch = serializers.SerializerMethodField()
    assigned_officer = serializers.SerializerMethodField()
    products = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta:
        model = FinancingNeed
        fields = [
            "id",
            "status",
            "status_label",
            "enterprise",
            "amount_yuan",
            "term_months",
            "purpose",
            "purpose_label",
            "guarantee_methods",
            "collateral",
            "urgency",
            "description",
            "contact_name",
            "contact_phone",
            "products",
            "assigned_bank",
            "assigned_branch",
            "assigned_officer",
            "proposed_product",
            "proposed_amount_yuan",
            "proposed_rate_percent",
            "proposed_term_months",
            "approved_amount_yuan",
            "disbursed_amount_yuan",
            "disbursed_on",
            "created_at",
            "accepted_at",
            "first_contact_at",
            "decided_at",
            "closed_at",
            "events",
        ]
        read_only_fields = fields

    def to_representation(self, need: FinancingNeed) -> dict:
        # Contact details masked unless the reader is the firm or the consented assigned officer.
        return need_contact_api(self.context, need, super().to_representation(need))

    def get_enterprise(self, need: FinancingNeed) -> dict:
        return {"id": need.enterprise_id, "name": need.enterprise.name}

    def get_assigned_bank(self, need: FinancingNeed) -> dict | None:
        branch = need.assigned_branch
        if branch is None:
            return None
        return {"id": branch.bank_id, "name": branch.bank.name}

    def get_assigned_branch(self, need: FinancingNeed) -> dict | None:
        branch = need.assigned_branch
        return {"id": branch.pk, "name": branch.name} if branch else None

    def get_assigned_officer(self, need: FinancingNeed) -> dict | None:
        officer = need.assigned_officer
        return {"id": officer.pk, "name": str(officer)} if officer else None


class NeedDetailSerializer(NeedSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    deadlines = serializers.SerializerMethodField()

    class Meta(NeedSerializer.Meta):
        fields = [*NeedSerializer.Meta.fields, "attachments", "deadlines"]
        read_only_fields = fields

    def get_deadlines(self, need: FinancingNeed) -> list[dict]:
        return [
            {
                "kind": deadline.kind,
                "label": deadline.get_kind_display(),
                "due_at": deadline.due_at,
                "met_at": deadline.met_at,
                "calendar_estimated": deadline.calendar_estimated,
            }
            for deadline in need.deadlines.all()
            if deadline.assignment.outcome == "open" or deadline.met_at
        ]


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ContactSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    note = serializers.CharField(max_length=2000)


class RequestMaterialsSerializer(NoteSerializer):
    items = serializers.CharField(max_length=1000)


class ProposeSerializer(NoteSerializer):
    product = serializers.CharField(max_length=128)
    amount_yuan = serializers.IntegerField(min_value=1, max_value=10**11)
    rate_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("35.99")
    )
    term_months = serializers.IntegerField(min_value=1, max_value=360)


class AmountSerializer(NoteSerializer):
    amount_yuan = serializers.IntegerField(min_value=1, max_value=10**11)


class DisburseSerializer(AmountSerializer):
    disbursed_on = serializers.DateField()


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)
    note = serializers.CharField(max_length=2000)


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class TransferSerializer(NoteSerializer):
    branch = serializers.IntegerField(required=False, min_value=1)
    officer = serializers.IntegerField(required=False, min_value=1)


class AssignOfficerSerializer(NoteSerializer):
    officer = serializers.IntegerField(min_value=1)


class StaffAssignSerializer(NoteSerializer):
    branch = serializers.IntegerField(min_value=1)


class UploadSerializer(NoteSerializer):
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False, max_length=10)
