"""The one filter of the policy catalogue: the API, the public page and saved searches use it."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F
from django.utils import timezone

from catalogue.search import search_queryset
from policies.models import Beneficiary, Category, PolicyQuerySet, SupportType
from regions.codes import is_valid_region_code

SORTS = [
    ("relevance", "相关度"),
    ("newest", "最新生效"),
    ("expiring", "即将截止"),
    ("title", "名称"),
]
# Nulls placed explicitly: PostgreSQL and SQLite disagree on where they go by default, and both
# backends must give the same order.
NEWEST = (F("valid_from").desc(nulls_last=True), F("pk").desc())
SORT_ORDERS = {
    "newest": NEWEST,
    "expiring": (F("valid_to").asc(nulls_last=True), F("pk").desc()),
    "title": (F("title").asc(), F("pk").asc()),
}


class PolicyFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(label="关键词", method="filter_noop")
    region_code = django_filters.CharFilter(
        label="适用地区", method="filter_region", help_text="含所在市、省的政策"
    )
    category = django_filters.ChoiceFilter(label="类别", choices=Category.choices)
    support_type = django_filters.ChoiceFilter(label="支持方式", choices=SupportType.choices)
    beneficiary = django_filters.ChoiceFilter(label="支持对象", choices=Beneficiary.choices)
    in_force_on = django_filters.DateFilter(
        label="有效日期", method="filter_noop", widget=forms.DateInput(attrs={"type": "date"})
    )
    include_expired = django_filters.BooleanFilter(
        label="显示已过期政策", method="filter_noop", widget=forms.CheckboxInput
    )
    open_now = django_filters.BooleanFilter(
        label="仅看今日有效（正在申报）",
        method="filter_noop",
        widget=forms.CheckboxInput,
        help_text="已开始且未截止的政策",
    )
    sort = django_filters.ChoiceFilter(
        label="排序", choices=SORTS, method="filter_noop", empty_label="默认"
    )

    def filter_noop(self, queryset, name, value):
        # Applied together in filter_queryset: they depend on each other.
        return queryset

    def filter_region(self, queryset: PolicyQuerySet, name: str, value: str):
        value = value.strip()
        if not is_valid_region_code(value):
            return queryset.none()
        return queryset.applying_to(value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("open_now"):
            queryset = queryset.in_force_on(timezone.localdate())
        elif not data.get("include_expired"):
            queryset = queryset.in_force_on(data.get("in_force_on") or timezone.localdate())
        query = (data.get("search") or "").strip()
        sort = data.get("sort") or ("relevance" if query else "newest")
        if query:
            queryset = search_queryset(queryset, query)
        if sort == "relevance" and query:
            return queryset.order_by(F("rank").desc(), *NEWEST)
        return queryset.order_by(*SORT_ORDERS.get(sort, SORT_ORDERS["newest"]))
