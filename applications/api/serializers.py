"""Serializers of the applications API (/api/v1/applications/)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from applications.models import ApplicationEvent, ApplicationFile, PolicyApplication
from applications.states import action_label, status_label


class ApplicationEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    action_label = serializers.SerializerMethodField()
    from_status_label = serializers.SerializerMethodField()
    to_status_label = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
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

    def get_actor(self, event: ApplicationEvent) -> str:
        return str(event.actor) if event.actor_id else "系统"

    def get_action_label(self, event: ApplicationEvent) -> str:
        return action_label(event.action)

    def get_from_status_label(self, event: ApplicationEvent) -> str:
        return status_label(event.from_status) if event.from_status else ""

    def get_to_status_label(self, event: ApplicationEvent) -> str:
        return status_label(event.to_status) if event.to_status else ""


class FileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationFile
        fields = ["id", "material", "original_name", "content_type", "size", "created_at", "url"]

    def get_url(self, item: ApplicationFile) -> str:
        return reverse("applications:file", args=[item.application_id, item.pk])


class ApplicationSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    enterprise = serializers.SerializerMethodField()
    policy = serializers.SerializerMethodField()

    class Meta:
        model = PolicyApplication
        fields = [
            "id",
            "status",
            "status_label",
            "enterprise",
            "policy",
            "year",
            "proactive",
            "eligible",
            "computed_amount_yuan",
            "max_amount_yuan",
            "formula",
            "approved_amount_yuan",
            "amount_reason",
            "decision_note",
            "return_items",
            "correction_due_on",
            "review_due_on",
            "publicity_starts_on",
            "publicity_ends_on",
            "paid_amount_yuan",
            "paid_on",
            "created_at",
            "submitted_at",
            "decided_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_enterprise(self, application: PolicyApplication) -> dict:
        return {"id": application.enterprise_id, "name": application.enterprise.name}

    def get_policy(self, application: PolicyApplication) -> dict:
        policy = application.policy
        return {"id": policy.pk, "title": policy.title, "region_code": policy.region.code}


class ApplicationDetailSerializer(ApplicationSerializer):
    facts = serializers.JSONField(read_only=True)
    evaluation = serializers.JSONField(read_only=True)
    files = FileSerializer(many=True, read_only=True)
    events = ApplicationEventSerializer(many=True, read_only=True)

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "facts",
            "evaluation",
            "declaration",
            "declared_at",
            "files",
            "events",
        ]
        read_only_fields = fields


class ApplySerializer(serializers.Serializer):
    """Multipart or JSON. Files: ``material_<n>`` for the n-th item of the policy's materials
    (0-based), ``other_files`` for anything else."""

    policy = serializers.IntegerField(min_value=1)
    facts = serializers.JSONField(required=False, default=dict)
    declaration = serializers.BooleanField()


class ApplicationNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConfirmSerializer(serializers.Serializer):
    declaration = serializers.BooleanField()


class ResubmitSerializer(ApplicationNoteSerializer):
    facts = serializers.JSONField(required=False, default=dict)


class ReturnSerializer(serializers.Serializer):
    items = serializers.CharField(max_length=2000)
    correction_due_on = serializers.DateField(required=False, allow_null=True, default=None)


class ApproveSerializer(serializers.Serializer):
    amount_yuan = serializers.IntegerField(min_value=1, max_value=10**11)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class PublicizeSerializer(ApplicationNoteSerializer):
    ends_on = serializers.DateField()
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)


class PaySerializer(ApplicationNoteSerializer):
    amount_yuan = serializers.IntegerField(min_value=1, max_value=10**11)
    paid_on = serializers.DateField()


class ApplicationCommentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
