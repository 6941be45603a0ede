from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


@shared_task(name="estates.notification_email_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def notification_email_send(*, notification_ids: list[int]) -> int:
    """Email each notification once: the row is claimed (emailed_at set) before sending.

    A repeated delivery of the same message finds the rows claimed and sends nothing.
    """
    sent = 0
    for pk in notification_ids:
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
            if not claimed:
                continue
            n = Notification.objects.select_related("recipient").get(pk=pk)
            if not n.recipient.email:
                continue
            link = f"{settings.SITE_URL}{n.url}" if n.url else ""
            # One line of subject whatever the title holds: a newline from user text would be a bad header.
            subject = " ".join(n.title.split())
            send_mail(subject, f"{n.body}\n\n{link}".strip(), settings.DEFAULT_FROM_EMAIL, [n.recipient.email])
            sent += 1
    return sent


@shared_task(name="estates.notifications_email_pending")
def notifications_email_pending(*, older_than_seconds: int = 60, limit: int = 500) -> int:
    """Email the notifications whose after-commit task never reached a worker (broker down at
    commit). Only rows older than ``older_than_seconds`` (the normal path has had its chance) and
    younger than a day; each row is claimed before sending, so this and a late normal task never
    both send it. Safe to run twice at once."""
    from datetime import timedelta

    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=now - timedelta(seconds=older_than_seconds),
            created_at__gte=now - timedelta(days=1),
        ).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    return notification_email_send(notification_ids=ids) if ids else 0


@shared_task(name="estates.outbox_drain")
def outbox_drain_task() -> int:
    """Turn pending outbox events into webhook deliveries (idempotent, safe to run twice at once)."""
    from .outbox import outbox_drain

    return outbox_drain()


@shared_task(name="estates.webhook_deliveries_send")
def webhook_deliveries_send_task() -> int:
    """Attempt the webhook deliveries that are due (each claimed before it is sent)."""
    from .webhooks import webhook_deliveries_send

    return webhook_deliveries_send()


@shared_task(name="estates.login_throttles_prune")
def login_throttles_prune_task() -> int:
    """Forget login-throttle rows idle for a day."""
    from .security import login_throttles_prune

    return login_throttles_prune()
