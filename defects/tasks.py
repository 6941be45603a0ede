"""Thin Celery tasks: ids and dates in, a service call out. Safe to run twice at once."""

from datetime import date

from celery import shared_task

from . import selectors, services


@shared_task(name="defects.chase_overdue")
def chase_overdue(*, today: str | None = None) -> int:
    """The daily chase of overdue rectifications: one ``defect_chase`` per overdue defect.

    Each chase is decided by a unique (defect, level, due date) row, so overlapping runs and
    redelivered messages remind and escalate exactly once.
    """
    day = date.fromisoformat(today) if today else selectors.local_today()
    return sum(len(services.defect_chase(defect_id=pk, today=day)) for pk in selectors.overdue_defect_ids(today=day))


@shared_task(name="defects.refresh_prevention_checklists")
def refresh_prevention_checklists() -> int:
    """Catch up checklists of projects that entered design or construction since yesterday."""
    return services.prevention_checklists_refresh_all()
