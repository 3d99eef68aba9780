"""The API's rate limits: counted per fixed window, a clear 429 with Retry-After past the limit."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from portal.api.throttles import AnonRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _throttle(cls, rate: str, clock: Clock):
    class Limited(cls):
        def get_rate(self) -> str:
            return rate

        timer = clock

    return Limited()


def test_anon_limit_per_window_then_a_new_window():
    cache.clear()
    clock = Clock(1_700_000_020.0)  # 40 s into a minute
    throttle = _throttle(AnonRateThrottle, "3/minute", clock)
    request = APIRequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    view = APIView()
    answers = [
        throttle.allow_request(APIView().initialize_request(request), view) for _ in range(4)
    ]
    assert answers == [True, True, True, False]
    assert throttle.wait() == 20.0  # until the window ends
    # Another address has its own count.
    other = APIRequestFactory().get("/", REMOTE_ADDR="192.0.2.8")
    assert throttle.allow_request(APIView().initialize_request(other), view) is True
    # The next window starts afresh.
    clock.now += 20
    assert throttle.allow_request(APIView().initialize_request(request), view) is True


def test_user_limit_counts_per_user(personas):
    cache.clear()
    clock = Clock(1_700_000_000.0)
    throttle = _throttle(UserRateThrottle, "2/minute", clock)
    view = APIView()

    def allowed(user) -> bool:
        request = APIView().initialize_request(APIRequestFactory().get("/"))
        request.user = user
        return throttle.allow_request(request, view)

    assert [allowed(personas["member"]) for _ in range(3)] == [True, True, False]
    assert allowed(personas["officer"]) is True


def test_the_api_answers_429_with_retry_after(client, monkeypatch):
    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    codes = [client.get("/api/v1/facts/").status_code for _ in range(3)]
    response = client.get("/api/v1/facts/")
    assert codes == [200, 200, 429]
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
