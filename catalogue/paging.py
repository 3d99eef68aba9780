"""Paging of the catalogue lists: the total comes from the page's own search.

A plain ``Paginator`` runs two queries: ``COUNT(*)`` over the filtered list, then the page. On a
search both scan every match (the word index gives thousands of rows, each checked against the
filters), and the page query also ranks every match. :class:`SearchPaginator` runs the scan once:
a narrow query returns the page's primary keys in order together with ``COUNT(*) OVER ()`` (window
functions are evaluated before ``LIMIT``, so it is the total of the whole list), then the page's
rows are read by primary key with everything the list shows (``select_related``, prefetches).
The number of queries stays the same and does not grow with the page size.

Out-of-range pages (no row comes back) fall back to the plain ``Paginator`` behaviour.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, F, QuerySet, Window
from django.db.models.expressions import OrderBy, RowRange

from portal.api.pagination import PortalPagination

_TOTAL = "_catalogue_total"


def _ordering(queryset: QuerySet) -> list[OrderBy] | None:
    """The ordering of ``queryset`` as expressions (its own, else the model's default)."""
    names = queryset.query.order_by or (
        queryset.model._meta.ordering if queryset.query.default_ordering else ()
    )
    order = []
    for item in names:
        if isinstance(item, str):
            if item == "?":
                return None
            descending = item.startswith("-")
            order.append(OrderBy(F(item.lstrip("-+")), descending=descending))
        else:
            order.append(item if isinstance(item, OrderBy) else item.asc())
    return order or None


class SearchPaginator(Paginator):
    """A ``Paginator`` over an ordered queryset whose count comes from the page query."""

    def _number(self, number: Any) -> int | None:
        try:
            if isinstance(number, float) and not number.is_integer():
                return None
            value = int(number)
        except (TypeError, ValueError):
            return None
        return value if value >= 1 else None

    def _window_page(self, number: int) -> Page | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or "count" in self.__dict__:
            return None
        bottom = (number - 1) * self.per_page
        # The window is ordered like the list (over the whole frame, so the count is the total):
        # the database then computes the sort keys (the rank) below the window and carries only
        # them, not the wide text columns they are computed from, and sorts once.
        total = Window(Count("*"), order_by=_ordering(queryset), frame=RowRange(None, None))
        keyed = list(
            queryset.annotate(**{_TOTAL: total}).values_list("pk", _TOTAL)[
                bottom : bottom + self.per_page
            ]
        )
        if not keyed:
            if number == 1:
                self.__dict__["count"] = 0
                return Page([], 1, self)
            return None  # beyond the last page: the plain rules (count, last page or EmptyPage)
        self.__dict__["count"] = keyed[0][1]
        order = {pk: index for index, (pk, _) in enumerate(keyed)}
        rows = sorted(queryset.filter(pk__in=list(order)).order_by(), key=lambda row: order[row.pk])
        return Page(rows, number, self)

    def page(self, number: Any) -> Page:
        """The page ``number``; raises ``InvalidPage`` subclasses as ``Paginator.page`` does."""
        valid = self._number(number)
        if valid is not None:
            page = self._window_page(valid)
            if page is not None:
                return page
        return super().page(number)

    def get_page(self, number: Any) -> Page:
        """The page ``number``, or the first (not a number) or last (out of range) page."""
        try:
            return self.page(number if number not in (None, "") else 1)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)
        except InvalidPage:  # pragma: no cover - the two above are the only kinds
            return self.page(1)


class CataloguePagination(PortalPagination):
    """The API's page-number pagination (same parameters and answer) through SearchPaginator."""

    django_paginator_class = SearchPaginator
