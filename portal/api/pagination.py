"""Pagination shared by every list endpoint."""

from __future__ import annotations

from functools import cached_property, partial
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class CountFromPaginator(Paginator):
    """A ``Paginator`` whose total is counted on another queryset with the same rows.

    A list read as ``.values()`` over related columns keeps those joins in its ``COUNT(*)``;
    counting the scoped, filtered queryset before ``.values()`` gives the same number with only
    the joins the filters need.
    """

    def __init__(self, object_list: Any, per_page: int, *, count_from: QuerySet, **kwargs: Any):
        super().__init__(object_list, per_page, **kwargs)
        self.count_from = count_from

    @cached_property
    def count(self) -> int:
        return self.count_from.count()


class PortalPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(
        self,
        queryset: Any,
        request: Request,
        view: Any = None,
        *,
        count_from: QuerySet | None = None,
    ) -> list | None:
        """DRF's page of ``queryset``; ``count_from``, when given, is what the total counts."""
        # Set on every call, so a call without count_from never inherits an earlier one's.
        self.django_paginator_class = (
            type(self).django_paginator_class
            if count_from is None
            else partial(CountFromPaginator, count_from=count_from)
        )
        return super().paginate_queryset(queryset, request, view)
