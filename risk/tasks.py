"""Thin Celery tasks of the risk app."""

from datetime import date

from celery import shared_task

from .services import risk_reminders_send


@shared_task(name="risk.daily_reminders")
def daily_reminders(*, today: str | None = None) -> dict:
    """Send the day's reminders and escalations; idempotent (see services.reminders)."""
    result = risk_reminders_send(today=date.fromisoformat(today) if today else None)
    return {"due_soon": result.due_soon, "overdue": result.overdue, "escalated": result.escalated}
