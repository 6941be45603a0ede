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
