"""Forms for firm self-registration and profile editing."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from enterprises.models import Enterprise, Qualification
from enterprises.validators import normalise_uscc, validate_uscc
from portal.validators import validate_phone
from privacy.texts import REGISTRATION_TEXT
from regions.models import Region


class EnterpriseRegistrationForm(forms.Form):
    uscc = forms.CharField(label="统一社会信用代码", max_length=24, help_text="18位，见营业执照")
    name = forms.CharField(label="企业名称", max_length=128)
    region = forms.ModelChoiceField(
        label="注册地",
        queryset=Region.objects.filter(level__in=["district", "zone"]),
        empty_label="请选择区县",
    )
    contact_name = forms.CharField(label="联系人", max_length=64)
    contact_phone = forms.CharField(label="联系电话", max_length=20, validators=[validate_phone])
    email = forms.EmailField(label="电子邮箱", required=False)
    username = forms.CharField(label="登录用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, strip=False)
    password_confirm = forms.CharField(label="确认密码", widget=forms.PasswordInput, strip=False)
    consent = forms.BooleanField(
        label=REGISTRATION_TEXT,
        required=True,
        error_messages={"required": "请阅读并同意《个人信息处理规则》后再注册。"},
    )

    def clean_uscc(self) -> str:
        code = normalise_uscc(self.cleaned_data["uscc"])
        validate_uscc(code)
        return code

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_confirm"):
            self.add_error("password_confirm", "两次输入的密码不一致。")
        return cleaned

    def apply_errors(self, exc: ValidationError) -> None:
        """Attach a service's per-field errors to this form."""
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class EnterpriseProfileForm(forms.ModelForm):
    qualifications = forms.MultipleChoiceField(
        label="资质",
        choices=Qualification.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "industry_code",
            "industry_chain",
            "annual_revenue_yuan",
            "employees",
            "total_assets_yuan",
            "founded_on",
            "qualifications",
            "credit_rating",
            "contact_name",
            "contact_phone",
            "email",
        ]
        widgets = {"founded_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industry_chain"].queryset = (
            self.instance.region.chains.all() if self.instance.region_id else []
        )
        self.fields["contact_phone"].validators.append(validate_phone)
