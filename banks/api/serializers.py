"""Serializers of the loan-product API (shared/contracts/eligibility-api.md)."""

from __future__ import annotations

from rest_framework import serializers

from banks.models import LoanProduct
from catalogue.api.serializers import SourceSerializer
from catalogue.text import plain_text


class LoanProductSerializer(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.name", read_only=True)
    bank_id = serializers.IntegerField(read_only=True)
    branch = serializers.CharField(source="branch.name", read_only=True, default=None)
    regions_served = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    target_customers = serializers.SerializerMethodField()
    conditions_text = serializers.SerializerMethodField()
    rate_min_percent = serializers.DecimalField(
        max_digits=6, decimal_places=3, read_only=True, coerce_to_string=True
    )
    source = SourceSerializer(source="*", read_only=True, help_text="产品出处")

    class Meta:
        model = LoanProduct
        fields = [
            "id",
            "key",
            "name",
            "bank",
            "bank_id",
            "branch",
            "product_class",
            "description",
            "target_customers",
            "conditions_text",
            "customer_types",
            "min_amount_yuan",
            "max_amount_yuan",
            "max_term_months",
            "rate_text",
            "rate_min_percent",
            "guarantee_methods",
            "guarantee_fee_text",
            "materials",
            "regions_served",
            "source",
        ]
        read_only_fields = fields

    def get_regions_served(self, obj: LoanProduct) -> list[str]:
        return [region.code for region in obj.regions_served.all()]

    def get_description(self, obj: LoanProduct) -> str:
        return plain_text(obj.description)

    def get_target_customers(self, obj: LoanProduct) -> str:
        return plain_text(obj.target_customers)

    def get_conditions_text(self, obj: LoanProduct) -> str:
        return plain_text(obj.conditions_text)
