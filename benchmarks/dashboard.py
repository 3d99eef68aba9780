"""Throughput of the district dashboard with 100,000 cases on PostgreSQL, as a ratio to a bare
Django view served by the same server in the same run.

    python -m benchmarks.dashboard [--cases 100000] [--seconds 20] [--clients 4] [--workers 2]

Uses its own PostgreSQL database (``portal_bench_dashboard``, created and migrated if missing)
and Redis db 8, loads the demo data and ``--cases`` financing needs of 岱岳区 firms spread over
the last twelve months (bank turns, deadlines met and missed, approvals, disbursements,
declines), then starts gunicorn (``--workers`` sync workers) and, as ``staff-daiyue`` with a
signed-in session, drives with ``--clients`` concurrent clients for ``--seconds`` each:

1. reference: ``/bench/bare/`` — a view returning "ok" through the full middleware stack;
2. ``/dashboards/district/`` (every section, default period = the last 12 months);
3. ``/dashboards/district/?chain=…`` (one chain);
4. ``/api/v1/stats/summary/`` (totals and statuses only);
5. ``/dashboards/workbench/`` as ``officer-lead``.

It prints requests per second, median latency, and the ratio of each to the reference.
Before driving, it brings the response-hours roll-up (``dashboards.TurnHours``) up to date, as
the beat task keeps it. The pages keep their numbers ``DASHBOARD_CACHE_SECONDS`` (60 by
default); run with ``DASHBOARD_CACHE_SECONDS=0`` in the environment to measure counting on
every request.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DASHBOARD_DB", "portal_bench_dashboard")
DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BATCH = 5000


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "BENCH_SETTINGS", "benchmarks.dashboard_settings"
            ),
            "LOG_LEVEL": "WARNING",
            "PORTAL_VAR_DIR": os.environ.get(
                "PORTAL_VAR_DIR", str(Path(tempfile.gettempdir()) / "var-bench-dashboard")
            ),
        }
    )
    return env


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _setup() -> None:
    os.environ.update(_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    from portal.demo import demo_load

    demo_load()


def _load_cases(target: int) -> int:
    """Bring the number of 岱岳 needs up to ``target`` with bulk inserts; returns the count."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from banks.models import LeadBank
    from enterprises.models import Enterprise
    from needs.models import Assignment, Deadline, FinancingNeed
    from needs.states import Status

    firms = list(Enterprise.objects.filter(region__code="370911"))
    have = FinancingNeed.objects.filter(enterprise__in=firms).count()
    if have >= target:
        return have
    member = User.objects.get(username="firm-demo")
    branches = list({lb.branch for lb in LeadBank.objects.select_related("branch")})
    branches = [b for b in branches if b.region.code == "370911"] or branches
    officers = {o.branch_id: o for o in User.objects.filter(role="bank_officer")}
    rng = random.Random(7)
    statuses = [
        Status.ASSIGNED,
        Status.ACCEPTED,
        Status.CONTACTED,
        Status.PROPOSED,
        Status.APPROVED,
        Status.DISBURSED,
        Status.DISBURSED,
        Status.WITHDRAWN,
    ]
    now = timezone.now()
    print(f"loading {target - have} cases …", flush=True)
    for start in range(have, target, BATCH):
        size = min(BATCH, target - start)
        with transaction.atomic():
            needs = []
            for _ in range(size):
                status = rng.choice(statuses)
                branch = rng.choice(branches)
                amount = rng.choice([50, 100, 200, 300, 500, 1000]) * 10_000
                approved = (
                    int(amount * rng.choice([0.6, 0.8, 1.0]))
                    if status in (Status.APPROVED, Status.DISBURSED)
                    else None
                )
                needs.append(
                    FinancingNeed(
                        enterprise=rng.choice(firms),
                        submitted_by=member,
                        amount_yuan=amount,
                        term_months=12,
                        purpose="working_capital",
                        guarantee_methods=["credit"],
                        contact_name="联系人",
                        contact_phone="13800000000",
                        status=status,
                        assigned_branch=branch,
                        assigned_officer=officers.get(branch.pk)
                        if status != Status.ASSIGNED
                        else None,
                        approved_amount_yuan=approved,
                        disbursed_amount_yuan=approved if status == Status.DISBURSED else None,
                    )
                )
            needs = FinancingNeed.objects.bulk_create(needs)
            turns, deadlines = [], []
            for need in needs:
                if rng.random() < 0.1:  # declined by another bank first
                    turns.append(
                        Assignment(
                            need=need,
                            rule="lead_bank",
                            reason="基准测试",
                            branch=rng.choice(branches),
                            outcome=Assignment.Outcome.DECLINED,
                            decline_reason=rng.choice(["quota", "risk", "collateral"]),
                        )
                    )
                turns.append(
                    Assignment(
                        need=need, rule="lead_bank", reason="基准测试", branch=need.assigned_branch
                    )
                )
            turns = Assignment.objects.bulk_create(turns)
            for turn in turns:
                if turn.outcome != Assignment.Outcome.OPEN:
                    continue
                open_case = turn.need.status not in (Status.DISBURSED, Status.WITHDRAWN)
                base = now - timedelta(days=rng.randint(0, 364))
                accepted = turn.need.status != Status.ASSIGNED
                deadlines.append(
                    Deadline(
                        need=turn.need,
                        assignment=turn,
                        kind=Deadline.Kind.ACCEPT,
                        due_at=base + timedelta(days=1),
                        met_at=base + timedelta(hours=rng.randint(1, 40)) if accepted else None,
                    )
                )
                deadlines.append(
                    Deadline(
                        need=turn.need,
                        assignment=turn,
                        kind=Deadline.Kind.CONTACT,
                        due_at=base + timedelta(days=2),
                        met_at=base + timedelta(hours=rng.randint(2, 60)) if accepted else None,
                    )
                )
                deadlines.append(
                    Deadline(
                        need=turn.need,
                        assignment=turn,
                        kind=Deadline.Kind.DECISION,
                        due_at=base + timedelta(days=rng.randint(5, 20)),
                        met_at=None if open_case else base + timedelta(days=3),
                    )
                )
            Deadline.objects.bulk_create(deadlines)
        print(f"  {start + size} / {target}", flush=True)
    # auto_now_add stamped every row "now": spread submissions and turns over the last year,
    # each turn starting when its need's accept deadline says (one day before it).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE needs_assignment a SET created_at = d.due_at - interval '1 day'
            FROM needs_deadline d WHERE d.assignment_id = a.id AND d.kind = 'accept'
            """
        )
        cursor.execute(
            """
            UPDATE needs_financingneed n SET created_at = a.created_at - interval '5 minutes',
                   assigned_at = a.created_at
            FROM needs_assignment a WHERE a.need_id = n.id AND a.outcome = 'open'
            """
        )
        cursor.execute("ANALYZE")
    return FinancingNeed.objects.filter(enterprise__in=firms).count()


def _rollup() -> None:
    """Bring the response-hours roll-up up to date, as the quarter-hourly beat task keeps it
    (the cases above were bulk-inserted, as no service writes them)."""
    from dashboards.services import turn_hours_refresh

    began = time.perf_counter()
    written = turn_hours_refresh()
    print(f"roll-up: {written} bank turns counted in {time.perf_counter() - began:.1f} s")


def _session_cookie(username: str) -> str:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies["sessionid"].value


def _drive(url: str, cookie: str, seconds: float, clients: int) -> tuple[float, float, int]:
    """Requests per second and median latency of ``clients`` concurrent clients on ``url``."""
    import requests

    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        session = requests.Session()
        session.cookies.set("sessionid", cookie)
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            response = session.get(url, timeout=300)
            elapsed = time.perf_counter() - began
            with lock:
                if response.status_code == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(response.status_code)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        print(f"  {url}: {len(errors)} non-200 answers ({sorted(set(errors))})")
    return len(latencies) / wall, statistics.median(latencies) if latencies else 0.0, len(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    _ensure_database()
    _setup()
    count = _load_cases(args.cases)
    _rollup()
    from regions.models import IndustryChain

    chain = IndustryChain.objects.get(region__code="370911", name="新材料")
    staff = _session_cookie("staff-daiyue")
    officer = _session_cookie("officer-lead")
    from django.db import connection

    connection.close()

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=_env(),
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        import requests

        for _ in range(300):  # the workers import Django first
            try:
                if requests.get(f"{base}/bench/bare/", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        runs = [
            ("bare Django view (reference)", "/bench/bare/", staff),
            ("dashboard, all sections, 12 months", "/dashboards/district/", staff),
            ("dashboard, one chain", f"/dashboards/district/?chain={chain.pk}", staff),
            ("stats API summary", "/api/v1/stats/summary/", staff),
            ("officer workbench", "/dashboards/workbench/", officer),
        ]
        print(
            f"\n{count} cases of 岱岳区 on PostgreSQL; gunicorn {args.workers} sync workers, "
            f"{args.clients} clients, {args.seconds:g} s per run\n"
        )
        reference = None
        for name, path, cookie in runs:
            requests.get(base + path, cookies={"sessionid": cookie}, timeout=300)  # warm up
            rps, median, n = _drive(base + path, cookie, args.seconds, args.clients)
            reference = reference or rps
            print(
                f"{name:<38} {rps:9.2f} req/s  median {median * 1000:9.1f} ms  n={n:<6} "
                f"ratio {rps / reference:.4f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
