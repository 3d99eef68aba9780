"""Response headers that hold on every page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers


class PrivatePagesMiddleware:
    """Pages served to a signed-in user carry personal data: browsers and proxies must not keep them.

    Such responses get ``Cache-Control: no-store`` (and ``Vary: Cookie``), so that the back button
    after logout, or a shared proxy, shows nothing of the previous user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not response.has_header("Content-Disposition")
        ):
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Cookie"])
        elif user is not None and user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response
