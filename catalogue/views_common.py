"""Helpers shared by the public catalogue pages."""

from __future__ import annotations

from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

from catalogue.paging import SearchPaginator
from regions.models import Region

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def catalogue_params(request: HttpRequest) -> QueryDict:
    """The filter parameters of a list page; ``q`` is accepted as a short form of ``search``."""
    params = request.GET.copy()
    if params.get("q") and not params.get("search"):
        params["search"] = params["q"]
    params.pop("q", None)
    return params


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    """One page of ``queryset``; ``page_size`` (at most 100) may be chosen in the query string.

    The total is read with the page (see catalogue.paging): one scan of the matches, not two.
    """
    try:
        size = min(max(int(request.GET.get("page_size", DEFAULT_PAGE_SIZE)), 1), MAX_PAGE_SIZE)
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    return SearchPaginator(queryset, size).get_page(request.GET.get("page"))


def querystring_without_page(params: QueryDict) -> str:
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


def region_choices() -> list[tuple[str, str]]:
    """Regions for a select, indented by level, in code order (one query)."""
    indent = {"province": "", "city": "　", "district": "　　", "zone": "　　　"}
    choices = [("", "全部地区")]
    for code, name, level in Region.objects.order_by("code").values_list("code", "name", "level"):
        choices.append((code, f"{indent.get(level, '')}{name}"))
    return choices
