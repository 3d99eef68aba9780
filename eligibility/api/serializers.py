"""Request validation of the eligibility API: Chinese messages per field, nothing stored."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from banks.models import GuaranteeMethod
from eligibility.selectors import missing_policy_ids, parse_request_facts


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know (a misspelt ``as_of`` must not pass silently)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["未知的字段"] for key in unknown})
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.OBJECT)
class FactsField(serializers.Field):
    """The ``facts`` object: every name known, every value of its type (eligibility.facts)."""

    default_error_messages = {"invalid": "应为对象（事实名称 → 值）"}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        facts, errors = parse_request_facts(data)
        if errors:
            raise serializers.ValidationError(errors)
        return facts

    def to_representation(self, value: Any) -> Any:
        return value


class EligibilityRequestSerializer(StrictSerializer):
    facts = FactsField(required=False, default=dict)
    policies = serializers.ListField(
        child=serializers.IntegerField(
            min_value=1,
            error_messages={"invalid": "政策编号应为正整数", "min_value": "政策编号应为正整数"},
        ),
        required=False,
        allow_null=True,
        allow_empty=False,
        max_length=2000,
        error_messages={
            "not_a_list": "应为政策编号列表",
            "empty": "政策编号列表不能为空（省略则测算全部政策）",
            "max_length": "一次最多测算2000项政策",
        },
    )
    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD", "datetime": "应为日期（YYYY-MM-DD）"},
    )

    def validate_policies(self, value: list[int] | None) -> list[int] | None:
        if value:
            missing = missing_policy_ids(value)
            if missing:
                raise serializers.ValidationError(
                    f"政策不存在或未发布：{'、'.join(str(pk) for pk in missing)}"
                )
        return value


class NeedSerializer(StrictSerializer):
    amount_yuan = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=10**13,
        error_messages={
            "invalid": "应为正整数（元）",
            "min_value": "应为正整数（元）",
            "max_value": "金额过大",
        },
    )
    term_months = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=600,
        error_messages={
            "invalid": "应为正整数（月）",
            "min_value": "应为正整数（月）",
            "max_value": "期限不能超过600个月",
        },
    )
    guarantee_methods = serializers.ListField(
        child=serializers.ChoiceField(
            choices=GuaranteeMethod.choices,
            error_messages={
                "invalid_choice": "未知的担保方式“{input}”，可选：credit、mortgage、pledge、guarantee"
            },
        ),
        required=False,
        error_messages={"not_a_list": "应为担保方式列表"},
    )


class ProductMatchRequestSerializer(StrictSerializer):
    facts = FactsField(required=False, default=dict)
    need = NeedSerializer(required=False, error_messages={"invalid": "应为对象"})
