"""The needs flow notifies through each user's preferences: an officer who chose SMS gets the new
need by SMS as well as in the inbox, and no e-mail when e-mail is off."""

import pytest
from django.core import mail

from notifications.models import Notification
from notifications.services import notification_preference_update

pytestmark = pytest.mark.django_db


class Gateway:
    sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.sent.append((phone, text))


def test_assignment_reaches_the_officer_by_the_chosen_channels(world, submit, settings):
    settings.SMS_BACKEND = "tests.needs.test_notification_preferences.Gateway"
    Gateway.sent = []
    officer = world["officer"]
    officer.email, officer.phone = "officer@example.cn", "13905380000"
    officer.save()
    notification_preference_update(user=officer, email_enabled=False, sms_enabled=True)
    need = submit(world["member"])
    inbox = Notification.objects.get(user=officer, kind="need_assigned")
    assert inbox.url == f"/needs/{need.pk}/"
    assert Gateway.sent == [("13905380000", f"【融资服务门户】{inbox.title}")]
    assert "officer@example.cn" not in [address for m in mail.outbox for address in m.to]
