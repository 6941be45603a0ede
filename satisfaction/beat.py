"""Periodic jobs of the satisfaction app (plain data; crm_site/celery.py merges it)."""

from celery.schedules import crontab

SCHEDULE = {
    # Every morning at 09:30 Asia/Shanghai, so that messages reach owners in the day.
    "satisfaction-daily-run": {"task": "satisfaction.daily_run", "schedule": crontab(hour=9, minute=30)},
}
