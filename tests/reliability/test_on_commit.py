"""Work scheduled with on_commit inside a transaction that rolls back never runs."""

from functools import partial
from unittest import mock

import pytest
from django.db import transaction

from estates import tasks
from estates.models import Notification, OutboxEvent, Role
from estates.notifications import notify
from estates.outbox import emit
from tests.factories import UserFactory


def _in_a_transaction_that_fails(*work):
    with transaction.atomic():
        for step in work:
            step()
        raise RuntimeError("the business write failed after scheduling its side effects")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_runs_none_of_its_scheduled_tasks(project):
    user = UserFactory(role=Role.CR_MANAGER, projects=[project])
    with mock.patch.object(tasks.outbox_drain_task, "apply_async") as drain, \
            mock.patch.object(tasks.notification_email_send, "delay") as email, \
            mock.patch.object(tasks.webhook_deliveries_send_task, "delay") as send, pytest.raises(RuntimeError):
        _in_a_transaction_that_fails(
            lambda: emit(event="complaint.filed", project=project, payload={"reference": "TS-9"}),
            lambda: notify(recipients=[user], kind="complaint", title="新投诉", dedupe_key="complaint:9:filed"),
            lambda: transaction.on_commit(partial(tasks.webhook_deliveries_send_task.delay)),
        )
    assert (drain.call_count, email.call_count, send.call_count) == (0, 0, 0)
    assert OutboxEvent.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_same_work_committed_runs_each_task_once(project):
    user = UserFactory(role=Role.CR_MANAGER, projects=[project])
    with mock.patch.object(tasks.outbox_drain_task, "apply_async") as drain, \
            mock.patch.object(tasks.notification_email_send, "delay") as email, transaction.atomic():
        emit(event="complaint.filed", project=project, payload={"reference": "TS-9"})
        notify(recipients=[user], kind="complaint", title="新投诉", dedupe_key="complaint:9:filed")
    assert (drain.call_count, email.call_count) == (1, 1)
    assert email.call_args.kwargs == {"notification_ids": [Notification.objects.get().pk]}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_only_its_own_work(project):
    with mock.patch.object(tasks.outbox_drain_task, "apply_async") as drain, transaction.atomic():
        emit(event="complaint.filed", project=project, payload={"n": 1})
        with pytest.raises(RuntimeError):
            _in_a_transaction_that_fails(lambda: emit(event="complaint.closed", project=project, payload={"n": 2}))
    assert list(OutboxEvent.objects.values_list("event", flat=True)) == ["complaint.filed"]
    assert drain.call_count == 1
