"""Complaint events for sales systems' webhooks (docs/trust.md, "Events the feature apps emit").

Every change to a complaint leaves a ComplaintEvent row; ``announce`` turns the rows that matter to
a sales system into outbox events in the same transaction, so a webhook is announced exactly when
the change commits and never for one that rolled back. Payloads carry ids, codes and times only.
"""

from __future__ import annotations

from django.db import transaction

from estates import outbox
from estates.models import OutboxEvent

from .models import Complaint, ComplaintEvent

Kind = ComplaintEvent.Kind


def _at(event: ComplaintEvent) -> str:
    return event.at.isoformat()


def announce_many(events: list[ComplaintEvent]) -> None:
    """The sweep's batch: the escalations' outbox rows in one INSERT (the batch keeps a fixed
    number of queries), in the batch's transaction, and one drain kick after commit."""
    rows = [
        OutboxEvent(
            event=outbox.COMPLAINT_ESCALATED,
            project=e.complaint.project,
            payload={
                "id": e.complaint.pk,
                "reference": e.complaint.reference,
                "level": e.after.get("escalation_level"),
                "severity": e.complaint.severity_code,
                "reason": e.after.get("reason", ""),
                "at": _at(e),
            },
        )
        for e in events
        if e.kind == Kind.ESCALATED
    ]
    if rows:
        OutboxEvent.objects.bulk_create(rows)
        transaction.on_commit(outbox._kick_drain, robust=True)


def announce(*, complaint: Complaint, event: ComplaintEvent) -> None:
    """Emit the outbox events one timeline row stands for (none for most kinds)."""
    before, after = event.before or {}, event.after or {}
    base = {"id": complaint.pk, "reference": complaint.reference}
    if event.kind == Kind.FILED:
        customer = complaint.customer
        outbox.emit(
            event=outbox.COMPLAINT_FILED,
            project=complaint.project,
            payload={
                **base,
                "channel": complaint.channel,
                "category": complaint.category,
                "severity": complaint.severity_code,
                "status": complaint.status,
                "unit": complaint.unit_id,
                "customer": customer.external_id if customer is not None else None,
                "created_at": complaint.created_at.isoformat(),
            },
        )
    if "status" in before and "status" in after and before["status"] != after["status"]:
        outbox.emit(
            event=outbox.COMPLAINT_STATUS_CHANGED,
            project=complaint.project,
            payload={**base, "from": before["status"], "to": after["status"], "at": _at(event), "actor": event.actor_label},
        )
    if event.kind == Kind.ESCALATED:
        outbox.emit(
            event=outbox.COMPLAINT_ESCALATED,
            project=complaint.project,
            payload={
                **base,
                "level": after.get("escalation_level"),
                "severity": complaint.severity_code,
                "reason": after.get("reason", ""),
                "at": _at(event),
            },
        )
    if event.kind == Kind.CLOSED:
        last = complaint.revisits.order_by("-created_at", "-pk").first()
        outbox.emit(
            event=outbox.COMPLAINT_CLOSED,
            project=complaint.project,
            payload={**base, "closed_at": _at(event), "satisfied": last.satisfied if last else None},
        )
