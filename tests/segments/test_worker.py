"""A REAL Celery worker process runs a bulk recompute (the same set-up as tests/crm_site/test_celery.py)."""

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from crm_site.celery import app as celery_app
from segments.models import CustomerSegment, SegmentRecomputeRun
from tests.crm_site.test_celery import CELERY, WORKER_TIMEOUT, _database_url
from tests.segments.conftest import buyer_in, reseed


def _send(task: str, kwargs: dict, var_dir: Path) -> None:
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


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_bulk_recompute(tmp_path, project):
    reseed("segments", "0002_seed")
    customers = [buyer_in(project, income_band=band) for band in ("low", "mid", "high") * 4]
    run = SegmentRecomputeRun.objects.create(started_by="test", total=len(customers))
    token = f"segments-worker-{uuid.uuid4().hex[:12]}"
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
        _send("segments.recompute_run", {"run_id": run.pk}, tmp_path)
        deadline = time.monotonic() + WORKER_TIMEOUT
        while SegmentRecomputeRun.objects.get(pk=run.pk).status != SegmentRecomputeRun.Status.DONE:
            assert worker.poll() is None, f"the worker exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the run did not finish within {WORKER_TIMEOUT} s:\n{log.read_text()}"
            time.sleep(0.25)  # polling another process, not waiting out a time rule
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    run.refresh_from_db()
    assert (run.processed, run.changed, run.unchanged) == (12, 12, 0)
    assert CustomerSegment.objects.filter(customer__in=customers, segment__isnull=False).count() == 12
