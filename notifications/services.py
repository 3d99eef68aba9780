"""Sending notifications: the inbox row first, then e-mail and SMS after the commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification, NotificationPreference
from portal.sms import send_sms

logger = logging.getLogger(__name__)

# A notification still undelivered after this long is not re-driven: news that old is stale.
REDELIVERY_WINDOW = timedelta(days=2)


def notification_send(
    *, user: User, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str
) -> Notification | None:
    """Put a message in ``user``'s inbox, once per ``dedupe_key``; deliver e-mail/SMS on commit.

    Returns the new notification, or None when one with the same key already exists.
    No outer atomic block: the insert has its own savepoint (a concurrent duplicate rolls back
    only that), and ``on_commit`` follows the caller's transaction, or runs at once without one.
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
    # robust: the inbox row is committed; if the broker is down the sweeper delivers later.
    transaction.on_commit(lambda: _deliver(notification.pk), robust=True)
    return notification


def _deliver(notification_id: int) -> None:
    from notifications.tasks import notification_deliver

    notification_deliver.delay(notification_id)


def _deliver_channel(notification_id: int, field: str, send: Callable[[], object]) -> bool:
    """Send on one channel unless already done, under the row's lock, and record it.

    The send happens inside the transaction that records it: a failed send rolls the record back
    (the retry sends again), and a duplicate run waits for the lock, then finds the channel done.
    """
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, **{f"{field}__isnull": True})
            .first()
        )
        if row is None:
            return False
        send()
        Notification.objects.filter(pk=notification_id).update(**{field: timezone.now()})
    return True


def notification_deliver_now(*, notification_id: int) -> None:
    """Send a notification's e-mail and SMS, each once, then mark its delivery done."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.delivered_at is not None:
        return
    user = notification.user
    preference = NotificationPreference.objects.filter(user=user).first()
    email_on = preference.email_enabled if preference else True
    sms_on = preference.sms_enabled if preference else False
    text = f"{notification.title}\n\n{notification.body}".strip()
    if email_on and user.email:
        _deliver_channel(
            notification.pk,
            "emailed_at",
            lambda: send_mail(
                notification.title,
                text,
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                fail_silently=False,
            ),
        )
    if sms_on and user.phone:
        _deliver_channel(
            notification.pk,
            "sms_sent_at",
            lambda: send_sms(phone=user.phone, text=f"【融资服务门户】{notification.title}"),
        )
    Notification.objects.filter(pk=notification.pk, delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )


def notification_redrive_ids(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Claim for re-driving the notifications whose delivery is still pending
    ``older_than_seconds`` after they were written or last re-driven (their task never ran), oldest
    first; rows older than ``REDELIVERY_WINDOW`` are given up."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(
            Q(redriven_at__isnull=True) | Q(redriven_at__lt=cutoff),
            delivered_at__isnull=True,
            created_at__lt=cutoff,
            created_at__gte=now - REDELIVERY_WINDOW,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    Notification.objects.filter(pk__in=ids).update(redriven_at=now)
    return ids


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
    """Set how a user wants to be told beyond the inbox, which every user always has.

    SMS needs a mobile number on the account; e-mail without an address is kept as a wish and
    simply not sent until one is entered.
    """
    if sms_enabled and not user.phone:
        raise ValidationError({"sms_enabled": "您的账号尚未登记手机号，无法开通短信通知。"})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_enabled": email_enabled, "sms_enabled": sms_enabled}
    )
    return preference
