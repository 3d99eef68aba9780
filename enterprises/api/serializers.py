"""Serializers for enterprises."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from enterprises.models import Enterprise, Qualification
from enterprises.validators import normalise_uscc, validate_uscc
from portal.validators import validate_phone
from regions.models import Region


class EnterpriseSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    size_class_label = serializers.CharField(source="get_size_class_display", read_only=True)
    # Blank until the size is known: the schema's enum must admit "".
    size_class = serializers.ChoiceField(
        choices=Enterprise._meta.get_field("size_class").choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "name",
            "region_code",
            "industry_code",
            "industry_chain",
            "annual_revenue_yuan",
            "employees",
            "total_assets_yuan",
            "founded_on",
            "qualifications",
            "credit_rating",
            "size_class",
            "size_class_label",
            "verified_at",
        ]
        read_only_fields = fields


class EnterpriseProfileSerializer(serializers.Serializer):
    """The profile fields a firm member may change."""

    name = serializers.CharField(max_length=128, required=False)
    industry_code = serializers.RegexField(r"^[A-T](\d{2,4})?$", required=False, allow_blank=True)
    annual_revenue_yuan = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    employees = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    total_assets_yuan = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    founded_on = serializers.DateField(required=False, allow_null=True)
    qualifications = serializers.ListField(
        child=serializers.ChoiceField(choices=Qualification.choices), required=False
    )
    credit_rating = serializers.CharField(max_length=8, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=64, required=False)
    contact_phone = serializers.CharField(
        max_length=20, required=False, validators=[validate_phone]
    )
    email = serializers.EmailField(required=False, allow_blank=True)


class RegionCodeField(serializers.SlugRelatedField):
    """A region by its administrative code; anything but digits is refused before the lookup
    (PostgreSQL cannot even compare a text holding a NUL byte)."""

    def to_internal_value(self, data: Any) -> Region:
        if not isinstance(data, str) or not data.isdigit() or len(data) > 12:
            self.fail("invalid")
        return super().to_internal_value(data)


class EnterpriseRegistrationSerializer(serializers.Serializer):
    uscc = serializers.CharField(max_length=24)
    name = serializers.CharField(max_length=128)
    region_code = RegionCodeField(
        slug_field="code", queryset=Region.objects.filter(level__in=["district", "zone"])
    )
    contact_name = serializers.CharField(max_length=64)
    contact_phone = serializers.CharField(max_length=20, validators=[validate_phone])
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    consent = serializers.BooleanField()

    def validate_uscc(self, value: str) -> str:
        code = normalise_uscc(value)
        validate_uscc(code)
        return code
