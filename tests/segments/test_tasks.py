from unittest import mock

import pytest
from django.db import transaction

from estates.signals import customers_changed
from segments import tasks
from segments.models import CustomerSegment, SegmentRecomputeRun
from tests.segments.conftest import buyer_in

pytestmark = pytest.mark.django_db


def test_customers_changed_schedules_a_recompute_after_commit(project, django_capture_on_commit_callbacks):
    customer = buyer_in(project, income_band="high")
    with mock.patch.object(tasks.recompute_customers, "delay") as delay, django_capture_on_commit_callbacks(execute=True):  # noqa: SIM117
        with transaction.atomic():  # the inner block is the sender's transaction: nothing runs before it commits
            customers_changed.send(sender=None, customer_ids=[customer.pk, customer.pk])
            assert delay.call_count == 0
    delay.assert_called_once_with(customer_ids=[customer.pk])


def test_recompute_customers_task_assigns_segments(project):
    customer = buyer_in(project, income_band="high")
    assert tasks.recompute_customers(customer_ids=[customer.pk]) == {"changed": 1, "unchanged": 0}
    assert CustomerSegment.objects.get(customer=customer).segment.code == "affluent"


def test_a_sync_through_the_api_recomputes_the_buyers_segment(api, project, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    record = {
        "external_id": "C-1",
        "project": {"code": "SZ-GG", "name": "深圳光谷花园", "city": "深圳"},
        "unit": {"building": "3", "number": "3-1502"},
        "signed_on": "2025-03-01",
        "customers": [
            {
                "external_id": "P-1",
                "name": "王五",
                "phone": "13800000001",
                "household": {"children_ages": [6], "elderly": False, "income_band": "mid"},
            }
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/sync/contracts/", [record], format="json")
    assert response.status_code == 200, response.content
    assert CustomerSegment.objects.get(customer__external_id="P-1").segment.code == "education_first"


def test_recompute_run_task_runs_a_queued_run(project, manager):
    buyer_in(project)
    run = SegmentRecomputeRun.objects.create(started_by="manager_a", total=1)
    tasks.recompute_run(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.processed) == ("done", 1)
