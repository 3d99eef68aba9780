"""Forms of the second factor."""

from __future__ import annotations

from django import forms


class OTPCodeForm(forms.Form):
    code = forms.CharField(
        label="动态验证码",
        min_length=6,
        max_length=8,
        help_text="打开身份验证器应用，输入当前显示的6位数字。",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "请输入动态验证码。", "min_length": "动态验证码为6位数字。"},
    )
