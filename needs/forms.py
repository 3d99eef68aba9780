"""Forms of the needs pages. Money is entered in 万元 and stored as integer yuan."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from accounts.models import Role, User
from banks.models import Branch, LoanProduct
from needs.models import (
    ContactChannel,
    DeclineReason,
    GuaranteeMethod,
    Purpose,
    Urgency,
)
from portal.uploads import ALLOWED, ALLOWED_LABEL
from portal.validators import validate_phone

ACCEPT_ATTR = ",".join(sorted(ALLOWED))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (``portal.uploads``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTR}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class WanField(forms.DecimalField):
    """An amount in 万元 (up to two decimals) cleaned to integer yuan."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 10_000)


def _product_choices() -> list[tuple[int, str]]:
    return [
        (product.pk, str(product))
        for product in LoanProduct.objects.published().select_related("bank").order_by("pk")[:300]
    ]


class NeedForm(forms.Form):
    amount_yuan = WanField(
        label="融资金额（万元）", min_value=Decimal("1"), help_text="至少 1 万元"
    )
    term_months = forms.IntegerField(label="期限（月）", min_value=1, max_value=360)
    purpose = forms.ChoiceField(label="用途", choices=[("", "请选择"), *Purpose.choices])
    guarantee_methods = forms.MultipleChoiceField(
        label="可接受的担保方式",
        choices=GuaranteeMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一种可接受的担保方式。"},
    )
    collateral = forms.CharField(
        label="可提供的抵质押物",
        max_length=500,
        required=False,
        help_text="如：厂房、设备、应收账款、知识产权",
    )
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    products = forms.TypedMultipleChoiceField(
        label="意向产品（可选）",
        coerce=int,
        required=False,
        choices=[],
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    description = forms.CharField(
        label="需求说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    contact_name = forms.CharField(label="联系人", max_length=64)
    contact_phone = forms.CharField(label="联系电话", max_length=20, validators=[validate_phone])
    attachments = MultipleFileField(
        label="附件（可选）",
        required=False,
        help_text=f"可上传 {ALLOWED_LABEL}，每个文件不超过 20 MB",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = _product_choices()
        if choices:
            self.fields["products"].choices = choices
        else:
            del self.fields["products"]


class NoteForm(forms.Form):
    note = forms.CharField(
        label="说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label="对接方式", choices=ContactChannel.choices)
    note = forms.CharField(
        label="对接情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RequestMaterialsForm(NoteForm):
    items = forms.CharField(label="需补充的材料", max_length=1000)


class ProposeForm(NoteForm):
    product = forms.CharField(label="产品名称", max_length=128)
    amount_yuan = WanField(label="方案金额（万元）")
    rate_percent = forms.DecimalField(
        label="年利率（%）",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("35.99"),
    )
    term_months = forms.IntegerField(label="期限（月）", min_value=1, max_value=360)


class ApproveForm(NoteForm):
    amount_yuan = WanField(label="授信金额（万元）")


class DisburseForm(NoteForm):
    amount_yuan = WanField(label="放款金额（万元）")
    disbursed_on = forms.DateField(
        label="放款日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(label="退回原因", choices=[("", "请选择"), *DeclineReason.choices])
    note = forms.CharField(
        label="退回说明", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label="服务评分",
        coerce=int,
        choices=[
            (5, "5 分 非常满意"),
            (4, "4 分 满意"),
            (3, "3 分 一般"),
            (2, "2 分 不满意"),
            (1, "1 分 很不满意"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="评价内容", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    text = forms.CharField(label="留言", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class UploadForm(NoteForm):
    files = MultipleFileField(label="上传材料", help_text=f"可上传 {ALLOWED_LABEL}")


class OfficerChoiceForm(NoteForm):
    officer = forms.ModelChoiceField(label="客户经理", queryset=User.objects.none())

    def __init__(self, *args, officers=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if officers is not None:
            self.fields["officer"].queryset = officers


class TransferForm(OfficerChoiceForm):
    """Transfer within the bank: to an officer of any of the bank's branches."""

    @staticmethod
    def officers_for(bank_id: int):
        return (
            User.objects.filter(branch__bank_id=bank_id, role=Role.BANK_OFFICER, is_active=True)
            .select_related("branch")
            .order_by("branch__name", "username")
        )


class StaffAssignForm(NoteForm):
    branch = forms.ModelChoiceField(
        label="承办网点", queryset=Branch.objects.select_related("bank").order_by("name")
    )
