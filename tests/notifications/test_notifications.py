import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from notifications.models import Notification, NotificationPreference
from notifications.services import (
    notification_deliver_now,
    notification_mark_read,
    notification_preference_update,
    notification_send,
)

pytestmark = pytest.mark.django_db


def send(user, key="k1"):
    return notification_send(
        user=user, kind="test", title="您的融资需求已被接单", body="工商银行已接单", dedupe_key=key
    )


def test_same_key_is_sent_once_and_emailed_once(personas, django_capture_on_commit_callbacks):
    member = personas["member"]
    member.email = "member@example.cn"
    member.save()
    with django_capture_on_commit_callbacks(execute=True):
        first = send(member)
        second = send(member)
    assert first is not None
    assert second is None
    assert Notification.objects.filter(user=member).count() == 1
    assert len(mail.outbox) == 1
    notification_deliver_now(notification_id=first.pk)  # a duplicate task run
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "您的融资需求已被接单"


def test_rollback_queues_nothing(personas, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                send(personas["member"])
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_inbox_shows_only_own_messages_with_constant_queries(
    client, personas, django_assert_num_queries
):
    send(personas["member"], "a")
    send(personas["other_member"], "other")
    client.force_login(personas["member"])
    # user, count, page, preference (the session comes from the cache)
    with django_assert_num_queries(4):
        response = client.get("/inbox/")
    text = response.content.decode()
    assert text.count("您的融资需求已被接单") == 1
    for index in range(30):
        send(personas["member"], f"more-{index}")
    with django_assert_num_queries(4):
        client.get("/inbox/")


def test_mark_read_touches_only_own(personas):
    send(personas["member"], "a")
    send(personas["other_member"], "b")
    assert notification_mark_read(user=personas["member"]) == 1
    assert (
        Notification.objects.filter(user=personas["other_member"], read_at__isnull=True).count()
        == 1
    )


# --- Preferences: the inbox always, e-mail and SMS as each user chooses ---------------------------


class CollectingSmsBackend:
    """A stand-in SMS gateway (the backend is pluggable through ``settings.SMS_BACKEND``)."""

    sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.sent.append((phone, text))


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "tests.notifications.test_notifications.CollectingSmsBackend"
    CollectingSmsBackend.sent = []
    return CollectingSmsBackend.sent


@pytest.fixture
def reachable(personas):
    member = personas["member"]
    member.email, member.phone = "member@example.cn", "13805381234"
    member.save()
    return member


def deliver(user, key, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return send(user, key)


def test_defaults_are_inbox_and_email_no_sms(reachable, sms, django_capture_on_commit_callbacks):
    deliver(reachable, "a", django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=reachable).count() == 1
    assert len(mail.outbox) == 1 and sms == []


def test_preferences_switch_email_off_and_sms_on(
    reachable, sms, django_capture_on_commit_callbacks
):
    notification_preference_update(user=reachable, email_enabled=False, sms_enabled=True)
    notification = deliver(reachable, "a", django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=reachable).count() == 1  # the inbox still has it
    assert mail.outbox == []
    assert sms == [("13805381234", "【融资服务门户】您的融资需求已被接单")]
    notification_deliver_now(notification_id=notification.pk)  # a duplicate task run
    assert len(sms) == 1
    notification.refresh_from_db()
    assert notification.sms_sent_at is not None and notification.emailed_at is None


def test_preferences_are_per_user(personas, reachable, sms, django_capture_on_commit_callbacks):
    other = personas["officer"]
    other.email = "officer@example.cn"
    other.save()
    notification_preference_update(user=reachable, email_enabled=False, sms_enabled=False)
    deliver(reachable, "a", django_capture_on_commit_callbacks)
    deliver(other, "b", django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["officer@example.cn"]]


def test_no_address_means_no_email(personas, sms, django_capture_on_commit_callbacks):
    deliver(personas["member"], "a", django_capture_on_commit_callbacks)
    assert mail.outbox == [] and Notification.objects.filter(user=personas["member"]).exists()


def test_console_sms_backend_masks_the_number(
    reachable, settings, caplog, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "portal.sms.ConsoleSmsBackend"
    notification_preference_update(user=reachable, email_enabled=True, sms_enabled=True)
    with caplog.at_level("INFO", logger="portal.sms"):
        deliver(reachable, "a", django_capture_on_commit_callbacks)
    assert "SMS to 138****1234: 【融资服务门户】您的融资需求已被接单" in caplog.text
    assert "13805381234" not in caplog.text


def test_sms_needs_a_phone_number(personas, client):
    member = personas["member"]
    with pytest.raises(ValidationError):
        notification_preference_update(user=member, email_enabled=True, sms_enabled=True)
    assert not NotificationPreference.objects.filter(user=member).exists()
    client.force_login(member)
    response = client.post("/inbox/preferences/", {"email_enabled": "on", "sms_enabled": "on"})
    assert response.status_code == 400
    assert "尚未登记手机号" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=member).exists()


def test_preferences_page_saves_and_shows_the_choice(reachable, client):
    client.force_login(reachable)
    response = client.post("/inbox/preferences/", {"sms_enabled": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=reachable)
    assert (preference.email_enabled, preference.sms_enabled) == (False, True)
    response = client.get("/inbox/")
    assert response.context["form"].initial == {"email_enabled": False, "sms_enabled": True}
    page = response.content.decode()
    assert "发送至 138****1234" in page
    assert "站内消息始终保留" in page
