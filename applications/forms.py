"""Forms of the application pages. Money is entered in 万元 and cleaned to integer yuan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from applications.services import DECLARATION, OTHER_MATERIAL
from eligibility.facts import FactSpec
from portal.uploads import ALLOWED, ALLOWED_LABEL

ACCEPT_ATTR = ",".join(sorted(ALLOWED))
FILE_HELP = f"{ALLOWED_LABEL}，单个文件不超过 20 MB。"


class WanField(forms.DecimalField):
    """An amount in 万元 (up to four decimals, i.e. whole yuan) cleaned to integer yuan."""

    def __init__(self, *args: Any, minimum: Decimal = Decimal("0.0001"), **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("min_value", minimum)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            # "f": plain digits (normalize() alone would give 3.2E+3 for 3200万元).
            return format((Decimal(value) / 10_000).normalize(), "f")
        return value

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 10_000)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTR}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _fact_field(spec: FactSpec) -> forms.Field:
    label = spec.label
    if spec.is_money:
        return WanField(label=f"{label}（万元）", required=False, minimum=Decimal(0))
    if spec.type == "integer":
        unit = f"（{spec.unit}）" if spec.unit else ""
        return forms.IntegerField(label=label + unit, required=False, min_value=spec.minimum)
    if spec.type == "number":
        unit = f"（{spec.unit}）" if spec.unit else ""
        return forms.DecimalField(label=label + unit, required=False, min_value=spec.minimum)
    if spec.type == "boolean":
        return forms.TypedChoiceField(
            label=label,
            required=False,
            choices=[("", "请选择"), ("true", "是"), ("false", "否")],
            coerce=lambda v: v == "true",
            empty_value=None,
        )
    if spec.type == "date":
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if spec.type == "list":
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=[(c, spec.choice_label(c)) for c in spec.choices],
            widget=forms.CheckboxSelectMultiple,
        )
    if spec.type == "enum":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "请选择"), *[(c, spec.choice_label(c)) for c in spec.choices]],
        )
    return forms.CharField(label=label, required=False, max_length=200)


def _initial(spec: FactSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "boolean":
        return "true" if value else "false"
    return value


class FactsMixin:
    """Fields ``fact_<name>`` for the facts a rule reads, pre-filled from the firm's profile."""

    fact_specs: list[FactSpec]

    def add_fact_fields(self, specs: list[FactSpec], values: dict[str, Any]) -> None:
        self.fact_specs = specs
        for spec in specs:
            field = _fact_field(spec)
            field.initial = _initial(spec, values.get(spec.name))
            self.fields[f"fact_{spec.name}"] = field  # type: ignore[attr-defined]

    def facts(self) -> dict[str, Any]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        out: dict[str, Any] = {}
        for spec in self.fact_specs:
            value = data.get(f"fact_{spec.name}")
            if value is None or value == "":
                out[spec.name] = None
            elif spec.type == "integer" and not isinstance(value, int):
                out[spec.name] = int(value)
            else:
                out[spec.name] = value
        return out

    def fact_fields(self):
        return [self[f"fact_{spec.name}"] for spec in self.fact_specs]  # type: ignore[index]


class MaterialsMixin:
    """One required upload per item of the policy's checklist, plus optional other files."""

    materials: list[str]

    def add_material_fields(self, materials: list[str], *, needed: bool) -> None:
        """``needed``: each item must be uploaded (applying); else only what changes (补正).

        The fields stay optional in the form: the service names every missing item at once."""
        self.materials = list(materials)
        for index, material in enumerate(self.materials):
            self.fields[f"material_{index}"] = forms.FileField(  # type: ignore[attr-defined]
                label=material,
                required=False,
                help_text=("必传。" if needed else "如需更换或补充请上传。") + FILE_HELP,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR}),
            )
        self.fields["other_files"] = MultipleFileField(  # type: ignore[attr-defined]
            label=OTHER_MATERIAL, required=False, help_text="可选。" + FILE_HELP
        )

    def files_list(self) -> list[tuple[str, Any]]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        out = []
        for index, material in enumerate(self.materials):
            upload = data.get(f"material_{index}")
            if upload:
                out.append((material, upload))
        out.extend((OTHER_MATERIAL, upload) for upload in data.get("other_files") or [])
        return out

    def material_fields(self):
        return [self[f"material_{i}"] for i in range(len(self.materials))] + [  # type: ignore[index]
            self["other_files"]  # type: ignore[index]
        ]


class ApplyForm(FactsMixin, MaterialsMixin, forms.Form):
    declaration = forms.BooleanField(label=DECLARATION, required=False)

    def __init__(self, *args: Any, specs, values, materials, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_fact_fields(specs, values)
        self.add_material_fields(materials, needed=True)


class ResubmitForm(FactsMixin, MaterialsMixin, forms.Form):
    note = forms.CharField(
        label="补正说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, specs, values, materials, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_fact_fields(specs, values)
        self.add_material_fields(materials, needed=False)


class ConfirmForm(forms.Form):
    declaration = forms.BooleanField(label=DECLARATION, required=True)


class NoteForm(forms.Form):
    note = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReturnForm(forms.Form):
    items = forms.CharField(
        label="需补正的内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    correction_due_on = forms.DateField(
        label="补正截止日期",
        required=False,
        help_text="不填则为 15 日后。",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ApproveForm(forms.Form):
    amount_yuan = WanField(label="核定金额（万元）")
    reason = forms.CharField(
        label="金额调整理由",
        required=False,
        max_length=2000,
        help_text="核定金额与测算金额不同时必填。",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="不通过理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PublicizeForm(forms.Form):
    ends_on = forms.DateField(label="公示截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="公示说明", required=False, max_length=2000)


class PayForm(forms.Form):
    amount_yuan = WanField(label="兑现金额（万元）")
    paid_on = forms.DateField(
        label="兑现日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )
    note = forms.CharField(label="说明", required=False, max_length=2000)


class CommentForm(forms.Form):
    text = forms.CharField(label="留言", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
