"""Celery tasks of the applications app. Each takes ids (or nothing), re-reads the database, and
is idempotent: drafts are unique per firm, policy and year; reminders go once per dedupe key."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from applications.models import ProactivePolicy
from applications.services import application_reminders_send, proactive_applications_create

logger = logging.getLogger(__name__)


@shared_task(
    name="applications.proactive_create",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=280,
)
def proactive_applications_create_task(policy_id: int) -> int:
    """免申即享: pre-filled drafts for the firms that already qualify for one policy."""
    return proactive_applications_create(policy_id=policy_id)


@shared_task(name="applications.proactive_sweep", soft_time_limit=100, time_limit=120)
def proactive_sweep() -> int:
    """Daily: re-run 免申即享 for every marked policy (new firms, profile changes, a new year)."""
    ids = list(ProactivePolicy.objects.values_list("policy_id", flat=True))
    for policy_id in ids:
        proactive_applications_create_task.delay(policy_id)
    return len(ids)


@shared_task(
    name="applications.reminders",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=280,
)
def application_reminders() -> int:
    """Remind firms of returned applications and staff of publicity periods ending."""
    return application_reminders_send()
