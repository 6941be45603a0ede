"""Periodic jobs of the complaints app (merged by crm_site/celery.py). Plain data only."""

from celery.schedules import crontab

SCHEDULE = {
    "complaints-sweep": {"task": "complaints.sweep", "schedule": 60.0},
    "complaints-rollups-refresh": {"task": "complaints.rollups_refresh", "schedule": 60.0},
    "complaints-open-tally-compact": {"task": "complaints.open_tally_compact", "schedule": crontab(minute="*/10")},
    "complaints-weekly-report": {"task": "complaints.weekly_report", "schedule": crontab(minute=30, hour=7, day_of_week="mon")},
}
