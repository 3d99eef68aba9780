import pytest
from django.core import mail

from notifications.models import Notification
from notifications.services import (
    notification_deliver_now,
    notification_mark_read,
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
    # session, user, count, page, preference
    with django_assert_num_queries(5):
        response = client.get("/inbox/")
    text = response.content.decode()
    assert text.count("您的融资需求已被接单") == 1
    for index in range(30):
        send(personas["member"], f"more-{index}")
    with django_assert_num_queries(5):
        client.get("/inbox/")


def test_mark_read_touches_only_own(personas):
    send(personas["member"], "a")
    send(personas["other_member"], "b")
    assert notification_mark_read(user=personas["member"]) == 1
    assert (
        Notification.objects.filter(user=personas["other_member"], read_at__isnull=True).count()
        == 1
    )
