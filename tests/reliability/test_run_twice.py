"""Every registered task, run twice on the same work, has a single effect.

The cases are listed explicitly in ``CASES`` (task name → how to prepare its work); a task that is
registered with the Celery app but has no case here fails ``test_every_task_has_a_run_twice_case``.
The effect is read as a fingerprint of the whole database (rows, values, and whether each
timestamp is set) plus the mail and SMS outboxes and the cache keys a task writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.core.cache import cache
from django.db import connection, models
from django.utils import timezone

from portal.celery import app
from tests.needs.conftest import NEED_DATA

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    """How to give a task work to do: ``prepare(ctx)`` returns the task's args."""

    prepare: Callable[[dict[str, Any]], list[Any]]
    cache_keys: tuple[str, ...] = ()


def _world(ctx: dict[str, Any]) -> dict[str, Any]:
    """The needs world (a firm on a chain with lead banks), with e-mail addresses to deliver to."""
    world = ctx["world"]
    for key in ("member", "officer", "officer2", "manager", "staff"):
        user = world[key]
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    return world


def _submitted_need(ctx: dict[str, Any]):
    """A need committed with its routing row pending and its message never sent."""
    from needs.models import RoutingRequest
    from needs.services import financing_need_submit

    world = _world(ctx)
    with ctx["capture"](execute=False):
        need = financing_need_submit(
            enterprise=world["firm"], submitted_by=world["member"], data=NEED_DATA
        )
    return RoutingRequest.objects.get(need=need)


def _routed_need(ctx: dict[str, Any]):
    from needs.services import financing_need_route

    routing = _submitted_need(ctx)
    with ctx["capture"](execute=True):
        financing_need_route(routing_id=routing.pk)
    return routing.need


def prepare_route(ctx):
    return [_submitted_need(ctx).pk]


def prepare_routing_sweep(ctx):
    from needs.models import RoutingRequest

    _submitted_need(ctx)
    RoutingRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    return []


def prepare_deadlines_sweep(ctx):
    from needs.models import Deadline

    need = _routed_need(ctx)
    Deadline.objects.filter(need=need).update(due_at=timezone.now() - dt.timedelta(days=10))
    return []


def _pending_notification(ctx):
    from notifications.services import notification_send

    world = _world(ctx)
    with ctx["capture"](execute=False):
        return notification_send(
            user=world["officer"],
            kind="test",
            title="新的融资需求",
            body="请及时接单",
            dedupe_key="run-twice:1",
        )


def prepare_deliver(ctx):
    return [_pending_notification(ctx).pk]


def prepare_delivery_sweep(ctx):
    from notifications.models import Notification

    _pending_notification(ctx)
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    return []


def _proactive_policy(ctx):
    from applications.models import ProactivePolicy
    from tests.applications.helpers import make_policy

    world = _world(ctx)
    firm = world["firm"]
    firm.qualifications = ["tech_sme"]
    firm.annual_revenue_yuan = 32_000_000
    firm.save()
    policy = make_policy(ctx["regions"]["daiyue"])
    ProactivePolicy.objects.create(policy=policy)
    return policy


def prepare_proactive_create(ctx):
    return [_proactive_policy(ctx).pk]


def prepare_proactive_sweep(ctx):
    _proactive_policy(ctx)
    return []


def prepare_reminders(ctx):
    from applications.models import PolicyApplication
    from applications.services import proactive_applications_create

    policy = _proactive_policy(ctx)
    proactive_applications_create(policy_id=policy.pk)
    PolicyApplication.objects.filter(policy=policy).update(
        status="returned", correction_due_on=timezone.localdate(), return_items="补充财务报表"
    )
    return []


def _matching_policy(ctx):
    return _proactive_policy(ctx)


def prepare_rematch_enterprise(ctx):
    _matching_policy(ctx)
    return [ctx["world"]["firm"].pk]


def prepare_rematch_policies(ctx):
    return [[_matching_policy(ctx).pk]]


def prepare_rematch_all(ctx):
    _matching_policy(ctx)
    return []


def prepare_saved_searches(ctx):
    from catalogue.models import SavedSearch

    world = _world(ctx)
    policy = _matching_policy(ctx)
    SavedSearch.objects.create(user=world["member"], kind="policy", name="全部政策", params={})
    return ["policy", [policy.pk]]


def prepare_saved_searches_sweep(ctx):
    prepare_saved_searches(ctx)
    return []


def _last_month() -> tuple[int, int]:
    first = timezone.localdate().replace(day=1)
    previous = first - dt.timedelta(days=1)
    return previous.year, previous.month


def prepare_generate_bulletin(ctx):
    _routed_need(ctx)
    return [ctx["regions"]["daiyue"].pk, *_last_month()]


def prepare_monthly_bulletins(ctx):
    _routed_need(ctx)
    return []


def prepare_run_job(ctx):
    from dashboards.models import Job

    world = _world(ctx)
    _routed_need(ctx)
    job = Job.objects.create(kind=Job.Kind.DASHBOARD_EXPORT, params={}, requested_by=world["staff"])
    return [job.pk]


