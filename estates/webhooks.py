"""Signed webhooks for sales systems: one delivery per (event, subscription), retried for 24 h.

Each POST carries
    X-Touchstone-Event:     the event name (complaint.filed, ...)
    X-Touchstone-Delivery:  the delivery's UUID — the same on every retry and on a replay, so the
                            receiver dedupes on it
    X-Touchstone-Timestamp: Unix seconds when this attempt was signed
    X-Touchstone-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}" keyed with the secret>
A 2xx answer delivers it; anything else (a redirect too: it is never followed) is retried with exponential backoff
(30 s, 1 min, 2 min, ... capped at 1 h) until 24 h after the event; every attempt is recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import ApiClient, OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

RETRY_WINDOW = timedelta(hours=24)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
SEND_BATCH_SIZE = 50


def webhook_subscription_create(*, client: ApiClient, url: str, event_types: list[str],
                                secret: str | None = None) -> WebhookSubscription:
    """Subscribe ``client`` to ``event_types`` at ``url``; the secret is generated unless given.

    Raises ValueError for an unknown event type. Not idempotent: each call adds a subscription.
    """
    from .outbox import EVENTS

    unknown = sorted(set(event_types) - set(EVENTS))
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    return WebhookSubscription.objects.create(
        client=client, url=url, event_types=sorted(set(event_types)), secret=secret or secrets.token_urlsafe(32)
    )


def delivery_new(*, event: OutboxEvent, subscription: WebhookSubscription) -> WebhookDelivery:
    """An unsaved delivery due now (the drain bulk-creates them)."""
    now = timezone.now()
    return WebhookDelivery(
        event=event, subscription=subscription, delivery_id=uuid.uuid4(), next_attempt_at=now,
        give_up_at=event.created_at + RETRY_WINDOW, created_at=now,
    )


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """The JSON body: identical bytes on every attempt of one delivery."""
    event = delivery.event
    document = {
        "id": str(delivery.delivery_id),
        "event": event.event,
        "occurred_at": event.created_at.isoformat(),
        "project": event.project.code,
        "data": event.payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` over ``b"{timestamp}." + body``; receivers compute the same and compare."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def backoff_after(attempt_count: int) -> timedelta:
    """Wait before attempt ``attempt_count + 1``: 30 s, 60 s, 120 s, ... at most an hour."""
    return min(FIRST_BACKOFF * (2 ** max(attempt_count - 1, 0)), MAX_BACKOFF)


def kick_send() -> None:
    """Ask a worker to send due deliveries after commit; beat sends them anyway if the broker is down."""
    from .tasks import webhook_deliveries_send_task

    def _kick():
        try:
            webhook_deliveries_send_task.apply_async(retry=False)
        except Exception:  # noqa: BLE001 - beat's next run sends them
            logger.warning("broker unavailable: webhook deliveries wait for the next periodic run")

    transaction.on_commit(_kick, robust=True)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (recorded, retried), never followed: no re-POST elsewhere, no internal hops."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(*, url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str]:
    if not url.lower().startswith(("http://", "https://")):
        return None, "refused: not an http(s) URL"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) checked above
    try:
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:300]


def webhook_delivery_attempt(*, delivery_pk: int) -> WebhookAttempt | None:
    """Make the next attempt of one delivery if it is due; None when it is not (or another worker has it).

    The delivery is claimed by moving ``next_attempt_at`` past the request timeout with a
    conditional UPDATE, so two workers never POST the same attempt. The result is recorded as a
    WebhookAttempt and the delivery becomes delivered, scheduled again, or given up.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 30)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_pk, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("event__project", "subscription__client").get(pk=delivery_pk)
    subscription = delivery.subscription
    body = webhook_body(delivery)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Touchstone-Webhooks/1",
        "X-Touchstone-Event": delivery.event.event,
        "X-Touchstone-Delivery": str(delivery.delivery_id),
        "X-Touchstone-Timestamp": str(timestamp),
        "X-Touchstone-Signature": webhook_signature(secret=subscription.secret, timestamp=timestamp, body=body),
    }
    if subscription.active:
        started = time.monotonic()
        status_code, error = _post(url=subscription.url, headers=headers, body=body)
        duration_ms = int((time.monotonic() - started) * 1000)
    else:
        status_code, error, duration_ms = None, "subscription inactive", 0
    done_at = timezone.now()
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery, at=done_at, status_code=status_code, error=error, duration_ms=duration_ms
        )
        delivery.attempt_count += 1
        delivery.last_status_code = status_code
        if status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at = WebhookDelivery.Status.SUCCEEDED, done_at
        else:
            delivery.next_attempt_at = done_at + backoff_after(delivery.attempt_count)
            if delivery.next_attempt_at > delivery.give_up_at or not subscription.active:
                delivery.status = WebhookDelivery.Status.FAILED
        delivery.save(update_fields=["attempt_count", "last_status_code", "status", "delivered_at", "next_attempt_at"])
    return attempt


def webhook_deliveries_send(*, limit: int = SEND_BATCH_SIZE) -> int:
    """Attempt every due delivery (at most ``limit``); returns how many attempts were made.

    Safe to run twice at once: each delivery is claimed before it is sent.
    """
    due = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if webhook_delivery_attempt(delivery_pk=pk) is not None)


def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (an administrator's action): due now, with a fresh 24 h retry window.

    It keeps its delivery id, so a receiver that already processed it can recognise the repeat.
    Repeating the replay before it is sent changes nothing more.
    """
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, give_up_at=now + RETRY_WINDOW, delivered_at=None
    )
    kick_send()
    delivery.refresh_from_db()
    return delivery
