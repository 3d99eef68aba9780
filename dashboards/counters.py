"""Where page views are counted between two flushes into ``CatalogueView``.

On Redis (the cache of every deployment with more than one process) the counts live in one hash
per database, one field per ``kind:object_id:day``: counting is a single HINCRBY. A flush RENAMEs
the hash to a batch key of its own (atomic: views counted meanwhile start a new hash, and a second
flush running at the same time finds nothing), writes the batch, then deletes it. A batch left
behind by a flush that died before deleting it is taken again after ``STALE_BATCH_SECONDS``.

Without Redis (the embedded default, tests on SQLite) the counts are kept in the process itself
and the counting process flushes them every ``LOCAL_FLUSH_SECONDS`` (and at exit): a local
memory cache is not shared with the worker that runs the beat task.
"""

from __future__ import annotations

import atexit
import threading
import time
import uuid
from collections import Counter

from django.core.cache import caches
from django.db import connection

#: A batch still there this long after it was taken belongs to a flush that died: take it again.
STALE_BATCH_SECONDS = 600
#: How often a process without Redis writes its own counts.
LOCAL_FLUSH_SECONDS = 60


def _redis_client():
    """The raw client of Django's RedisCache, or None for any other cache backend."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)  # reused by portal.cache.PortalRedisCache


class ViewCounter:
    """Counts keyed by ``kind:object_id:day``; ``take`` hands them out once, in batches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local: Counter[str] = Counter()
        self._last_local_flush = time.monotonic()

    # --- where ---------------------------------------------------------------------------------

    @property
    def shared(self) -> bool:
        """Whether the counts are in Redis, seen by every process (else in this process only)."""
        return _redis_client() is not None

    @staticmethod
    def _prefix() -> str:
        # Two databases (deployments, parallel test runs) may share one Redis.
        return f"catalogue-views:{connection.settings_dict.get('NAME', '')}"

    # --- counting ------------------------------------------------------------------------------

    def add(self, field: str, number: int = 1) -> bool:
        """Count ``number`` views of ``field``; True when counted in Redis (shared)."""
        client = _redis_client()
        if client is not None:
            client.hincrby(f"{self._prefix()}:pending", field, number)
            return True
        with self._lock:
            self._local[field] += number
        return False

    def local_flush_due(self) -> bool:
        """True once per ``LOCAL_FLUSH_SECONDS`` (the caller then flushes this process's counts)."""
        with self._lock:
            now = time.monotonic()
            if now - self._last_local_flush < LOCAL_FLUSH_SECONDS:
                return False
            self._last_local_flush = now
            return True

    def restart_local_clock(self) -> None:
        """The next local flush a full ``LOCAL_FLUSH_SECONDS`` from now."""
        with self._lock:
            self._last_local_flush = time.monotonic()

    # --- flushing ------------------------------------------------------------------------------

    def take(self) -> list[tuple[str, dict[str, int]]]:
        """The counts to write, each batch with an id for ``done``; they are reset at once."""
        batches: list[tuple[str, dict[str, int]]] = []
        with self._lock:
            if self._local:
                batches.append(("", dict(self._local)))
                self._local.clear()
        client = _redis_client()
        if client is None:
            return batches
        prefix = self._prefix()
        now = int(time.time())
        # Batches left by a flush that died before deleting them.
        for raw in client.scan_iter(match=f"{prefix}:batch:*", count=500):
            key = raw.decode() if isinstance(raw, bytes) else raw
            try:
                taken_at = int(key.rsplit(":", 2)[-2])
            except (ValueError, IndexError):
                continue
            if now - taken_at >= STALE_BATCH_SECONDS:
                batches += self._rename_and_read(client, key, prefix, now)
        batches += self._rename_and_read(client, f"{prefix}:pending", prefix, now)
        return batches

    @staticmethod
    def _rename_and_read(client, source: str, prefix: str, now: int) -> list:
        import redis

        batch = f"{prefix}:batch:{now}:{uuid.uuid4().hex}"
        try:
            client.rename(source, batch)
        except redis.ResponseError:  # gone: nothing counted, or another flush took it
            return []
        counts = {
            (k.decode() if isinstance(k, bytes) else k): int(v)
            for k, v in client.hgetall(batch).items()
        }
        return [(batch, counts)]

    def put_back(self, counts: dict[str, int]) -> None:
        """Count ``counts`` again (their write failed): the next flush writes them."""
        client = _redis_client()
        if client is not None:
            pipe = client.pipeline()
            for field, number in counts.items():
                pipe.hincrby(f"{self._prefix()}:pending", field, number)
            pipe.execute()
            return
        with self._lock:
            self._local.update(counts)

    def done(self, batch_id: str) -> None:
        """Forget a batch that was written (or put back)."""
        if batch_id:
            client = _redis_client()
            if client is not None:
                client.delete(batch_id)

    def pending(self) -> dict[str, int]:
        """The counts not yet flushed (for tests and checks)."""
        with self._lock:
            counts = Counter(self._local)
        client = _redis_client()
        if client is not None:
            for k, v in client.hgetall(f"{self._prefix()}:pending").items():
                counts[k.decode() if isinstance(k, bytes) else k] += int(v)
        return dict(counts)


view_counter = ViewCounter()


def _flush_at_exit() -> None:
    if not view_counter._local:
        return
    try:
        from dashboards.services import catalogue_views_flush

        catalogue_views_flush()
    except Exception:  # noqa: S110 - the process is going away (logging may be closed already)
        pass


atexit.register(_flush_at_exit)
