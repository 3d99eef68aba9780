"""Tasks that belong to the portal as a whole."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="portal.tasks.heartbeat", soft_time_limit=20, time_limit=30)
def heartbeat() -> str:
    """Record that a worker ran a task, so the health page can tell a stalled worker."""
    stamp = timezone.now().isoformat()
    cache.set("portal:worker-heartbeat", stamp, timeout=3600)
    return stamp


@shared_task(name="portal.tasks.ping", soft_time_limit=20, time_limit=30)
def ping(token: str) -> str:
    """Round trip used by the worker tests and the broker benchmark."""
    cache.set(f"portal:ping:{token}", "pong", timeout=600)
    return token
