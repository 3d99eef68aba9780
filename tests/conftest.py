"""Shared fixtures: personas (owner, member, outsider per role) and the demo world."""

from __future__ import annotations

import contextlib
import os

import pytest

from accounts.models import Role
from tests.factories import BranchFactory, EnterpriseFactory, RegionFactory, UserFactory
from tests.privacy.logscan import personal_data_in_logs, personal_data_log_capture  # noqa: F401


@pytest.fixture(autouse=True)
def _celery_mode(settings):
    """Tasks run eagerly in-process; tests marked ``worker`` use ``real_tasks`` to cross the broker
    (the filesystem broker by default, Redis in CI's second suite) to a real worker process."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from portal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache():
    """Cached catalogue lists must not leak from one test's database into the next: a new
    catalogue version makes them unreachable (without flushing a cache shared with the broker)."""
    from catalogue.cache import catalogue_changed_now

    # A fault test may be restarting the cache server: the isolation step then has nothing to do.
    with contextlib.suppress(Exception):
        catalogue_changed_now()
    yield


@pytest.fixture
def demo(db):
    """The demo world of ``load_demo`` (regions, chains, banks, firms, contract accounts)."""
    from portal.demo import demo_load

    return demo_load()


@pytest.fixture
def regions(db):
    city = RegionFactory(code="370900", name="泰安市")
    return {
        "city": city,
        "daiyue": RegionFactory(code="370911", name="岱岳区", parent=city),
        "taishan": RegionFactory(code="370902", name="泰山区", parent=city),
        "qingdao": RegionFactory(code="370200", name="青岛市"),
        "huangdao": RegionFactory(code="370211", name="黄岛区"),
    }


@pytest.fixture
def personas(regions):
    """One user per role, with an outsider for each: the firm's own member and another firm's."""
    firm = EnterpriseFactory(region=regions["daiyue"], name="本企业有限公司")
    other_firm = EnterpriseFactory(region=regions["huangdao"], name="他企业有限公司")
    branch = BranchFactory(region=regions["daiyue"])
    other_branch = BranchFactory(region=regions["huangdao"])
    return {
        "firm": firm,
        "other_firm": other_firm,
        "branch": branch,
        "other_branch": other_branch,
        "member": UserFactory(username="member", role=Role.ENTERPRISE_MEMBER, enterprise=firm),
        "other_member": UserFactory(
            username="other-member", role=Role.ENTERPRISE_MEMBER, enterprise=other_firm
        ),
        "officer": UserFactory(username="officer", role=Role.BANK_OFFICER, branch=branch),
        "other_officer": UserFactory(
            username="other-officer", role=Role.BANK_OFFICER, branch=other_branch
        ),
        "manager": UserFactory(username="manager", role=Role.BANK_MANAGER, branch=branch),
        "staff": UserFactory(username="staff", role=Role.DISTRICT_STAFF, region=regions["daiyue"]),
        "city_staff": UserFactory(
            username="city-staff", role=Role.DISTRICT_STAFF, region=regions["city"]
        ),
        "other_staff": UserFactory(
            username="other-staff", role=Role.DISTRICT_STAFF, region=regions["qingdao"]
        ),
        "admin": UserFactory(
            username="admin-user", role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True
        ),
    }


def on_postgres_and_redis() -> bool:
    """Whether this run has the real backends (CI's second suite): PostgreSQL and Redis."""
    return os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(
        os.environ.get("REDIS_URL")
    )


def pytest_collection_modifyitems(session, config, items):
    """Tests marked ``services`` (fault injection, backup and restore) need PostgreSQL and Redis.

    Without them they are deselected — said out loud, not skipped (under CI a skip fails the
    run) — and with them they run last, because they restart the servers the others use.
    """
    marked = [item for item in items if item.get_closest_marker("services")]
    if not marked:
        return
    others = [item for item in items if not item.get_closest_marker("services")]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if on_postgres_and_redis():
        items[:] = others + marked
        return
    items[:] = others
    config.hook.pytest_deselected(items=marked)
    if reporter:
        reporter.write_line(
            f"deselected {len(marked)} test(s) marked 'services' (they need DATABASE_URL="
            "postgres://... and REDIS_URL; CI runs them in its second suite): "
            + ", ".join(item.nodeid for item in marked),
            yellow=True,
        )


def pytest_sessionfinish(session, exitstatus):
    """Under CI a skipped test is a failure: a suite that did not run did not pass."""
    personal_data_in_logs(session)  # logs must hold no phone number and no USCC
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} skipped test(s) count as failures", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def live_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker process bound to the test database (filesystem broker or Redis).

    Tests that use it must commit their data (``django_db(transaction=True)``) and switch eager
    mode off, so that tasks cross the broker as in production.
    """
    from django.db import connection

    from tests.worker_process import WorkerProcess

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER'] or ''}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    process = WorkerProcess(
        tmp_path_factory.mktemp("worker") / "worker.log", extra_env={"DATABASE_URL": url}
    )
    try:
        process.wait_for("ready.")
        yield process
    finally:
        process.stop()


@pytest.fixture
def real_tasks(live_worker):
    """Send tasks to ``live_worker`` instead of running them in-process."""
    from portal.celery import app

    app.conf.task_always_eager = False
    yield live_worker
    app.conf.task_always_eager = True
