"""Forms of the public calculator: the scope (region, beneficiary) and the generated questions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from eligibility.facts import BENEFICIARY_KINDS, FactSpec

NONE_OF_THESE = "__none__"
_INT_RE = re.compile(r"^-?\d+$")
_NUM_RE = re.compile(r"^-?\d+(\.\d+)?$")


class ScopeForm(forms.Form):
    """Step 1: where the firm is registered and who applies."""

    region_code = forms.ChoiceField(
        label="企业注册地（区县）",
        help_text="政策按适用区域筛选：市级政策适用于其所辖各区县。",
        error_messages={"required": "请选择企业注册地。", "invalid_choice": "请选择列表中的地区。"},
    )
    beneficiary_kind = forms.ChoiceField(
        label="申请主体类型",
        choices=list(BENEFICIARY_KINDS.items()),
        initial="enterprise",
        error_messages={"invalid_choice": "请选择列表中的申请主体类型。"},
    )

    def __init__(self, *args: Any, regions: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = [("", "请选择"), *regions]


def _label(spec: FactSpec) -> str:
    return f"{spec.label}（{spec.unit}）" if spec.unit and spec.is_numeric else spec.label


def _field(spec: FactSpec) -> forms.Field:
    label = _label(spec)
    if spec.type == "boolean":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "不确定 / 暂不填写"), ("true", "是"), ("false", "否")],
        )
    if spec.type == "enum":
        choices = [(c, spec.choice_label(c)) for c in spec.choices]
        return forms.ChoiceField(
            label=label, required=False, choices=[("", "不确定 / 暂不填写"), *choices]
        )
    if spec.type == "list" and spec.choices:
        choices = [(c, spec.choice_label(c)) for c in spec.choices]
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=[*choices, (NONE_OF_THESE, "以上均无")],
            widget=forms.CheckboxSelectMultiple,
            help_text="不勾选表示暂不填写；确实没有请勾选“以上均无”。",
        )
    if spec.type == "list":
        return forms.CharField(
            label=label, required=False, help_text="多个代码用逗号分隔。", max_length=500
        )
    if spec.type == "date":
        return forms.CharField(
            label=label,
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
            help_text="格式 YYYY-MM-DD。",
        )
    if spec.is_numeric:
        help_text = "单位：元，如350万元填 3500000。" if spec.is_money else ""
        return forms.CharField(
            label=label,
            required=False,
            max_length=30,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            help_text=help_text,
        )
    return forms.CharField(label=label, required=False, max_length=200)


class QuestionsForm(forms.Form):
    """Step 2: one optional field per fact the candidate policies need, most decisive first.

    An empty answer means "not known": the engine then names the fact as missing, never
    counts it as false or zero.
    """

    def __init__(self, *args: Any, questions: list[FactSpec], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = {spec.name: spec for spec in questions}
        for spec in questions:
            self.fields[spec.name] = _field(spec)

    def raw_facts(self) -> dict[str, Any]:
        """The answers as the API's JSON values (for :func:`parse_facts`); blanks left out."""
        raw: dict[str, Any] = {}
        for name, spec in self.specs.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            raw[name] = to_raw(spec, value)
        return raw


def to_raw(spec: FactSpec, value: Any) -> Any:
    """A form value as the JSON value the API would receive."""
    if spec.type == "boolean":
        return {"true": True, "false": False}.get(value, value)
    if spec.type == "list":
        if isinstance(value, str):
            return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]
        return [] if NONE_OF_THESE in value else list(value)
    if spec.is_numeric and isinstance(value, str):
        text = value.replace(",", "").replace("，", "").replace(" ", "").strip()
        if spec.type == "integer" and _INT_RE.match(text):
            return int(text)
        if _NUM_RE.match(text):
            try:
                number = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern guarantees it parses
                return value
            return int(number) if number == number.to_integral_value() else number
        return value
    return value


def initial_from_facts(specs: Iterable[FactSpec], facts: Mapping[str, Any]) -> dict[str, Any]:
    """Form initial values from typed facts (the firm's profile)."""
    initial: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in facts:
            continue
        value = facts[spec.name]
        if spec.type == "boolean":
            initial[spec.name] = "true" if value else "false"
        elif spec.type == "list":
            value = list(value)
            initial[spec.name] = (value or [NONE_OF_THESE]) if spec.choices else ",".join(value)
        elif isinstance(value, date):
            initial[spec.name] = value.isoformat()
        else:
            initial[spec.name] = str(value)
    return initial
