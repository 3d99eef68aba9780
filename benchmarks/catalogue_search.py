"""Throughput of the catalogue search page and API, as a ratio to a bare Django view.

    python -m benchmarks.catalogue_search [--seconds 2] [--rounds 5] [--concurrency 4]
                                          [--workers 2] [--no-cold]

Uses its own PostgreSQL database (``portal_bench_cat``, created and migrated if missing), loads the
demo data and ``load_catalogue``, then tops the catalogue up to 10,000 published policies and
10,000 published loan products (variants of the seed records, with their own jieba search columns,
spread over the demo regions). It then starts gunicorn (sync workers) serving the portal's own WSGI
application with the portal's middleware and URLs plus one extra route, ``/bench/bare/``: a view
that returns a fixed short text. A load generator in this process (threads over raw sockets, one
connection per request, as gunicorn's sync workers close them) measures, with the same
concurrency, alternating slices of the reference ``/bench/bare/`` and of each case:

- the search pages ``/policies/?search=…`` and ``/products/?search=…``;
- the API ``/api/v1/policies/?search=…`` and ``/api/v1/products/?search=…``;

with the query word rotating over common catalogue words (贴息, 算力, 知识产权, 信用 …). Each ratio
compares a case slice with the bare slice just before it (other load on the machine drifts); the
medians are printed (target ≥ 0.4).

Two server configurations are measured: the production default, where anonymous lists are cached
until the catalogue changes (catalogue/cache.py), and ``CATALOGUE_CACHE_SECONDS=0``, where every
request runs the search and renders (the cost of a cache miss).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_CAT_DB", "portal_bench_cat")
DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
TARGET = 0.4
POLICY_WORDS = ["贴息", "算力", "知识产权", "奖励", "融资租赁", "上市", "风险补偿", "设备"]
PRODUCT_WORDS = ["信用", "知识产权", "担保", "抵押", "科技", "涉农", "应收账款", "小微企业"]
BENCH_PREFIX = "bench-"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)  # the pages under test use no cache; keep Redis out of the figure
    env.update(
        {
            "DATABASE_URL": DATABASE_URL,
            "DJANGO_SETTINGS_MODULE": env.get("DJANGO_SETTINGS_MODULE", "portal.settings"),
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PORTAL_VAR_DIR": env.get("PORTAL_VAR_DIR", str(ROOT / "var" / "bench-cat")),
        }
    )
    return env


# --- the served application ---------------------------------------------------------------------


def bare_view(request):
    """The reference: a Django view doing no work, behind the same middleware."""
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def __getattr__(name: str):
    # The URLconf of the served application: the portal's routes plus the bare view. Built on
    # first use (by Django's resolver, after setup), so importing this module needs no Django.
    if name == "urlpatterns":
        from django.urls import path

        from portal.urls import urlpatterns

        return [path("bench/bare/", bare_view), *urlpatterns]
    raise AttributeError(name)


def wsgi_app():
    """gunicorn's application factory: the portal's WSGI app with this module as URLconf."""
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    settings.ROOT_URLCONF = __name__
    return application


# --- data ---------------------------------------------------------------------------------------


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _top_up_policies(target: int) -> int:
    """Add variants of the seed policies until ``target`` are published; returns the count."""
    from django.utils import timezone

    from catalogue.search import search_column
    from catalogue.text import plain_text
    from policies.models import Policy, Status
    from regions.models import Region

    published = Policy.objects.published()
    missing = target - published.count()
    if missing <= 0:
        return published.count()
    seeds = list(Policy.objects.published().exclude(key__startswith=BENCH_PREFIX).order_by("pk"))
    regions = list(Region.objects.order_by("code"))
    start = Policy.objects.filter(key__startswith=BENCH_PREFIX).count()
    now = timezone.now()
    # The seed record's words, segmented once; a variant adds its own number and region.
    seed_text = {
        s.pk: search_column(
            s.issuer,
            s.document_number,
            s.batch,
            s.category,
            s.support_type,
            plain_text(s.summary),
            plain_text(s.conditions_text),
            plain_text(s.benefit_text),
            " ".join(s.materials),
        )
        for s in seeds
    }
    rows = []
    for n in range(start, start + missing):
        seed, region = seeds[n % len(seeds)], regions[n % len(regions)]
        title = f"{region.name}{seed.title}（第{n}号）"
        search_title = search_column(title)
        rows.append(
            Policy(
                key=f"{BENCH_PREFIX}policy-{n}",
                title=title,
                issuer=seed.issuer,
                document_number=seed.document_number,
                batch=seed.batch,
                region=region,
                category=seed.category,
                support_type=seed.support_type,
                beneficiary=seed.beneficiary,
                valid_from=seed.valid_from,
                valid_to=seed.valid_to,
                summary=seed.summary,
                conditions_text=seed.conditions_text,
                benefit_text=seed.benefit_text,
                materials=seed.materials,
                contact=seed.contact,
                source_file=seed.source_file,
                source_title=seed.source_title,
                source_passage=seed.source_passage,
                status=Status.PUBLISHED,
                published_at=now,
                search_title=search_title,
                search_text=f"{search_title} {seed_text[seed.pk]}",
            )
        )
    Policy.objects.bulk_create(rows, batch_size=1000)
    return published.count()


def _top_up_products(target: int) -> int:
    """Add variants of the seed products until ``target`` are published; returns the count."""
    from django.utils import timezone

    from banks.models import LoanProduct, ProductStatus
    from catalogue.search import search_column
    from catalogue.text import plain_text
    from regions.models import Region

    published = LoanProduct.objects.published()
    missing = target - published.count()
    if missing <= 0:
        return published.count()
    seeds = list(
        LoanProduct.objects.published()
        .exclude(key__startswith=BENCH_PREFIX)
        .select_related("bank")
        .order_by("pk")
    )
    regions = list(Region.objects.order_by("code"))
    start = LoanProduct.objects.filter(key__startswith=BENCH_PREFIX).count()
    now = timezone.now()
    seed_text = {
        s.pk: search_column(
            s.bank.name,
            s.bank.short_name,
            s.product_class,
            plain_text(s.description),
            plain_text(s.target_customers),
            plain_text(s.conditions_text),
            s.rate_text,
            " ".join(s.guarantee_labels()),
            " ".join(s.materials),
        )
        for s in seeds
    }
    rows = []
    for n in range(start, start + missing):
        seed, region = seeds[n % len(seeds)], regions[n % len(regions)]
        name = f"{seed.name}（{region.name}第{n}号）"
        search_title = search_column(name)
        rows.append(
            LoanProduct(
                key=f"{BENCH_PREFIX}product-{n}",
                name=name,
                bank_id=seed.bank_id,
                region=region,
                product_class=seed.product_class,
                description=seed.description,
                target_customers=seed.target_customers,
                conditions_text=seed.conditions_text,
                customer_types=seed.customer_types,
                min_amount_yuan=seed.min_amount_yuan,
                max_amount_yuan=seed.max_amount_yuan,
                max_term_months=seed.max_term_months,
                rate_text=seed.rate_text,
                rate_min_percent=seed.rate_min_percent,
                guarantee_methods=seed.guarantee_methods,
                guarantee_codes=seed.guarantee_codes,
                guarantee_fee_text=seed.guarantee_fee_text,
                materials=seed.materials,
                source_file=seed.source_file,
                source_title=seed.source_title,
                source_passage=seed.source_passage,
                status=ProductStatus.PUBLISHED,
                published_at=now,
                search_title=search_title,
                search_text=f"{search_title} {seed_text[seed.pk]}",
            )
        )
    created = LoanProduct.objects.bulk_create(rows, batch_size=1000)
    through = LoanProduct.regions_served.through
    through.objects.bulk_create(
        [
            through(loanproduct_id=p.pk, region_id=regions[i % len(regions)].pk)
            for i, p in enumerate(created, start=start)
        ],
        batch_size=2000,
    )
    return published.count()


def prepare(policies: int, products: int) -> tuple[int, int]:
    """Migrate, load the demo data and the catalogue, top both up to the given sizes."""
    os.environ.update(_env())
    _ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    from portal.demo import demo_load

    demo_load()
    call_command("load_catalogue", verbosity=0)
    counts = _top_up_policies(policies), _top_up_products(products)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return counts


# --- load generation ----------------------------------------------------------------------------


def _get(port: int, path: str) -> int:
    """One GET over a fresh connection; returns the status code (0 on a broken answer)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head = b"".join(chunks[:1])[:12]
    try:
        return int(head.split()[1])
    except (IndexError, ValueError):
        return 0


