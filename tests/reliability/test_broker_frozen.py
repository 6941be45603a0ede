"""A frozen Redis (SIGSTOP) while an event is committed: the caller returns within a bounded time,
the outbox row is committed, and once Redis is back the event is delivered exactly once."""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest
from django.db import transaction

from crm_site.celery import app
from estates import tasks
from estates.models import OutboxEvent, WebhookDelivery
from estates.outbox import emit

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def frozen_redis():
    """Our own redis-server on a free port (never the shared one), stopped with SIGSTOP."""
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGSTOP)
        yield proc, f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=10)


def _redis_options() -> dict:
    """The transport options settings give a Redis broker (computed here when the run has no REDIS_URL)."""
    from django.conf import settings

    if settings.REDIS_URL:
        return dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    return {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}


@contextmanager
def _broker(url: str):
    """Point the Celery app at ``url`` with the socket timeouts settings give a Redis broker."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app._pool, app.amqp._producer_pool)
    app.conf.broker_url = url
    app.conf.broker_transport_options = _redis_options()
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.broker_transport_options, app._pool, app.amqp._producer_pool = saved


def test_a_frozen_redis_delays_an_event_but_loses_nothing(project, subscription, receiver, frozen_redis,
                                                          django_capture_on_commit_callbacks):
    proc, url = frozen_redis
    with _broker(url):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            emit(event="complaint.filed", project=project, payload={"reference": "TS-13"})
        elapsed = time.monotonic() - started
    print(f"frozen-redis emit returned in {elapsed:.1f} s")
    assert elapsed < 15, elapsed  # bounded by the socket timeout (several tries); without one it hangs for ever
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 1
    os.kill(proc.pid, signal.SIGCONT)
    # Redis is back; beat's periodic runs (here directly, twice over) deliver it once.
    for _ in range(2):
        tasks.outbox_drain_task()
        tasks.webhook_deliveries_send_task()
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == "succeeded"


# --- A complaint filed through the API while Redis (cache and broker) is frozen ------------------


@contextmanager
def _cache(url: str):
    """Point the default cache at ``url`` with the socket timeouts settings give a Redis cache."""
    from django.core.cache import caches
    from django.test import override_settings

    options = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
    cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "OPTIONS": options}}
    with override_settings(CACHES=cache):
        try:
            yield
        finally:
            caches["default"].close()


def test_the_cache_config_has_socket_timeouts_when_redis_is_used():
    """The API throttle reads the cache on every request: without timeouts a frozen Redis hangs it."""
    import importlib
    import os as _os

    from crm_site import settings as live

    saved = _os.environ.get("REDIS_URL")
    _os.environ["REDIS_URL"] = "redis://127.0.0.1:6399/0"
    try:
        fresh = importlib.reload(live)
        options = fresh.CACHES["default"]["OPTIONS"]
        assert options["socket_timeout"] > 0 and options["socket_connect_timeout"] > 0
    finally:
        if saved is None:
            _os.environ.pop("REDIS_URL")
        else:
            _os.environ["REDIS_URL"] = saved
        importlib.reload(live)


@pytest.mark.django_db(transaction=True)
def test_a_complaint_filed_through_the_api_while_redis_is_frozen(project, manager, frozen_redis, settings):
    """201 within a bounded time, complaint and outbox row committed, one e-mail once Redis is back."""
    import importlib
    from datetime import timedelta

    import time_machine
    from django.apps import apps
    from django.core import mail
    from rest_framework.test import APIClient

    from complaints.models import Complaint, SlaPolicy
    from estates.models import Notification
    from tests.factories import api_client_with_key

    if not SlaPolicy.objects.exists():  # a transactional test elsewhere may have flushed the seeded policies
        importlib.import_module("complaints.migrations.0002_seed_policies").seed(apps, None)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _client, key = api_client_with_key(name="sales-a", project_codes=[project.code])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {"project": project.code, "channel": "online", "category": "construction_quality",
            "title": "卫生间渗水", "description": "主卧卫生间天花板渗水，已持续一周。",
            "legal_or_media_risk": True}  # hot: the early warning notifies level 1 (the manager) at once
    proc, url = frozen_redis
    with _broker(url), _cache(url):
        started = time.monotonic()
        response = api.post("/api/v1/complaints/", body, format="json")
        elapsed = time.monotonic() - started
    print(f"frozen-redis API filing returned {response.status_code} in {elapsed:.1f} s")
    assert response.status_code == 201, response.content[:300]
    assert elapsed < 20, elapsed  # cache timeout (throttle fails open) + broker publish timeouts
    complaint = Complaint.objects.get()
    assert OutboxEvent.objects.filter(event="complaint.filed", payload__id=complaint.pk).count() == 1
    pending = list(Notification.objects.filter(emailed_at__isnull=True).values_list("recipient__username", flat=True))
    assert pending == [manager.username]  # the filing notice is committed, its e-mail not yet sent
    os.kill(proc.pid, signal.SIGCONT)
    # Redis is back: the periodic job sends what the lost after-commit task did not, once.
    with time_machine.travel(timedelta(minutes=2)):
        tasks.notifications_email_pending()
        tasks.notifications_email_pending()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [manager.email]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
