"""Periodic jobs of the satisfaction app (plain data; crm_site/celery.py merges it)."""

from celery.schedules import crontab

SCHEDULE = {
    # Every morning at 09:30 Asia/Shanghai, so that messages reach owners in the day.
    "satisfaction-daily-run": {"task": "satisfaction.daily_run", "schedule": crontab(hour=9, minute=30)},
    # The group dashboard's survey tallies: fold the triggers' deltas (a few rows per project).
    "satisfaction-tallies-compact": {"task": "satisfaction.tallies_compact", "schedule": crontab(minute="*/10")},
}
