"""Delivery of notifications outside the inbox."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from notifications.services import notification_deliver_now, notification_redrive_ids

logger = logging.getLogger(__name__)


@shared_task(
    name="notifications.deliver",
    autoretry_for=(SMTPException, ConnectionError, OperationalError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def notification_deliver(notification_id: int) -> None:
    """E-mail and SMS for one notification; a second run sends nothing again."""
    notification_deliver_now(notification_id=notification_id)


@shared_task(name="notifications.delivery_sweep", soft_time_limit=100, time_limit=120)
def delivery_sweep() -> int:
    """Re-drive deliveries whose task never ran (lost message, dead worker); returns how many."""
    from portal.celery import queued_first_args

    ids = notification_redrive_ids(older_than_seconds=settings.SWEEP_AFTER_SECONDS)
    queued = queued_first_args("notifications.deliver") if ids else None
    ids = [pk for pk in ids if pk not in (queued or ())]  # still queued: not lost
    for notification_id in ids:
        notification_deliver.delay(notification_id)
    if ids:
        logger.warning("re-driving %d pending notification deliveries", len(ids))
    return len(ids)
