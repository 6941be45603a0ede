"""Celery: configuration, the beat schedule, and a REAL worker process running the heartbeat.

The worker test starts ``celery -A crm_site worker`` as a subprocess on the database the test uses:
on SQLite the test database is a file (settings: DATABASES TEST NAME), on PostgreSQL it is
``test_<name>``. With ``transaction=True`` the rows the worker writes are visible to the test.
The broker is the filesystem transport in a temporary TOUCHSTONE_VAR_DIR, or Redis when REDIS_URL is set.
"""

import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from crm_site.celery import app as celery_app
from crm_site.celery import collect_beat_schedule
from crm_site.models import Heartbeat
from crm_site.tasks import heartbeat
from tests.worker_support import real_worker, send_task


def test_the_beat_schedule_includes_the_heartbeat():
    entry = celery_app.conf.beat_schedule["heartbeat"]

    assert entry == {"task": "crm_site.tasks.heartbeat", "schedule": 60.0}
    assert collect_beat_schedule()["heartbeat"] == entry


def test_every_scheduled_task_is_registered():
    celery_app.loader.import_default_modules()

    assert {e["task"] for e in celery_app.conf.beat_schedule.values()} <= set(celery_app.tasks)


def test_celery_speaks_json_with_time_limits_and_late_acks():
    conf = celery_app.conf

    assert (conf.task_serializer, conf.result_serializer, conf.accept_content) == ("json", "json", ["json"])
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (300, 360)
    assert conf.task_acks_late is True
    assert conf.task_always_eager is False
    assert conf.timezone == "Asia/Shanghai"


def test_the_broker_follows_redis_url():
    expected = os.environ.get("REDIS_URL") or "filesystem://"

    assert expected == settings.CELERY_BROKER_URL


def test_the_filesystem_broker_keeps_every_folder_under_var():
    options = {} if settings.REDIS_URL else settings.CELERY_BROKER_TRANSPORT_OPTIONS
    folders = {k: v for k, v in options.items() if k.endswith("_folder") or "folder_" in k}
    if settings.REDIS_URL:
        assert folders == {}
        return

    assert set(folders) == {"data_folder_in", "data_folder_out", "processed_folder", "control_folder"}
    assert all(Path(v).is_relative_to(settings.VAR_DIR) for v in folders.values())


@pytest.mark.django_db
def test_the_heartbeat_task_records_the_beat_once_per_token():
    heartbeat("tok")
    heartbeat("tok")

    assert list(Heartbeat.objects.values_list("name", flat=True)) == ["tok"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat(tmp_path):
    token = f"worker-test-{uuid.uuid4().hex[:12]}"
    with real_worker(tmp_path, "heartbeat") as wait_until:
        send_task("crm_site.tasks.heartbeat", {"token": token}, tmp_path)
        wait_until(lambda: Heartbeat.objects.filter(name=token).exists(), "a heartbeat")

    assert Heartbeat.objects.get(name=token).beat_at is not None
