"""How invitations reach owners: a pluggable channel per wave (email, SMS).

``deliver(messages)`` is called after the run's transaction commits, with plain data only. The
SMS provider is chosen by the ``SATISFACTION_SMS_BACKEND`` setting (a dotted path to a subclass
of ``SmsBackend``); the console backend prints the text and is the default, as email is in
development.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    invitation_id: int
    channel: str
    email: str
    phone: str
    subject: str
    body: str


class SmsBackend:
    """Interface of an SMS provider. ``send_many`` returns the number of messages accepted."""

    def send_many(self, messages: list[tuple[str, str]]) -> int:  # [(phone, text), ...]
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send_many(self, messages: list[tuple[str, str]]) -> int:
        for phone, text in messages:
            self.stream.write(f"[SMS to {phone}] {text}\n")
        self.stream.flush()
        return len(messages)


class MemorySmsBackend(SmsBackend):
    """Keeps messages in ``outbox`` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send_many(self, messages: list[tuple[str, str]]) -> int:
        MemorySmsBackend.outbox.extend(messages)
        return len(messages)


def sms_backend() -> SmsBackend:
    path = getattr(settings, "SATISFACTION_SMS_BACKEND", "satisfaction.channels.ConsoleSmsBackend")
    return import_string(path)()


def deliver(messages: list[Message]) -> int:
    """Send a batch over one email connection and one SMS call. Failures are logged, not raised:
    the rows are already marked sent and a lost message is recovered by the next reminder."""
    emails = [m for m in messages if m.channel == "email"]
    sms = [m for m in messages if m.channel == "sms"]
    count = 0
    if emails:
        try:
            connection = get_connection()
            count += (
                connection.send_messages(
                    [
                        EmailMessage(m.subject, m.body, settings.DEFAULT_FROM_EMAIL, [m.email], connection=connection)
                        for m in emails
                    ]
                )
                or 0
            )
        except Exception:
            logger.exception("satisfaction: email delivery failed for %d invitations", len(emails))
    if sms:
        try:
            count += sms_backend().send_many([(m.phone, f"{m.subject} {m.body}") for m in sms])
        except Exception:
            logger.exception("satisfaction: SMS delivery failed for %d invitations", len(sms))
    return count
