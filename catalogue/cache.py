"""Caching of the public catalogue lists (pages and API) for anonymous visitors.

The catalogue changes a few times a day and is read all day, mostly by visitors who are not signed
in, with a handful of popular searches. A rendered list is therefore kept in the cache under a key
made of the request (host, full path, language), the day (``in_force_on`` defaults to today) and
the *catalogue version*: a token replaced by every catalogue write (``catalogue_changed``, called
from ``catalogue_change_record``, which every policy and product service calls). Old entries are
never read again and expire after ``CATALOGUE_CACHE_SECONDS``, which also bounds how long a change
made elsewhere (a bank or region renamed) can show stale.

Pages for signed-in users, requests carrying flash messages, and non-GET requests are never
cached: their pages differ per person. The API's JSON lists are the same for every caller and are
shared by all (see ``CachedPublicListMixin``). ``CATALOGUE_CACHE_SECONDS = 0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

DEFAULT_SECONDS = 300


def cache_database() -> str:
    """The database's name, part of every key: two databases (deployments, or parallel test
    runs) may share one cache server."""
    return str(connection.settings_dict.get("NAME", ""))


def version_key() -> str:
    return f"catalogue:version:{cache_database()}"


def cache_seconds() -> int:
    return int(getattr(settings, "CATALOGUE_CACHE_SECONDS", DEFAULT_SECONDS))


def version_tokens(*keys: str) -> list[str]:
    """The tokens kept under ``keys`` (each created on first use), read in one round trip:
    cached data built while they hold carries them in its own key, so replacing a token makes
    all of that data unreachable."""
    found = cache.get_many(keys)
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            cache.add(key, uuid.uuid4().hex, None)
            token = cache.get(key) or ""
        tokens.append(token)
    return tokens


def version_token(key: str) -> str:
    """The token kept under ``key`` (see ``version_tokens``)."""
    return version_tokens(key)[0]


def version_replace_now(key: str) -> None:
    """A new token under ``key`` at once: everything cached under the old one is unreachable."""
    cache.set(key, uuid.uuid4().hex, None)


def version_replace(key: str) -> None:
    """A new token under ``key`` now, and again when the writing transaction commits.

    The second replacement covers a reader who renders the old rows between the first one and
    the commit, which would otherwise leave them cached under the new token.
    """
    version_replace_now(key)
    transaction.on_commit(lambda: version_replace_now(key))


def catalogue_version() -> str:
    """The current catalogue version token (created on first use)."""
    return version_token(version_key())


def catalogue_changed_now() -> None:
    """A new catalogue version at once: every cached list becomes unreachable."""
    version_replace_now(version_key())


def catalogue_changed() -> None:
    """Make every cached list stale: now, and again when the writing transaction commits."""
    version_replace(version_key())


def catalogue_cached(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept until the catalogue changes (for data derived from it alone, e.g. the
    banks offered in a filter); computed every time when the catalogue cache is off."""
    seconds = cache_seconds()
    if seconds <= 0:
        return compute()
    key = f"catalogue:data:{cache_database()}:{catalogue_version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def _cacheable(request: HttpRequest, user: Any) -> bool:
    if cache_seconds() <= 0 or request.method not in ("GET", "HEAD"):
        return False
    if user is not None and user.is_authenticated:
        return False
    # Pending flash messages are shown by the page that consumes them: not a cached one.
    return not (hasattr(request, "_messages") and len(get_messages(request)))


def _plain_json_caller(request: HttpRequest) -> bool:
    """An anonymous caller asking for JSON by default (no token, no ``format``, no HTML Accept)."""
    accept = request.META.get("HTTP_ACCEPT", "")
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and "format" not in request.GET
        and (accept in ("", "*/*") or accept.startswith("application/json"))
        and _cacheable(request, getattr(request, "user", None))
    )


def cache_key(request: HttpRequest, kind: str, version: str | None = None) -> str:
    """The cache key of one anonymous list request of ``kind`` (``version``: the catalogue's,
    when the caller read it already)."""
    raw = "|".join(
        [
            request.get_host(),
            request.get_full_path(),
            getattr(request, "LANGUAGE_CODE", ""),
            timezone.localdate().isoformat(),
        ]
    )
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    if version is None:
        version = catalogue_version()
    return f"catalogue:list:{kind}:{cache_database()}:{version}:{digest}"


def cached_public_page(kind: str, vary: Callable[..., str] | None = None) -> Callable:
    """Decorate a public view: anonymous answers are served from and stored in the cache.

    ``vary(request, *args, **kwargs)`` names the cache key of a version token (see
    ``version_tokens``) for what the page shows besides the catalogue (e.g. a policy's live
    application counts); the token is part of the page's key, so replacing it means the page is
    never served stale. Both tokens are read in one round trip.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not _cacheable(request, getattr(request, "user", None)):
                return view(request, *args, **kwargs)
            if vary is None:
                key = cache_key(request, kind)
            else:
                version, extra = version_tokens(version_key(), vary(request, *args, **kwargs))
                key = f"{cache_key(request, kind, version)}:{extra}"
            stored = cache.get(key)
            if stored is not None:
                content, content_type = stored
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                cache.set(key, (response.content, response["Content-Type"]), cache_seconds())
            return response

        return wrapper

    return decorator


class CachedPublicListMixin:
    """For a read-only DRF viewset: JSON ``list`` answers are cached, rendered.

    Only the JSON format is cached (the browsable API's HTML differs per visitor). Unlike the
    pages, the JSON of a public list is the same bytes for every caller (no field depends on who
    asks), so signed-in and token callers share the cached answers too; they are still
    authenticated, permission-checked and throttled first (``list`` runs after DRF's ``initial``).
    Anonymous callers are served before those steps (``dispatch``).
    """

    cache_kind = "api"

    def dispatch(self, request, *args, **kwargs):
        # Fast path: a stored answer for a plain anonymous JSON caller is served before DRF's
        # authentication, permission and content-negotiation steps, which would all end the same
        # way for such a caller. Everything else takes the normal route (and ``list`` below).
        # (``self.action`` is only set inside DRF's dispatch; the action map is known already.)
        action = getattr(self, "action_map", {}).get(request.method.lower())
        if action == "list" and _plain_json_caller(request):
            stored = cache.get(cache_key(request, self.cache_kind))
            if stored is not None:
                content, content_type = stored
                response = HttpResponse(content, content_type=content_type)
                response["Vary"] = "Accept"
                response["Allow"] = "GET, HEAD, OPTIONS"
                return response
        return super().dispatch(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if (
            getattr(renderer, "format", None) != "json"
            or cache_seconds() <= 0
            or request.method not in ("GET", "HEAD")
        ):
            return super().list(request, *args, **kwargs)
        key = cache_key(request, self.cache_kind)
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            return HttpResponse(content, content_type=content_type)
        response = super().list(request, *args, **kwargs)
        if response.status_code == 200:
            # Rendered here rather than by the handler, so that the bytes can be kept.
            response.accepted_renderer = renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            cache.set(key, (response.content, response["Content-Type"]), cache_seconds())
        return response
