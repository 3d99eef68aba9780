"""Celery tasks of the needs app. Each takes ids, re-fetches, and returns quietly if the row is
gone; a duplicate run changes nothing (the routing row is claimed by a conditional UPDATE, each
alert by a unique constraint)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, OperationalError

from needs.deadlines import deadlines_sweep
from needs.services import financing_need_route, routing_pending_ids

logger = logging.getLogger(__name__)


@shared_task(
    name="needs.route",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=6,
    soft_time_limit=50,
    time_limit=60,
)
def need_route(routing_id: int) -> int | None:
    """Route one need (see ``needs.routing``); returns the assignment id, None if nothing to do."""
    assignment = financing_need_route(routing_id=routing_id)
    return assignment.pk if assignment else None


@shared_task(name="needs.routing_sweep", soft_time_limit=100, time_limit=120)
def routing_sweep() -> int:
    """Re-drive routings whose task never ran (lost message, dead worker)."""
    from portal.celery import queued_first_args

    ids = routing_pending_ids(older_than_seconds=settings.SWEEP_AFTER_SECONDS)
    queued = queued_first_args("needs.route") if ids else None
    ids = [pk for pk in ids if pk not in (queued or ())]  # still queued: not lost
    for routing_id in ids:
        need_route.delay(routing_id)
    if ids:
        logger.warning("re-driving %d pending routing(s)", len(ids))
    return len(ids)


@shared_task(
    name="needs.deadlines_sweep",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=280,
)
def deadline_sweep() -> int:
    """Remind officers before deadlines and escalate overdue cases (each alert sent once)."""
    try:
        return deadlines_sweep()
    except DatabaseError:
        logger.exception("deadline sweep failed")
        raise
