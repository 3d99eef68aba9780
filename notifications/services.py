"""Sending notifications: the inbox row first, then e-mail and SMS after the commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification, NotificationPreference
from portal.sms import send_sms

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_send(
    *, user: User, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str
) -> Notification | None:
    """Put a message in ``user``'s inbox, once per ``dedupe_key``; deliver e-mail/SMS on commit.

    Returns the new notification, or None when one with the same key already exists.
    """
    if Notification.objects.filter(user=user, dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key
            )
    except IntegrityError:  # a concurrent run inserted the same key first
        return None
    transaction.on_commit(lambda: _deliver(notification.pk))
    return notification


def _deliver(notification_id: int) -> None:
    from notifications.tasks import notification_deliver

    notification_deliver.delay(notification_id)


def notification_deliver_now(*, notification_id: int) -> None:
    """Send a notification's e-mail and SMS, each at most once (claimed by a conditional UPDATE)."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return
    user = notification.user
    preference = NotificationPreference.objects.filter(user=user).first()
    email_on = preference.email_enabled if preference else True
    sms_on = preference.sms_enabled if preference else False
    text = f"{notification.title}\n\n{notification.body}".strip()
    if email_on and user.email:
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if claimed:
            send_mail(
                notification.title,
                text,
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                fail_silently=False,
            )
    if sms_on and user.phone:
        claimed = Notification.objects.filter(pk=notification.pk, sms_sent_at__isnull=True).update(
            sms_sent_at=timezone.now()
        )
        if claimed:
            send_sms(phone=user.phone, text=f"【融资服务门户】{notification.title}")


@transaction.atomic
def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    queryset = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=notification_ids)
    return queryset.update(read_at=timezone.now())


@transaction.atomic
def notification_preference_update(
    *, user: User, email_enabled: bool, sms_enabled: bool
) -> NotificationPreference:
    """Set how a user wants to be told, beyond the inbox."""
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_enabled": email_enabled, "sms_enabled": sms_enabled}
    )
    return preference
