"""The one filter of the policy catalogue: the API, the public page and saved searches use it."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.db.models import F, Q
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
    # The policy's maximum benefit (the cap its current terms give). The page asks in 万元 like the
    # product filter; the API also takes yuan (the contract's unit for money). A policy whose terms
    # state no cap passes a lower bound (it may pay more) but not an upper one.
    amount_min_wan = django_filters.NumberFilter(
        label="最高支持金额不低于（万元）", method="filter_amount_min", min_value=0
    )
    amount_max_wan = django_filters.NumberFilter(
        label="最高支持金额不高于（万元）", method="filter_amount_max", min_value=0
    )
    max_amount_yuan_min = django_filters.NumberFilter(
        label="最高支持金额不低于（元）", method="filter_amount_min", min_value=0
    )
    max_amount_yuan_max = django_filters.NumberFilter(
        label="最高支持金额不高于（元）", method="filter_amount_max", min_value=0
    )
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

    @staticmethod
    def _yuan(name: str, value: Decimal) -> int:
        return int(value * 10000) if name.endswith("_wan") else int(value)

    def filter_amount_min(self, queryset, name: str, value: Decimal):
        """Policies that may pay at least this much (no stated cap included)."""
        yuan = self._yuan(name, value)
        return queryset.filter(Q(max_amount_yuan__isnull=True) | Q(max_amount_yuan__gte=yuan))

    def filter_amount_max(self, queryset, name: str, value: Decimal):
        """Policies whose stated cap is at most this much."""
        return queryset.filter(max_amount_yuan__lte=self._yuan(name, value))

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
