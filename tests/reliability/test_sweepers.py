"""Notifications are pending rows: written with their cause, delivered after the commit, and
re-driven by ``notifications.delivery_sweep`` when their task never ran."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_send
from notifications.tasks import delivery_sweep

pytestmark = pytest.mark.django_db


def _send(user, key="sweep-1"):
    return notification_send(user=user, kind="test", title="新的融资需求", dedupe_key=key)


def test_rollback_queues_no_delivery_and_commit_queues_one(
    personas, django_capture_on_commit_callbacks
):
    member = personas["member"]
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                _send(member)
                raise RuntimeError("the cause failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not Notification.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        _send(member)
        _send(member)  # same key: nothing more
    assert len(callbacks) == 1
    assert Notification.objects.get().delivered_at is None  # pending until the task runs


def test_a_lost_delivery_is_redriven_once_then_left_for_a_while(
    personas, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications.tasks import notification_deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SWEEP_AFTER_SECONDS = 60
    member = personas["member"]
    member.email = "member@example.cn"
    member.save()
    with django_capture_on_commit_callbacks(execute=False):  # the message was lost
        notification = _send(member)
    assert delivery_sweep.apply().get() == 0  # too fresh: its own task may still come
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    with monkeypatch.context() as patch:  # the re-driven message is lost too
        patch.setattr(notification_deliver, "delay", lambda *args: None)
        assert delivery_sweep.apply().get() == 1
        assert delivery_sweep.apply().get() == 0  # just re-driven: not again before SWEEP_AFTER
    Notification.objects.update(redriven_at=timezone.now() - dt.timedelta(minutes=5))
    assert delivery_sweep.apply().get() == 1
    notification.refresh_from_db()
    assert notification.delivered_at and notification.emailed_at
    assert len(mail.outbox) == 1
    assert delivery_sweep.apply().get() == 0


def test_a_failed_send_is_not_recorded_so_the_retry_sends(personas, settings, monkeypatch):
    from notifications import services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    member = personas["member"]
    member.email = "member@example.cn"
    member.save()
    notification = Notification.objects.create(
        user=member, kind="test", title="测试", dedupe_key="fail-1"
    )
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("SMTP down")
        return 1

    monkeypatch.setattr(services, "send_mail", flaky)
    with pytest.raises(ConnectionError):
        services.notification_deliver_now(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None and notification.delivered_at is None
    services.notification_deliver_now(notification_id=notification.pk)
    services.notification_deliver_now(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at and notification.delivered_at and len(calls) == 2
