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
