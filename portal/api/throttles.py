"""API rate limits counted per fixed window: one cache ``incr`` per request.

DRF's own ``SimpleRateThrottle`` keeps every request's timestamp in one cached list, read,
trimmed and written back whole on each request: its cost grows with the limit (2,000 floats
pickled twice per request at the user rate). A counter per caller and window is constant work.
The price is the usual one of fixed windows: a caller may reach twice the rate across the edge
of two windows, which these limits (abuse guards, not quotas) allow.
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling


class FixedWindowMixin:
    """For a ``SimpleRateThrottle``: the same rate, counted per window of its duration."""

    cache: Any
    duration: int
    num_requests: int
    rate: str | None
    timer: Any

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        now = int(self.timer())
        start = now - now % self.duration
        self._wait = float(start + self.duration - now)
        window_key = f"{key}:{start}"
        # The window's first request creates the counter (with room past the window's end);
        # add() loses to a concurrent first request, and incr() then counts on theirs.
        if self.cache.add(window_key, 1, self.duration + 1):
            count = 1
        else:
            try:
                count = self.cache.incr(window_key)
            except ValueError:  # expired between add() and incr(): a new window
                self.cache.add(window_key, 1, self.duration + 1)
                count = 1
        return count <= self.num_requests

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """Visitors, by address, at ``DEFAULT_THROTTLE_RATES["anon"]``."""


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    """Signed-in callers, by user, at ``DEFAULT_THROTTLE_RATES["user"]``."""
