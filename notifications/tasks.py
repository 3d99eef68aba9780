"""Delivery of notifications outside the inbox."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from notifications.services import notification_deliver_now


@shared_task(
    name="notifications.deliver",
    autoretry_for=(SMTPException, ConnectionError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def notification_deliver(notification_id: int) -> None:
    """E-mail and SMS for one notification; a second run sends nothing again."""
    notification_deliver_now(notification_id=notification_id)
