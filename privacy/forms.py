"""Forms of the privacy pages."""

from __future__ import annotations

from django import forms


class ReviewRequestForm(forms.Form):
    reason = forms.CharField(
        label="申请理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="请说明您认为自动测算结果有误的原因，工作人员将人工复核并答复。",
        error_messages={"required": "请说明需要人工复核的理由。"},
    )


class ReviewAnswerForm(forms.Form):
    answer = forms.CharField(
        label="复核意见",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写复核意见。"},
    )
