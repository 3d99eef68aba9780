"""Every endpoint of the portal, found by walking the URL resolver.

Each endpoint is keyed by its URL name (``namespace:name``; DRF router routes use the router's
``basename-action`` names) or, when it has none, by its route. DRF's format-suffix twins
(``needs.json``) share their base route's name and are folded into it. The methods of a DRF route
are those its viewset maps (``.actions``) or its APIView implements; plain Django views are tried
with GET and POST, since nothing on a function view says which it accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

#: Methods a DRF view may implement; OPTIONS and HEAD come with every view and tell nothing.
API_METHODS = ("get", "post", "put", "patch", "delete")
PAGE_METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Endpoint:
    key: str
    namespace: str
    route: str
    methods: tuple[str, ...]
    is_api: bool
    params: tuple[str, ...]
    pattern: Any

    def __str__(self) -> str:
        return f"{self.key} ({self.route})"


def _api_methods(callback: Any) -> tuple[str, ...] | None:
    actions = getattr(callback, "actions", None)
    if actions:  # a ViewSet route: {"get": "list", "post": "create"} (HEAD follows GET)
        return tuple(m.upper() for m in actions if m in API_METHODS)
    cls = getattr(callback, "cls", None)
    if cls is None:
        return None
    from rest_framework.views import APIView

    if not issubclass(cls, APIView):
        return None
    return tuple(m.upper() for m in API_METHODS if hasattr(cls, m))


def _walk(patterns, prefix: str, namespace: str | None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern


def _is_format_suffix(route: str) -> bool:
    return "(?P<format>" in route or "<drf_format_suffix:format>" in route


def endpoints() -> list[Endpoint]:
    """Every endpoint the resolver knows, once each, in resolver order."""
    seen: dict[str, Endpoint] = {}
    for route, namespace, pattern in _walk(get_resolver().url_patterns, "", None):
        if _is_format_suffix(route):
            continue
        key = route
        if pattern.name:
            key = f"{namespace}:{pattern.name}" if namespace else pattern.name
        if key in seen:
            continue
        methods = _api_methods(pattern.callback)
        is_api = methods is not None
        params = tuple(pattern.pattern.regex.groupindex)
        seen[key] = Endpoint(
            key=key,
            namespace=namespace or "",
            route=route,
            methods=methods if is_api else PAGE_METHODS,
            is_api=is_api,
            params=params,
            pattern=pattern,
        )
    return list(seen.values())


def path_of(endpoint: Endpoint, kwargs: dict[str, str]) -> str:
    """The path of an endpoint: reversed by name, or filled in by hand for an unnamed route."""
    if endpoint.pattern.name:
        from django.urls import reverse

        return reverse(endpoint.key, kwargs=kwargs)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), endpoint.route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.lstrip("^").rstrip("$")


def first_alternative(endpoint: Endpoint, param: str) -> str:
    """A value the route accepts for ``param`` when it is an alternation (admin's app_label)."""
    match = re.search(rf"\(\?P<{param}>([^)]*)\)", endpoint.route)
    if not match:
        return ""
    return match.group(1).split("|")[0]
