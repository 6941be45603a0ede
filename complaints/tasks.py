"""Thin Celery tasks: ids in, a service called, safe to run twice at once."""

from celery import shared_task


@shared_task(name="complaints.sweep")
def complaints_sweep() -> dict:
    """Every minute (beat.py): escalate and raise what is due. Two at once share the rows."""
    from .escalation import complaints_sweep as sweep

    result = sweep()
    return {"complaints": result.complaints, "escalations": result.escalations, "raised": result.raised}


@shared_task(name="complaints.recompute_due")
def complaints_recompute_due(*, policy_ids: list[int]) -> int:
    from .services import complaints_recompute_due as recompute

    return recompute(policy_ids=policy_ids)


@shared_task(name="complaints.weekly_report")
def complaints_weekly_report(*, week_start: str | None = None) -> int:
    """Every Monday (beat.py): build, store and e-mail last week's report; repeating is a no-op."""
    from datetime import date

    from .reports import weekly_report_build

    report = weekly_report_build(week_start=date.fromisoformat(week_start) if week_start else None)
    return report.pk


@shared_task(name="complaints.rollups_refresh")
def complaints_rollups_refresh() -> dict:
    """Every minute (beat.py): fold the days changed since the last run into the dashboards'
    daily counts. Idempotent; a second run at the same time skips (advisory lock)."""
    from .rollups import rollups_refresh

    return rollups_refresh()


@shared_task(name="complaints.open_tally_compact")
def complaints_open_tally_compact() -> dict:
    """Every ten minutes (beat.py): fold the open-complaint tally's deltas (sums unchanged).
    A second run at the same time skips (advisory lock)."""
    from .open_tally import compact

    return compact()
