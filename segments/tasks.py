"""Thin Celery tasks: ids in, a service call out. Both are idempotent (see the services)."""

from celery import shared_task

from . import services


@shared_task(name="segments.recompute_customers", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def recompute_customers(*, customer_ids: list[int]) -> dict:
    """Recompute the segments of customers a sync changed (scheduled by the customers_changed receiver)."""
    result = services.customer_segments_recompute(customer_ids=customer_ids)
    return {"changed": result.changed, "unchanged": result.unchanged}


@shared_task(name="segments.recompute_run", acks_late=True)
def recompute_run(*, run_id: int) -> None:
    """Work through one bulk recompute run; a second delivery finds the run claimed and returns."""
    services.segment_recompute_run_execute(run_id=run_id)
