"""``Idempotency-Key``: a client that retries a write (after a timeout, a 503, a dropped
connection) gets the first answer again instead of a second record.

The key is recorded in the same transaction as the write: if the write committed, so did the key,
and a retry replays the stored answer; if not, the retry runs the request again. Only successful
answers are kept (a refused request changed nothing, so running it again is safe).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from idempotency.models import IdempotentRequest

HEADER = "Idempotency-Key"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_KEY_LENGTH = 100


class _NotKept(Exception):
    """Raised inside the transaction to roll the key back with an unsuccessful answer."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def request_owner(request: HttpRequest) -> str:
    """Who is asking, without storing credentials: a hash of the token or the session cookie."""
    from django.conf import settings

    credential = request.headers.get("Authorization") or request.COOKIES.get(
        settings.SESSION_COOKIE_NAME, ""
    )
    return hashlib.sha256(credential.encode()).hexdigest()


class IdempotencyMiddleware:
    """Replays the stored answer of a write retried with the same ``Idempotency-Key``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if not key or request.method not in WRITE_METHODS:
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return JsonResponse(
                {"detail": f"{HEADER} 不能超过 {MAX_KEY_LENGTH} 个字符。"}, status=400
            )
        owner = request_owner(request)
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    owner=owner, key=key, method=request.method, path=request.path[:300]
                )
                response = self.get_response(request)
                if not 200 <= response.status_code < 300 or response.streaming:
                    raise _NotKept(response)
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
            return response
        except _NotKept as not_kept:
            return not_kept.response
        except IntegrityError:
            # The same key was used before (or is in use right now: the unique index waited for
            # it to commit): replay its answer.
            return self._replay(request, owner, key)

    def _replay(self, request: HttpRequest, owner: str, key: str) -> HttpResponse:
        record = IdempotentRequest.objects.filter(owner=owner, key=key).first()
        if record is None or not record.status_code:
            return JsonResponse({"detail": "相同幂等键的请求正在处理，请稍后重试。"}, status=409)
        if record.method != request.method or record.path != request.path[:300]:
            return JsonResponse({"detail": f"该 {HEADER} 已用于另一个请求，请换一个。"}, status=422)
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response
