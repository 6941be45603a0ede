"""A REAL Celery worker process for tests: the same database as the test, the test's broker."""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from celery import Celery
from django.conf import settings
from django.db import connection

from crm_site.celery import app as celery_app

CELERY = str(Path(sys.executable).with_name("celery"))
WORKER_TIMEOUT = 60


def database_url() -> str:
    """The test database as a URL the worker subprocess can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db(), "the worker cannot open an in-memory test database"
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def send_task(task: str, kwargs: dict, var_dir: Path) -> None:
    """Send through Redis when configured, else into the worker's filesystem broker under var_dir."""
    if settings.REDIS_URL:
        celery_app.send_task(task, kwargs=kwargs)
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
    sender.send_task(task, kwargs=kwargs)


@contextlib.contextmanager
def real_worker(var_dir: Path, name: str = "worker"):
    """Run a worker for the block; yields ``wait_until(predicate, what)`` that polls it (bounded)."""
    token = f"{name}-{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"DATABASE_URL": database_url(), "TOUCHSTONE_VAR_DIR": str(var_dir), "CELERY_TASK_ALWAYS_EAGER": "false",
                "DJANGO_SETTINGS_MODULE": "crm_site.settings"})
    log = var_dir / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [CELERY, "-A", "crm_site", "worker", "--pool=solo", "-l", "warning", "-n", f"{token}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )

    def wait_until(predicate, what: str) -> None:
        deadline = time.monotonic() + WORKER_TIMEOUT
        while not predicate():
            assert worker.poll() is None, f"the worker exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"{what} not within {WORKER_TIMEOUT} s:\n{log.read_text()}"
            time.sleep(0.25)  # polling another process, not waiting out a time rule

    try:
        yield wait_until
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
