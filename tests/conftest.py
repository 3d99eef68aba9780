"""Shared fixtures: personas (owner, member, outsider per role) and the demo world."""

from __future__ import annotations

import os

import pytest

from accounts.models import Role
from tests.factories import BranchFactory, EnterpriseFactory, RegionFactory, UserFactory


@pytest.fixture(autouse=True)
def _celery_mode(settings):
    """Tasks run eagerly in-process; tests marked ``worker`` use ``real_tasks`` to cross the broker
    (the filesystem broker by default, Redis in CI's second suite) to a real worker process."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from portal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
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


def pytest_sessionfinish(session, exitstatus):
    """Under CI a skipped test is a failure: a suite that did not run did not pass."""
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