def prepare_turn_hours_rollup(ctx):
    from needs.models import Deadline

    need = _routed_need(ctx)
    Deadline.objects.filter(need=need, kind=Deadline.Kind.ACCEPT).update(met_at=timezone.now())
    return []


def prepare_catalogue_views_flush(ctx):
    from dashboards.counters import view_counter
    from dashboards.services import catalogue_view_record

    for batch_id, _ in view_counter.take():  # counts left by earlier tests
        view_counter.done(batch_id)
    view_counter.restart_local_clock()  # the counts wait for the task, even without Redis
    for _ in range(3):
        catalogue_view_record(kind="policy", object_id=1, day=dt.date(2026, 11, 20))
    return []


def prepare_retention_sweep(ctx):
    from needs.models import FinancingNeed

    need = _routed_need(ctx)
    FinancingNeed.objects.filter(pk=need.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=5 * 365)
    )
    return []


def prepare_nothing(ctx):
    return []


def prepare_ping(ctx):
    return ["run-twice"]


CASES: dict[str, Case] = {
    "needs.route": Case(prepare_route),
    "needs.routing_sweep": Case(prepare_routing_sweep),
    "needs.deadlines_sweep": Case(prepare_deadlines_sweep),
    "notifications.deliver": Case(prepare_deliver),
    "notifications.delivery_sweep": Case(prepare_delivery_sweep),
    "applications.proactive_create": Case(prepare_proactive_create),
    "applications.proactive_sweep": Case(prepare_proactive_sweep),
    "applications.reminders": Case(prepare_reminders),
    "eligibility.rematch_enterprise": Case(prepare_rematch_enterprise),
    "eligibility.rematch_policies": Case(prepare_rematch_policies),
    "eligibility.rematch_all": Case(prepare_rematch_all),
    "catalogue.saved_searches_notify": Case(prepare_saved_searches),
    "catalogue.saved_searches_sweep": Case(prepare_saved_searches_sweep),
    "dashboards.generate_bulletin": Case(prepare_generate_bulletin),
    "dashboards.monthly_bulletins": Case(prepare_monthly_bulletins),
    "dashboards.run_job": Case(prepare_run_job),
    "dashboards.turn_hours_rollup": Case(prepare_turn_hours_rollup),
    "dashboards.catalogue_views_flush": Case(prepare_catalogue_views_flush),
    "privacy.retention_sweep": Case(prepare_retention_sweep),
    "portal.tasks.heartbeat": Case(prepare_nothing, cache_keys=("portal:worker-heartbeat",)),
    "portal.tasks.ping": Case(prepare_ping, cache_keys=("portal:ping:run-twice",)),
}


def project_tasks() -> set[str]:
    """The tasks this project registers (Celery's own ``celery.*`` tasks aside)."""
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_has_a_run_twice_case():
    missing = sorted(project_tasks() - CASES.keys())
    assert not missing, (
        f"registered Celery task(s) without a run-twice test: {missing}. Add a Case for each to "
        "CASES in tests/reliability/test_run_twice.py (prepare its work; the test runs it twice "
        "and checks the second run changes nothing)."
    )
    stale = sorted(CASES.keys() - project_tasks())
    assert not stale, f"CASES names tasks that are no longer registered: {stale}"


def _value(field: models.Field, value: Any) -> Any:
    # Timestamps differ between runs by nature; whether one is set is what a claim records.
    if isinstance(field, models.DateTimeField):
        return value is not None
    return value


def fingerprint(cache_keys: tuple[str, ...]) -> dict[str, Any]:
    """Every row of every model, plus what left the system (mail, SMS) and the task's cache keys."""
    rows: dict[str, Any] = {}
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or model._meta.db_table not in tables:
            continue
        fields = [f for f in model._meta.concrete_fields]
        rows[model._meta.label] = sorted(
            (
                tuple(repr(_value(f, getattr(obj, f.attname))) for f in fields)
                for obj in model._base_manager.all()
            ),
        )
    return {
        "rows": rows,
        "mail": [(m.subject, tuple(m.to)) for m in mail.outbox],
        "cache": {key: cache.get(key) is not None for key in cache_keys},
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_task_run_twice_has_a_single_effect(
    name, world, regions, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SWEEP_AFTER_SECONDS = 60
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = CASES[name]
    ctx = {"world": world, "regions": regions, "capture": django_capture_on_commit_callbacks}
    args = case.prepare(ctx)
    for key in case.cache_keys:
        cache.delete(key)
    task = app.tasks[name]
    before = fingerprint(case.cache_keys)
    with django_capture_on_commit_callbacks(execute=True):
        task.apply(args=args).get()
    once = fingerprint(case.cache_keys)
    assert once != before, f"{name}: the prepared work had no effect, so the test proves nothing"
    with django_capture_on_commit_callbacks(execute=True):
        task.apply(args=args).get()
    twice = fingerprint(case.cache_keys)
    changed = {
        label: (once["rows"][label], twice["rows"][label])
        for label in once["rows"]
        if once["rows"][label] != twice["rows"][label]
    }
    assert twice == once, f"{name}: the second run changed {changed or 'mail/SMS/cache'}"
