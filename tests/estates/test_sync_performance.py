"""The sync's cost depends on the batch's shape, never its length: a fixed number of queries per batch.

The figures (queries and seconds for 1,000 contracts) are printed; run with ``-s`` to see them:
    pytest tests/estates/test_sync_performance.py -q -s
"""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from estates.models import Contract
from estates.sync import contracts_sync
from tests.estates.conftest import SYNC_URL, sync_batch
from tests.factories import api_client_with_key

pytestmark = pytest.mark.django_db

# On PostgreSQL the count is exactly the same for 10 and 1,000 records. On SQLite Django splits every
# bulk INSERT/UPDATE at 999 bind parameters (features.max_query_params), i.e. one more statement per
# ~80 customers: bounded, since a batch holds at most 1,000 records.
SQLITE_SPLIT_ALLOWANCE = 32


def assert_same_cost(small: int, large: int) -> None:
    if connection.vendor == "sqlite":
        assert small <= large <= small + SQLITE_SPLIT_ALLOWANCE
    else:
        assert large == small


def _queries(actor, records) -> int:
    with CaptureQueriesContext(connection) as ctx:
        result = contracts_sync(actor=actor, records=records)
    assert result.errors == []
    return len(ctx.captured_queries)


def test_a_batch_of_1000_costs_as_many_queries_as_a_batch_of_10(db):
    """Create, re-send, then update a 10-record and a 1,000-record batch (in projects of their own)."""
    client, _key = api_client_with_key(project_codes=["NEW-A", "NEW-B"])
    small_batch, large_batch = sync_batch(1, 10, project_code="NEW-A"), sync_batch(100, 1000, project_code="NEW-B")

    created = _queries(client, small_batch), _queries(client, large_batch)
    resent = _queries(client, small_batch), _queries(client, large_batch)
    for rec in small_batch + large_batch:
        rec["customers"][0]["name"] += "（更名）"
        rec["handover_on"] = "2026-09-30"
    updated = _queries(client, small_batch), _queries(client, large_batch)

    print(f"\n[sync figures] queries for 10 / 1,000 records on {connection.vendor}: "
          f"create {created[0]} / {created[1]}, re-send {resent[0]} / {resent[1]}, update {updated[0]} / {updated[1]}")
    assert_same_cost(*created)
    assert resent[1] == resent[0]
    assert_same_cost(*updated)


def test_syncing_1000_contracts_through_the_api_is_fast_and_bounded(api, project):
    api.post(SYNC_URL, [], format="json")  # the first call also stamps the client's last use
    batch = sync_batch(1, 1000)

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = api.post(SYNC_URL, batch, format="json")
        created_in = time.perf_counter() - started
    create_queries = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        again = api.post(SYNC_URL, batch, format="json")
        resent_in = time.perf_counter() - started

    assert response.json()["created"] == 1000
    assert again.json()["unchanged"] == 1000
    assert Contract.objects.count() == 1000
    print(
        f"\n[sync figures] API, 1,000 contracts on {connection.vendor}: create {created_in:.2f} s / {create_queries} queries, "
        f"re-send {resent_in:.2f} s / {len(ctx.captured_queries)} queries"
    )
    # 15: the 14 of the bulk write plus one that finds customers owned in another client's projects.
    assert create_queries <= 15 + (SQLITE_SPLIT_ALLOWANCE if connection.vendor == "sqlite" else 0)
    assert created_in < 15
