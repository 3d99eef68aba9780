"""Pluggable SMS backends. The default prints messages, as Django's console e-mail backend does."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleSmsBackend:
    """Writes each SMS to the log (the phone number is masked: logs never hold personal data)."""

    def send(self, *, phone: str, text: str) -> None:
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
        logger.info("SMS to %s: %s", masked, text)


def send_sms(*, phone: str, text: str) -> None:
    """Send through the backend named by ``settings.SMS_BACKEND``."""
    import_string(settings.SMS_BACKEND)().send(phone=phone, text=text)
