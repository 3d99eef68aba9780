"""The Celery app. Periodic work is declared once, in ``beat_schedule`` below."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
# Celery's "current app" is thread-local: without this, a task sent from a thread other than the
# one that imported this module (runserver and the live test server handle requests in threads)
# would go through Celery's fallback app and its default AMQP broker.
app.set_default()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "portal-heartbeat": {"task": "portal.tasks.heartbeat", "schedule": crontab(minute="*/10")},
    "needs-routing-sweep": {"task": "needs.routing_sweep", "schedule": crontab(minute="*/2")},
    "needs-deadlines-sweep": {"task": "needs.deadlines_sweep", "schedule": crontab(minute="*/10")},
    "applications-reminders": {"task": "applications.reminders", "schedule": crontab(minute=5)},
    "applications-proactive": {
        "task": "applications.proactive_sweep",
        "schedule": crontab(hour=3, minute=15),
    },
    "eligibility-nightly": {
        "task": "eligibility.rematch_all",
        "schedule": crontab(hour=2, minute=30),
    },
}
