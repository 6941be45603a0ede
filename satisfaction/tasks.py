"""Thin Celery tasks: call a service. Safe to repeat and to run twice at once (see services)."""

from celery import shared_task

from . import services


@shared_task(name="satisfaction.daily_run")
def satisfaction_daily_run() -> int:
    """The daily job: plan, expire, send and remind invitations. Returns the Run id."""
    return services.daily_run().pk


@shared_task(name="satisfaction.tallies_compact")
def satisfaction_tallies_compact() -> dict:
    """Fold the dashboard's survey tally deltas into one row per project (figures unchanged)."""
    return services.tallies_compact()
