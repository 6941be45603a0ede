"""Thin Celery tasks: call a service. Safe to repeat and to run twice at once (see services)."""

from celery import shared_task

from . import services


@shared_task(name="satisfaction.daily_run")
def satisfaction_daily_run() -> int:
    """The daily job: plan, expire, send and remind invitations. Returns the Run id."""
    return services.daily_run().pk
