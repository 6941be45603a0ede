"""The transactional outbox: business events written with the change they describe.

A feature app calls ``emit`` inside the transaction of its service. The row commits or rolls back
with the business write, so an event is never announced for a change that did not happen, and
never lost because the broker was down at the time: the drain (kicked after commit, and every
10 s by beat) picks up whatever is pending, whenever a worker next runs.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from .models import OutboxEvent, Project, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

# The events sales systems can subscribe to (docs/trust.md says who emits each, with what payload).
COMPLAINT_FILED = "complaint.filed"
COMPLAINT_STATUS_CHANGED = "complaint.status_changed"
COMPLAINT_ESCALATED = "complaint.escalated"
COMPLAINT_CLOSED = "complaint.closed"
SURVEY_ANSWERED = "survey.answered"
EVENTS = (COMPLAINT_FILED, COMPLAINT_STATUS_CHANGED, COMPLAINT_ESCALATED, COMPLAINT_CLOSED, SURVEY_ANSWERED)

DRAIN_BATCH_SIZE = 100


def emit(*, event: str, project: Project, payload: dict) -> OutboxEvent:
    """Record ``event`` for ``project`` in the caller's transaction; deliver it after commit.

    ``payload`` is JSON data for the receiver: ids, codes, statuses, times — never a full phone or
    ID number. Call it once per business change (it is not deduplicated: the change itself is the
    idempotency boundary). Raises ValueError for an unknown event name.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown outbox event {event!r}")
    row = OutboxEvent.objects.create(event=event, project=project, payload=payload)
    transaction.on_commit(_kick_drain, robust=True)
    return row


def _kick_drain() -> None:
    """Ask a worker to drain now. A broker outage only delays delivery until beat's next drain."""
    from .tasks import outbox_drain_task

    try:
        outbox_drain_task.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - whatever the broker raises, the row is committed and beat will drain it
        logger.warning("broker unavailable: the outbox will be drained by the next periodic run")


def _subscriptions_for(event: OutboxEvent, subscriptions: list[WebhookSubscription]) -> list[WebhookSubscription]:
    return [
        s for s in subscriptions
        if event.event in (s.event_types or []) and event.project.code in (s.client.project_codes or []) and s.client.is_usable
    ]


def outbox_drain(*, batch_size: int = DRAIN_BATCH_SIZE) -> int:
    """Turn pending outbox events into one WebhookDelivery per matching subscription.

    Events are locked with ``SELECT … FOR UPDATE SKIP LOCKED`` in batches, so two drains at once
    take disjoint batches; the (event, subscription) unique constraint makes a repeat harmless
    anyway. Returns the number of events dispatched. Safe to repeat and to run concurrently.
    """
    from .webhooks import delivery_new

    dispatched = created = 0
    while True:
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("project")
                .filter(dispatched_at__isnull=True)
                .order_by("pk")[:batch_size]
            )
            if not events:
                break
            subscriptions = list(WebhookSubscription.objects.filter(active=True).select_related("client"))
            rows = [delivery_new(event=e, subscription=s) for e in events for s in _subscriptions_for(e, subscriptions)]
            created += len(WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True))
            OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=timezone.now())
        dispatched += len(events)
        if len(events) < batch_size:
            break
    if created:
        from .webhooks import kick_send

        kick_send()
    return dispatched
