"""Two workers at once (PostgreSQL only): recompute and run start stay exactly-once."""

import threading

import pytest
from django.db import connection

from segments import services
from segments.models import CustomerSegment, SegmentEvent, SegmentRecomputeRun
from tests.segments.conftest import buyer_in, reseed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    reseed("segments", "0002_seed")


def _together(fn, n=2):
    barrier, errors = threading.Barrier(n), []

    def run():
        from django.db import connections

        try:
            barrier.wait()
            fn()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_two_workers_recomputing_the_same_customers_assign_each_once(project):
    ids = [buyer_in(project, income_band=b).pk for b in ("low", "mid", "high") * 10]
    errors = _together(lambda: services.customer_segments_recompute(customer_ids=ids))
    assert errors == []
    assert CustomerSegment.objects.filter(customer_id__in=ids).count() == 30
    assert SegmentEvent.objects.filter(customer_id__in=ids).count() == 30


def test_two_starts_at_once_queue_one_run(project, manager):
    from django.db import transaction

    def start():
        with transaction.atomic():
            services.segment_recompute_start(actor=manager)

    errors = _together(start, n=3)
    assert errors == []
    assert SegmentRecomputeRun.objects.filter(active=True).count() == 1
