"""Serializers of the policy catalogue API (shared/contracts/eligibility-api.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.api.serializers import SourceSerializer
from catalogue.text import plain_text
from policies.models import Policy


class PolicySerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    source = SourceSerializer(source="*", read_only=True, help_text="政策出处")
    expired = serializers.SerializerMethodField(help_text="截止日期已过")
    summary = serializers.SerializerMethodField()
    conditions_text = serializers.SerializerMethodField()
    benefit_text = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = [
            "id",
            "key",
            "title",
            "issuer",
            "document_number",
            "batch",
            "region_code",
            "region_name",
            "category",
            "support_type",
            "beneficiary",
            "valid_from",
            "valid_to",
            "expired",
            "max_amount_yuan",
            "summary",
            "conditions_text",
            "benefit_text",
            "materials",
            "contact",
            "source",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_expired(self, obj: Policy) -> bool:
        return obj.is_expired()

    def get_summary(self, obj: Policy) -> str:
        return plain_text(obj.summary)

    def get_conditions_text(self, obj: Policy) -> str:
        return plain_text(obj.conditions_text)

    def get_benefit_text(self, obj: Policy) -> str:
        return plain_text(obj.benefit_text)
