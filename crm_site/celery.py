"""The Celery app. Each feature app adds its periodic jobs in ``<app>/beat.py`` as ``SCHEDULE``."""

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings")

app = Celery("crm_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def collect_beat_schedule() -> dict:
    """Merge every app's ``beat.SCHEDULE``; beat.py files hold plain data, no Django imports."""
    from django.conf import settings

    schedule = {
        "heartbeat": {"task": "crm_site.tasks.heartbeat", "schedule": 60.0},
        # Trust (docs/trust.md): the outbox is also drained right after each commit; these catch
        # whatever a broker outage left behind, and retry webhook deliveries when they fall due.
        "outbox-drain": {"task": "estates.outbox_drain", "schedule": 10.0},
        "webhook-deliveries-send": {"task": "estates.webhook_deliveries_send", "schedule": 15.0},
        "login-throttles-prune": {"task": "estates.login_throttles_prune", "schedule": 3600.0},
        # Every six hours and idempotent, so a missed 1st of the month still gets its reports.
        "dashboards-monthly-reports": {"task": "crm_site.tasks.monthly_reports_build_due", "schedule": 6 * 3600.0},
    }
    for name in settings.TOUCHSTONE_APPS:
        try:
            module = importlib.import_module(f"{name}.beat")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.beat":
                raise
            continue
        schedule.update(module.SCHEDULE)
    return schedule


app.conf.beat_schedule = collect_beat_schedule()
