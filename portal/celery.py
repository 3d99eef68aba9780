"""The Celery app. Periodic work is declared once, in ``beat_schedule`` below."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab

from portal.env import env_int

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
# Celery's "current app" is thread-local: without this, a task sent from a thread other than the
# one that imported this module (runserver and the live test server handle requests in threads)
# would go through Celery's fallback app and its default AMQP broker.
app.set_default()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The sweepers re-drive rows left pending (a message lost with Redis, a worker killed mid-task);
# the fault test runs them every few seconds (rows count as left pending after SWEEP_AFTER_SECONDS).
_sweep_every = timedelta(seconds=env_int("SWEEP_INTERVAL_SECONDS", 120))

app.conf.beat_schedule = {
    "portal-heartbeat": {"task": "portal.tasks.heartbeat", "schedule": crontab(minute="*/10")},
    "needs-routing-sweep": {"task": "needs.routing_sweep", "schedule": _sweep_every},
    "notifications-delivery-sweep": {
        "task": "notifications.delivery_sweep",
        "schedule": _sweep_every,
    },
    "catalogue-saved-searches-sweep": {
        "task": "catalogue.saved_searches_sweep",
        "schedule": crontab(minute=20),
    },
    "needs-deadlines-sweep": {"task": "needs.deadlines_sweep", "schedule": crontab(minute="*/10")},
    "applications-reminders": {"task": "applications.reminders", "schedule": crontab(minute=5)},
    "applications-proactive": {
        "task": "applications.proactive_sweep",
        "schedule": crontab(hour=3, minute=15),
    },
    "privacy-retention": {"task": "privacy.retention_sweep", "schedule": crontab(hour=4, minute=5)},
    "eligibility-nightly": {
        "task": "eligibility.rematch_all",
        "schedule": crontab(hour=2, minute=30),
    },
    "dashboards-monthly-bulletins": {
        "task": "dashboards.monthly_bulletins",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "dashboards-turn-hours-rollup": {
        "task": "dashboards.turn_hours_rollup",
        "schedule": crontab(minute="*/15"),
    },
    # Page views are counted in Redis (no database write per view) and added up here.
    "dashboards-catalogue-views-flush": {
        "task": "dashboards.catalogue_views_flush",
        "schedule": timedelta(minutes=1),
    },
}


class _Everything(frozenset):
    """Contains everything: the answer when a backlog is too long to read."""

    def __contains__(self, item: object) -> bool:
        return True


EVERYTHING = _Everything()


def queued_first_args(task_name: str, limit: int = 50_000) -> frozenset | set | None:
    """The first argument of every ``task_name`` message waiting in Redis or held unacknowledged
    by a worker (None when that cannot be told: another broker, or Redis down).

    The sweepers re-drive only the pending rows whose message is not there, so a backlog is not
    flooded with duplicates while a message lost with Redis, or never sent, is still re-driven.
    """
    if not str(app.conf.broker_url).startswith("redis"):
        return None
    try:
        with app.connection_for_read() as connection:
            client = connection.default_channel.client
            queue = app.conf.task_default_queue
            if client.llen(queue) + client.hlen("unacked") > limit:
                return EVERYTHING  # too much to read: take every row as still queued
            raw = client.lrange(queue, 0, -1)
            raw += [json.dumps(json.loads(v)[0]) for v in client.hvals("unacked")]
    except Exception:  # the broker is down: the sweep will fail to send anyway
        return None
    found = set()
    for item in raw:
        try:
            message = json.loads(item)
            if message.get("headers", {}).get("task") != task_name:
                continue
            body = message["body"]
            if message.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args = json.loads(body)[0]
            if args:
                found.add(args[0])
        except (ValueError, KeyError, IndexError, TypeError):
            continue
    return found