def measure(port: int, paths: list[str], seconds: float, concurrency: int) -> float:
    """Requests per second over ``paths`` (rotated) for ``seconds`` with ``concurrency`` clients."""
    for path in paths:  # warm up each path (imports, template and query caches)
        status = _get(port, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    done = [0] * concurrency
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def client(slot: int) -> None:
        i = slot
        while time.perf_counter() < stop:
            path = paths[i % len(paths)]
            status = _get(port, path)
            if status != 200:
                errors.append(f"{path} → {status}")
                return
            done[slot] += 1
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(errors[0])
    return sum(done) / elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            if _get(port, "/bench/bare/") == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _serve(port: int, workers: int, cache_seconds: int) -> subprocess.Popen:
    log_path = ROOT / "var" / "bench-catalogue-gunicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = _env()
    env["CATALOGUE_CACHE_SECONDS"] = str(cache_seconds)
    with log_path.open("a") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "benchmarks.catalogue_search:wsgi_app()",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def run_mode(args, cases: dict[str, list[str]], cache_seconds: int) -> dict[str, tuple]:
    """For each case: median requests per second of the bare view and of the case, and the median
    of the ratios of adjacent (bare, case) slices, on a fresh server.

    Slices of the reference and of the case alternate, and each ratio compares two slices measured
    one after the other, so that other load on the machine (which drifts) cancels out.
    """
    port = _free_port()
    server = _serve(port, args.workers, cache_seconds)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    try:
        _wait_ready(port, server)
        for _ in range(args.rounds):
            for name, paths in cases.items():
                bare = measure(port, ["/bench/bare/"], args.seconds, args.concurrency)
                rate = measure(port, paths, args.seconds, args.concurrency)
                samples[name].append((bare, rate))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    return {
        name: (
            statistics.median(b for b, _ in pairs),
            statistics.median(r for _, r in pairs),
            statistics.median(r / b for b, r in pairs),
        )
        for name, pairs in samples.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one slice")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5, help="(bare, case) slice pairs per case")
    parser.add_argument(
        "--no-cold", action="store_true", help="skip the run with the list cache turned off"
    )
    args = parser.parse_args()

    n_policies, n_products = prepare(args.policies, args.products)
    cases = {
        "政策搜索页 /policies/?search=": [f"/policies/?search={quote(w)}" for w in POLICY_WORDS],
        "产品搜索页 /products/?search=": [f"/products/?search={quote(w)}" for w in PRODUCT_WORDS],
        "政策接口 /api/v1/policies/?search=": [
            f"/api/v1/policies/?search={quote(w)}" for w in POLICY_WORDS
        ],
        "产品接口 /api/v1/products/?search=": [
            f"/api/v1/products/?search={quote(w)}" for w in PRODUCT_WORDS
        ],
    }
    modes = [("cached (production default, CATALOGUE_CACHE_SECONDS=300)", 300)]
    if not args.no_cold:
        modes.append(("cold (CATALOGUE_CACHE_SECONDS=0: every request searches and renders)", 0))
    print(
        f"database {DB_NAME}: {n_policies} published policies, {n_products} published products; "
        f"gunicorn {args.workers} sync workers, {args.concurrency} clients; per case {args.rounds} "
        f"pairs of {args.seconds:g} s slices (bare view, then the case); medians"
    )
    for label, seconds in modes:
        results = run_mode(args, cases, seconds)
        print(f"\n{label}")
        for name, (bare, rate, ratio) in results.items():
            flag = "ok" if ratio >= TARGET else "below target"
            print(
                f"  {name:<40} {rate:8.1f} req/s  (bare view {bare:7.1f} req/s)  "
                f"ratio {ratio:.2f}  {flag}"
            )
        lowest = min(ratio for _, _, ratio in results.values())
        print(f"  lowest ratio {lowest:.2f} (target ≥ {TARGET})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
