"""Celery: configuration, the beat schedule, and a REAL worker process running the heartbeat.

The worker test starts ``celery -A crm_site worker`` as a subprocess on the database the test uses:
on SQLite the test database is a file (settings: DATABASES TEST NAME), on PostgreSQL it is
``test_<name>``. With ``transaction=True`` the rows the worker writes are visible to the test.
The broker is the filesystem transport in a temporary TOUCHSTONE_VAR_DIR, or Redis when REDIS_URL is set.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from crm_site.celery import app as celery_app
from crm_site.celery import collect_beat_schedule
from crm_site.models import Heartbeat
from crm_site.tasks import heartbeat

CELERY = str(Path(sys.executable).with_name("celery"))
WORKER_TIMEOUT = 60


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


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db(), "the worker cannot open an in-memory test database"
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _send_heartbeat(token: str, var_dir: Path) -> None:
    if settings.REDIS_URL:
        celery_app.send_task("crm_site.tasks.heartbeat", kwargs={"token": token})
        return
    folders = {name: var_dir / "broker" / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    sender = Celery("sender", broker="filesystem://")
    sender.conf.broker_transport_options = {
        "data_folder_in": str(folders["queue"]), "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]), "control_folder": str(folders["control"]),
    }
    sender.conf.task_serializer = "json"
    sender.send_task("crm_site.tasks.heartbeat", kwargs={"token": token})


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat(tmp_path):
    token = f"worker-test-{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"DATABASE_URL": _database_url(), "TOUCHSTONE_VAR_DIR": str(tmp_path), "CELERY_TASK_ALWAYS_EAGER": "false",
                "DJANGO_SETTINGS_MODULE": "crm_site.settings"})
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [CELERY, "-A", "crm_site", "worker", "--pool=solo", "-l", "warning", "-n", f"{token}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _send_heartbeat(token, tmp_path)
        deadline = time.monotonic() + WORKER_TIMEOUT
        while not Heartbeat.objects.filter(name=token).exists():
            assert worker.poll() is None, f"the worker exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no heartbeat within {WORKER_TIMEOUT} s:\n{log.read_text()}"
            time.sleep(0.25)  # polling another process, not waiting out a time rule
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    assert Heartbeat.objects.get(name=token).beat_at is not None
