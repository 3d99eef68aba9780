"""Response headers that hold on every page, and 503 (not 500) while a backend is down."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers

logger = logging.getLogger(__name__)


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


# --- A backend down is 503, never 500 ------------------------------------------------------------

UNAVAILABLE_MESSAGE = "系统繁忙，服务暂时不可用，请稍后重试。您的数据不会因此丢失。"
UNAVAILABLE_PAGE = """<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>服务暂时不可用 - 融资服务门户</title></head>
<body><main><h1>服务暂时不可用</h1><p>{message}</p>
<p><a href="/">返回首页</a></p></main></body></html>
"""
RETRY_AFTER_SECONDS = 30


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean a backend (database, Redis, the broker) is unreachable, not a bug."""
    from django.db import InterfaceError, OperationalError

    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    try:
        from kombu.exceptions import OperationalError as BrokerError

        errors.append(BrokerError)
    except ImportError:  # pragma: no cover - kombu is a dependency
        pass
    return tuple(errors)


def backend_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an exception it was raised from or while handling, is a backend outage."""
    errors = _unavailable_errors()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, errors):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with a Chinese message: JSON for the API and clients asking for JSON, else a page.

    Built without templates or context processors, which may need the backend that is down.
    """
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )
    if wants_json:
        response: HttpResponse = JsonResponse(
            {"detail": UNAVAILABLE_MESSAGE, "code": "service_unavailable"}, status=503
        )
    else:
        response = HttpResponse(
            UNAVAILABLE_PAGE.format(message=UNAVAILABLE_MESSAGE),
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class BackendUnavailableMiddleware:
    """A view that fails because the database or Redis is down answers 503 (the client may retry),
    not 500. Errors raised outside views (e.g. saving the session) reach :func:`server_error`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if backend_unavailable(exception):
            logger.warning(
                "backend unavailable on %s %s: %r", request.method, request.path, exception
            )
            return unavailable_response(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a backend outage anywhere in the stack is still a 503."""
    if backend_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)
