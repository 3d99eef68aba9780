"""Staff forms of the catalogue. They validate input and hand plain values to the services."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from banks.models import Bank, Branch, CustomerType, GuaranteeMethod, LoanProduct
from catalogue.rules import rule_errors
from policies.models import Policy
from regions.models import Region
from regions.selectors import within_region_q

WAN = Decimal(10000)


def _regions_for(user: User):
    regions = Region.objects.order_by("code")
    if user.is_platform_admin:
        return regions
    return regions.filter(within_region_q(user.region.code, field="code"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class _ServiceErrorsMixin:
    def apply_errors(self, exc: ValidationError) -> None:
        """Show a service's ValidationError on the matching fields."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                target = field if field in self.fields else None
                if field == "rule":
                    target = "rule_json"
                elif field == "materials":
                    target = "materials_text"
                self.add_error(target, errors)
        else:
            self.add_error(None, exc.messages)


class PolicyForm(_ServiceErrorsMixin, forms.ModelForm):
    key = forms.SlugField(
        label="标识", max_length=120, help_text="英文小写、数字和连字符，创建后不可修改"
    )
    materials_text = forms.CharField(
        label="申报材料",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一项",
    )
    rule_json = forms.CharField(
        label="条款（JSON）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "code"}),
        help_text="按 docs/rules.md 填写条件与支持标准；留空表示不修改",
    )
    rule_valid_from = forms.DateField(
        label="新条款生效日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="晚于现行条款生效日期时另立新版本，旧条款保留用于以往申报",
    )

    class Meta:
        model = Policy
        fields = [
            "title",
            "issuer",
            "document_number",
            "batch",
            "region",
            "category",
            "support_type",
            "beneficiary",
            "valid_from",
            "valid_to",
            "summary",
            "conditions_text",
            "benefit_text",
            "contact",
            "source_file",
            "source_title",
            "source_passage",
        ]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "conditions_text": forms.Textarea(attrs={"rows": 3}),
            "benefit_text": forms.Textarea(attrs={"rows": 3}),
            "source_passage": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User, policy: Policy | None = None, **kwargs: Any):
        if policy is not None:
            initial = {name: getattr(policy, name) for name in self.Meta.fields}
            initial["region"] = policy.region_id
            initial["key"] = policy.key
            initial["materials_text"] = "\n".join(policy.materials)
            current = policy.rules.order_by("-valid_from").first()
            if current is not None:
                initial["rule_json"] = json.dumps(current.data, ensure_ascii=False, indent=2)
            kwargs["initial"] = initial
        super().__init__(*args, instance=Policy(), **kwargs)
        self.fields["region"].queryset = _regions_for(user)
        if policy is not None:
            self.fields["key"].disabled = True
            self.fields["key"].required = False

    def _post_clean(self) -> None:
        # The model's own checks run in the service, on the record being changed.
        pass

    def clean_rule_json(self) -> dict | None:
        text = self.cleaned_data.get("rule_json", "").strip()
        if not text:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"不是有效的 JSON：第{exc.lineno}行第{exc.colno}列") from exc
        errors = rule_errors(data)
        if errors:
            raise ValidationError(errors)
        return data

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["materials"] = _lines(self.cleaned_data.get("materials_text", ""))
        return data


# 1,000亿元: above any loan in the compendium, and far inside a 64-bit count of yuan.
MAX_AMOUNT_WAN = 10_000_000


class ProductForm(_ServiceErrorsMixin, forms.ModelForm):
    key = forms.SlugField(
        label="标识", max_length=120, help_text="英文小写、数字和连字符，创建后不可修改"
    )
    customer_types = forms.MultipleChoiceField(
        label="客户类型",
        required=False,
        choices=CustomerType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    guarantee_methods = forms.MultipleChoiceField(
        label="担保方式",
        required=False,
        choices=GuaranteeMethod.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    min_amount_wan = forms.DecimalField(
        label="最低额度（万元）",
        required=False,
        min_value=0,
        max_value=MAX_AMOUNT_WAN,
        decimal_places=4,
        help_text="原文未载明时留空",
    )
    max_amount_wan = forms.DecimalField(
        label="最高额度（万元）",
        required=False,
        min_value=0,
        max_value=MAX_AMOUNT_WAN,
        decimal_places=4,
        help_text="原文未载明时留空",
    )
    materials_text = forms.CharField(
        label="申报材料",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一项",
    )

    class Meta:
        model = LoanProduct
        fields = [
            "name",
            "bank",
            "branch",
            "region",
            "product_class",
            "description",
            "target_customers",
            "conditions_text",
            "max_term_months",
            "rate_text",
            "rate_min_percent",
            "guarantee_fee_text",
            "regions_served",
            "source_file",
            "source_title",
            "source_passage",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "target_customers": forms.Textarea(attrs={"rows": 2}),
            "conditions_text": forms.Textarea(attrs={"rows": 3}),
            "source_passage": forms.Textarea(attrs={"rows": 3}),
            "regions_served": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, user: User, product: LoanProduct | None = None, **kwargs: Any):
        if product is not None:
            initial = {name: getattr(product, name) for name in self.Meta.fields}
            initial.update(
                bank=product.bank_id,
                branch=product.branch_id,
                region=product.region_id,
                regions_served=[r.pk for r in product.regions_served.all()],
                key=product.key,
                customer_types=product.customer_types,
                guarantee_methods=product.guarantee_methods,
                materials_text="\n".join(product.materials),
                min_amount_wan=_to_wan(product.min_amount_yuan),
                max_amount_wan=_to_wan(product.max_amount_yuan),
            )
            kwargs["initial"] = initial
        super().__init__(*args, instance=LoanProduct(), **kwargs)
        self.fields["bank"].queryset = Bank.objects.order_by("name")
        self.fields["branch"].queryset = Branch.objects.select_related("bank").order_by("name")
        self.fields["region"].queryset = _regions_for(user)
        self.fields["regions_served"].queryset = Region.objects.order_by("code")
        if product is not None:
            self.fields["key"].disabled = True
            self.fields["key"].required = False

    def _post_clean(self) -> None:
        # The amounts live in the form as 万元; the model's own checks run in the service.
        pass

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["regions_served"] = list(self.cleaned_data.get("regions_served") or [])
        data["customer_types"] = list(self.cleaned_data.get("customer_types") or [])
        data["guarantee_methods"] = list(self.cleaned_data.get("guarantee_methods") or [])
        data["materials"] = _lines(self.cleaned_data.get("materials_text", ""))
        data["min_amount_yuan"] = _to_yuan(self.cleaned_data.get("min_amount_wan"))
        data["max_amount_yuan"] = _to_yuan(self.cleaned_data.get("max_amount_wan"))
        return data


def _to_wan(yuan: int | None) -> Decimal | None:
    return None if yuan is None else (Decimal(yuan) / WAN).normalize()


def _to_yuan(wan: Decimal | None) -> int | None:
    return None if wan is None else int((wan * WAN).to_integral_value())


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）", help_text="“信贷产品”和/或“政策”工作表")

    def clean_file(self):
        """Only a real .xlsx within the upload limits (a zip bomb is refused before openpyxl
        inflates it)."""
        from portal.uploads import check_upload

        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise ValidationError("请上传 Excel（.xlsx）文件。")
        check_upload(upload, folder="imports")
        return upload


class SavedSearchForm(forms.Form):
    kind = forms.ChoiceField(choices=[("policy", "政策"), ("product", "信贷产品")])
    params = forms.CharField(required=False, max_length=2000)
    name = forms.CharField(required=False, max_length=100)
