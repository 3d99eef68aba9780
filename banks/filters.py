"""The one filter of the product catalogue: the API, the public page and saved searches use it."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import Exists, F, OuterRef, Q

from banks.models import GuaranteeMethod, LoanProduct, ProductClass
from catalogue.search import search_queryset
from regions.codes import ancestors, is_valid_region_code

SORTS = [
    ("relevance", "相关度"),
    ("amount", "最高额度从高到低"),
    ("term", "最长期限从长到短"),
    ("rate", "最低利率从低到高"),
    ("bank", "银行"),
]
# Nulls placed explicitly so that PostgreSQL and SQLite give the same order.
BY_BANK = (F("bank__name").asc(), F("name").asc(), F("pk").asc())
SORT_ORDERS = {
    "amount": (F("max_amount_yuan").desc(nulls_last=True), F("pk").asc()),
    "term": (F("max_term_months").desc(nulls_last=True), F("pk").asc()),
    "rate": (F("rate_min_percent").asc(nulls_last=True), F("pk").asc()),
    "bank": BY_BANK,
}


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(label="关键词", method="filter_noop")
    bank = django_filters.CharFilter(label="银行", method="filter_bank")
    guarantee = django_filters.ChoiceFilter(
        label="担保方式", choices=GuaranteeMethod.choices, method="filter_guarantee"
    )
    product_class = django_filters.ChoiceFilter(label="产品类别", choices=ProductClass.choices)
    region_code = django_filters.CharFilter(label="服务地区", method="filter_region")
    amount_wan = django_filters.NumberFilter(
        label="需要金额（万元）", method="filter_amount", min_value=0
    )
    amount_min_wan = django_filters.NumberFilter(
        label="额度不低于（万元）", method="filter_amount_min", min_value=0
    )
    amount_max_wan = django_filters.NumberFilter(
        label="额度不高于（万元）", method="filter_amount_max", min_value=0
    )
    sort = django_filters.ChoiceFilter(
        label="排序", choices=SORTS, method="filter_noop", empty_label="默认"
    )

    def filter_noop(self, queryset, name, value):
        # Applied in filter_queryset, after the other filters.
        return queryset

    def filter_bank(self, queryset, name, value):
        """A bank id, or its full or short name (工商银行 = 中国工商银行)."""
        value = value.strip()
        if value.isdigit():
            return queryset.filter(bank_id=int(value))
        return queryset.filter(Q(bank__name=value) | Q(bank__short_name=value))

    def filter_guarantee(self, queryset, name, value):
        return queryset.filter(guarantee_codes__contains=f" {value} ")

    def filter_region(self, queryset, name, value):
        """Products serving the region, its city or its province."""
        value = value.strip()
        if not is_valid_region_code(value):
            return queryset.none()
        served = LoanProduct.regions_served.through.objects.filter(
            loanproduct_id=OuterRef("pk"), region__code__in=ancestors(value)
        )
        return queryset.filter(Exists(served))

    def filter_amount(self, queryset, name, value: Decimal):
        """Products whose amount range admits the need; an unstated bound admits anything."""
        yuan = int(value * 10000)
        return queryset.filter(
            Q(min_amount_yuan__isnull=True) | Q(min_amount_yuan__lte=yuan),
            Q(max_amount_yuan__isnull=True) | Q(max_amount_yuan__gte=yuan),
        )

    def filter_amount_min(self, queryset, name, value: Decimal):
        """Products that can lend at least this much (an unstated maximum is kept)."""
        yuan = int(value * 10000)
        return queryset.filter(Q(max_amount_yuan__isnull=True) | Q(max_amount_yuan__gte=yuan))

    def filter_amount_max(self, queryset, name, value: Decimal):
        """Products that can lend no more than this much (an unstated minimum is kept)."""
        yuan = int(value * 10000)
        return queryset.filter(Q(min_amount_yuan__isnull=True) | Q(min_amount_yuan__lte=yuan))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        query = (data.get("search") or "").strip()
        sort = data.get("sort") or ("relevance" if query else "bank")
        if query:
            queryset = search_queryset(queryset, query)
        if sort == "relevance" and query:
            return queryset.order_by(F("rank").desc(), *BY_BANK)
        return queryset.order_by(*SORT_ORDERS.get(sort, BY_BANK))
