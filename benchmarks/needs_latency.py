"""Latency from a need's submission to its officer's notification, through Redis and a worker.

    python -m benchmarks.needs_latency [--needs 200]

Uses its own PostgreSQL database (``portal_bench_needs``, created and migrated if missing) and
Redis db 7, loads the demo data, starts a real ``celery worker`` subprocess, then:

1. reference: 200 round trips of the no-op task ``portal.tasks.ping`` (enqueue → worker → the
   cache key it writes is seen);
2. 200 needs submitted as ``firm-demo`` through ``financing_need_submit`` (commit → routing task
   → assignment → the Notification row for the receiving officer is seen).

Both are measured the same way (polling every millisecond from this process), after five
unmeasured warm-up rounds of each, interleaved (a need, an unmeasured ping that drains the e-mail
and SMS deliveries the need queued, then a measured ping) so that load from other processes falls
on both alike. Reported as median and p95, with the ratio of the need latency to the ping round
trip. ``BENCH_REDIS_URL`` picks another Redis db (the run flushes it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_NEEDS_DB", "portal_bench_needs")
DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _wait(predicate, timeout: float = 30.0) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("no answer from the worker within 30 s")
        time.sleep(0.001)
    return time.perf_counter()


def _report(name: str, samples: list[float]) -> tuple[float, float]:
    median, p95 = statistics.median(samples), _percentile(samples, 95)
    print(
        f"{name:<44} n={len(samples):<4} median {median * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"
    )
    return median, p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--pings", type=int, default=200)
    args = parser.parse_args()

    os.environ.update(_env())
    _ensure_database()
    import django

    django.setup()
    import redis
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from accounts.models import User
    from needs.models import FinancingNeed
    from needs.services import financing_need_submit
    from notifications.models import Notification
    from portal.demo import demo_load
    from portal.tasks import ping

    demo_load()
    FinancingNeed.objects.all().delete()
    Notification.objects.all().delete()
    redis.Redis.from_url(REDIS_URL).flushdb()
    firm_user = User.objects.select_related("enterprise").get(username="firm-demo")

    log_path = ROOT / "var" / "bench-needs-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                print(log_path.read_text(errors="replace"))
                return 1
            time.sleep(0.1)
        data = {
            "amount_yuan": 3_000_000,
            "term_months": 12,
            "purpose": "working_capital",
            "guarantee_methods": ["credit"],
            "contact_name": "陈静",
            "contact_phone": "13805381234",
        }

        def ping_round_trip() -> float:
            token = uuid.uuid4().hex
            start = time.perf_counter()
            ping.delay(token)
            return _wait(lambda: cache.get(f"portal:ping:{token}") == "pong") - start

        def need_round_trip() -> float:
            start = time.perf_counter()
            need = financing_need_submit(
                enterprise=firm_user.enterprise, submitted_by=firm_user, data=data
            )
            key = f"need:{need.pk}:assigned:"
            end = _wait(
                lambda: Notification.objects.filter(
                    dedupe_key__startswith=key, user__role="bank_officer"
                ).exists()
            )
            return end - start

        # Warm up both paths (imports, connections, the worker's first queries), unmeasured.
        for _ in range(5):
            ping_round_trip()
            need_round_trip()
        # Interleaved, so that load from other processes on the machine falls on both alike. A
        # need leaves e-mail/SMS delivery tasks queued behind its routing; an unmeasured ping
        # drains the solo worker's queue first, so a measured ping never waits behind them.
        pings, latencies = [], []
        for index in range(max(args.pings, args.needs)):
            if index < args.needs:
                latencies.append(need_round_trip())
                ping_round_trip()
            if index < args.pings:
                pings.append(ping_round_trip())
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()

    print(f"broker {REDIS_URL}, database {DB_NAME}, one solo worker")
    ping_median, ping_p95 = _report("no-op task round trip (portal.tasks.ping)", pings)
    need_median, need_p95 = _report("submission → officer's notification", latencies)
    print(
        f"ratio to the no-op round trip: median {need_median / ping_median:.1f}×, "
        f"p95 {need_p95 / ping_p95:.1f}×"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
