from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from .models import Heartbeat


@shared_task(name="crm_site.tasks.heartbeat")
def heartbeat(token: str = "") -> str:
    """Prove the worker runs: record when (and for whom) it last beat."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=token or "beat", defaults={"beat_at": now})
    cache.set(f"heartbeat:{token or 'beat'}", now.isoformat(), 3600)
    return now.isoformat()


# --- Dashboards: the monthly customer-relations report -----------------------------------------


@shared_task(name="crm_site.tasks.monthly_report_build")
def monthly_report_build(project_id: int, month: str) -> int:
    """Build one project's report for ``month`` (YYYY-MM-DD); a repeat returns the stored one."""
    import datetime as dt

    from crm_site.dashboards.reports import monthly_report_build as build

    report, _created = build(project_id=project_id, month=dt.date.fromisoformat(month))
    return report.pk


@shared_task(name="crm_site.tasks.monthly_reports_build_due")
def monthly_reports_build_due() -> int:
    """Periodic: queue last month's report for every project that lacks one (missed days catch up)."""
    from crm_site.dashboards.periods import previous_month
    from crm_site.dashboards.reports import monthly_reports_due

    month = previous_month(timezone.localdate()).isoformat()
    due = monthly_reports_due()
    for project_id in due:
        monthly_report_build.delay(project_id=project_id, month=month)
    return len(due)
