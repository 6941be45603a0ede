"""Periodic jobs of the risk app (plain data; crm_site/celery.py merges it into beat's schedule)."""

from celery.schedules import crontab

SCHEDULE = {
    # Every morning before work: reminders before/after deadlines and escalations (盯).
    "risk-daily-reminders": {"task": "risk.daily_reminders", "schedule": crontab(hour=7, minute=30)},
}
