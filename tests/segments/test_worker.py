"""A REAL Celery worker process runs a bulk recompute (the same set-up as tests/crm_site/test_celery.py)."""


import pytest

from segments.models import CustomerSegment, SegmentRecomputeRun
from tests.segments.conftest import buyer_in, reseed
from tests.worker_support import real_worker, send_task


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_bulk_recompute(tmp_path, project):
    reseed("segments", "0002_seed")
    customers = [buyer_in(project, income_band=band) for band in ("low", "mid", "high") * 4]
    run = SegmentRecomputeRun.objects.create(started_by="test", total=len(customers))
    with real_worker(tmp_path, "segments") as wait_until:
        send_task("segments.recompute_run", {"run_id": run.pk}, tmp_path)
        wait_until(lambda: SegmentRecomputeRun.objects.get(pk=run.pk).status == SegmentRecomputeRun.Status.DONE, "the run")
    run.refresh_from_db()
    assert (run.processed, run.changed, run.unchanged) == (12, 12, 0)
    assert CustomerSegment.objects.filter(customer__in=customers, segment__isnull=False).count() == 12
