"""Periodic jobs of the defects app (plain data, merged by crm_site.celery)."""

from celery.schedules import crontab

SCHEDULE = {
    "defects-chase-overdue": {"task": "defects.chase_overdue", "schedule": crontab(hour=8, minute=30)},
    "defects-refresh-prevention": {"task": "defects.refresh_prevention_checklists", "schedule": crontab(hour=6, minute=0)},
}
