"""The catalogue view counter: one count per successful page view of a policy or a product.

Counting here, on the response, keeps the catalogue's own views untouched; the count goes to the
cache (one Redis HINCRBY, no database write) and reaches the database with the flush task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dashboards.models import CatalogueView

logger = logging.getLogger(__name__)

#: (namespace, url name) of the pages counted -> the kind of item they show.
COUNTED_PAGES = {
    ("policies", "detail"): CatalogueView.Kind.POLICY,
    ("banks", "product_detail"): CatalogueView.Kind.PRODUCT,
}


class CatalogueViewMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if request.method != "GET" or response.status_code != 200 or match is None:
            return response
        kind = COUNTED_PAGES.get((match.namespace, match.url_name))
        pk = match.kwargs.get("pk")
        if kind is not None and pk is not None:
            from dashboards.services import catalogue_view_record

            try:
                catalogue_view_record(kind=kind, object_id=int(pk))
            except Exception:  # a lost count must never cost the visitor the page
                logger.warning("catalogue view of %s %s not counted", kind, pk, exc_info=True)
        return response
