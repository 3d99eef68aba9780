"""Celery is configured so that no task is lost or run twice by the broker's own redelivery.

acks-late with prefetch 1 and JSON only; every task has time limits; and the Redis visibility
timeout (after which an unacknowledged message is handed to another worker) exceeds every time
limit, retry backoff and countdown, and is set alike for the broker and the result backend.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from portal.celery import app

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = [
    p for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "tests"
]


def project_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_acks_late_prefetch_one_json_only():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit


def test_every_task_has_time_limits_below_the_visibility_timeout():
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    problems = []
    for name, task in sorted(project_tasks().items()):
        hard = task.time_limit or app.conf.task_time_limit
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        if not hard or not soft or soft >= hard:
            problems.append(f"{name}: soft {soft} / hard {hard} time limit")
        elif hard >= visibility:
            problems.append(f"{name}: time limit {hard}s is not below the visibility {visibility}s")
        if getattr(task, "autoretry_for", ()):
            # Celery's defaults when a task sets none: backoff up to 600 s, else a 180 s delay.
            if getattr(task, "retry_backoff", False):
                backoff = getattr(task, "retry_backoff_max", 600)
            else:
                backoff = task.default_retry_delay
            if backoff >= visibility:
                problems.append(f"{name}: retry backoff {backoff}s is not below {visibility}s")
    assert not problems, "\n".join(problems)


def _countdowns() -> list[tuple[str, int, float | None]]:
    """Every ``countdown=``/``retry_backoff_max=``/``default_retry_delay=`` in the project source,
    with its value when it is a literal (None when it is computed)."""
    found = []
    keywords = {"countdown", "retry_backoff_max", "default_retry_delay"}
    for folder in SOURCE_DIRS:
        for path in folder.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.keyword) and node.arg in keywords:
                    value = node.value
                    literal = value.value if isinstance(value, ast.Constant) else None
                    found.append((f"{path.relative_to(ROOT)}:{value.lineno}", node.arg, literal))
                if isinstance(node, ast.keyword) and node.arg == "eta":
                    found.append((f"{path.relative_to(ROOT)}:{node.value.lineno}", "eta", None))
    return found


def test_every_countdown_is_below_the_visibility_timeout():
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    found = _countdowns()
    computed = [f"{where} {arg}" for where, arg, value in found if value is None]
    assert not computed, (
        "countdowns must be literals this test can check against the visibility timeout "
        f"({visibility}s): {computed}"
    )
    too_long = [f"{where} {arg}={value}" for where, arg, value in found if value >= visibility]
    assert not too_long, too_long


def _redis_conf() -> dict:
    """The Celery configuration as a Redis deployment sees it (REDIS_URL set), read in a fresh
    process so this test checks it whatever this run's broker is."""
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15"}
    code = (
        "import json, django; django.setup(); from portal.celery import app; c = app.conf; "
        "print(json.dumps({'broker': c.broker_transport_options, "
        "'backend': c.result_backend_transport_options, 'backend_url': c.result_backend}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "portal.settings"),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_visibility_timeout_is_set_alike_for_broker_and_result_backend():
    conf = _redis_conf()
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    assert conf["broker"]["visibility_timeout"] == visibility
    assert conf["backend"]["visibility_timeout"] == visibility
    assert conf["backend_url"].startswith("redis://")
    longest = max(
        (task.time_limit or app.conf.task_time_limit) for task in project_tasks().values()
    )
    assert visibility > longest
    if settings.REDIS_URL:  # this run's own configuration, too
        assert app.conf.broker_transport_options["visibility_timeout"] == visibility
        assert app.conf.result_backend_transport_options["visibility_timeout"] == visibility
