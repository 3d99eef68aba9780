"""Pages of long case lists read without counting the whole list.

A bank's list can hold tens of thousands of cases; ``Paginator`` counts all of them on every
page. A :class:`PeekPage` reads one row more than it shows instead: that row says whether a
next page exists. The total is still there (``page.paginator.count``) for whoever asks, and
is only counted then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any

from django.db.models import QuerySet


def page_number(value: Any) -> int:
    """The page asked for; anything that is not a positive whole number is page 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


class LazyCount:
    """``paginator.count`` of a :class:`PeekPage`: counted on first use only."""

    def __init__(self, count: Callable[[], int], per_page: int) -> None:
        self._count = count
        self.per_page = per_page

    @cached_property
    def count(self) -> int:
        return self._count()

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


class PeekPage(Sequence):
    """One page of rows with whether there is a page before and after it."""

    def __init__(
        self, rows: list[Any], *, number: int, has_next: bool, paginator: LazyCount
    ) -> None:
        self.object_list = rows
        self.number = number
        self._has_next = has_next
        self.paginator = paginator

    def __getitem__(self, index):  # type: ignore[override]
        return self.object_list[index]

    def __len__(self) -> int:
        return len(self.object_list)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def peek_page(queryset: QuerySet, number: Any, per_page: int) -> PeekPage:
    """Page ``number`` of an ordered ``queryset``: ``per_page + 1`` rows read, none counted."""
    number = page_number(number)
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return PeekPage(
        rows[:per_page],
        number=number,
        has_next=len(rows) > per_page,
        paginator=LazyCount(queryset.count, per_page),
    )
