"""Two syncs of overlapping batches at once: no duplicate, no 500 (PostgreSQL only)."""

import threading

import pytest
from django.db import connection, connections

from estates.models import Contract, Customer, Project, Unit
from estates.sync import contracts_sync
from tests.estates.conftest import sync_batch
from tests.factories import api_client_with_key

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(actor, batches):
    barrier = threading.Barrier(len(batches))
    results, failures = [None] * len(batches), []

    def run(i, batch):
        try:
            barrier.wait(timeout=10)
            results[i] = contracts_sync(actor=actor, records=batch).as_dict()
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(batches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    return results


def test_two_syncs_of_the_same_new_batch_at_once_create_each_row_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    client, _key = api_client_with_key(project_codes=["NEW-C"])
    batch = sync_batch(1, 200, project_code="NEW-C")

    first, second = _run_together(client, [batch, batch])

    assert first["errors"] == second["errors"] == []
    assert first["created"] + second["created"] == 200
    assert Project.objects.filter(code="NEW-C").count() == 1
    assert (Unit.objects.count(), Customer.objects.count(), Contract.objects.count()) == (200, 200, 200)
    assert Contract.customers.through.objects.count() == 200


def test_two_overlapping_batches_at_once_end_with_the_union():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    client, _key = api_client_with_key(project_codes=["NEW-C"])

    results = _run_together(client, [sync_batch(1, 150, project_code="NEW-C"), sync_batch(101, 150, project_code="NEW-C")])

    assert [r["errors"] for r in results] == [[], []]
    assert Contract.objects.count() == 250
    assert Customer.objects.count() == 250
