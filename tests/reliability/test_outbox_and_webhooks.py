"""The transactional outbox and the signed webhooks it feeds (docs/trust.md, "Webhooks")."""

import hashlib
import hmac
import itertools
import threading
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from estates import tasks
from estates.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from estates.outbox import emit, outbox_drain
from estates.services import api_client_revoke
from estates.webhooks import webhook_deliveries_send, webhook_delivery_attempt, webhook_subscription_create
from tests.factories import api_client_with_key

from .conftest import Receiver

START = "2026-06-01 09:00 +0800"


def _file(project, **payload):
    return emit(event="complaint.filed", project=project, payload={"reference": "TS-1", **payload})


# --- the outbox ----------------------------------------------------------------------------------


def test_an_event_commits_with_the_business_write(project):
    with transaction.atomic():
        event = _file(project)
    assert OutboxEvent.objects.get().pk == event.pk


def test_an_event_rolls_back_with_the_business_write(project):
    def file_then_fail():
        with transaction.atomic():
            _file(project)
            raise RuntimeError("the complaint could not be saved")

    with pytest.raises(RuntimeError):
        file_then_fail()
    assert OutboxEvent.objects.count() == 0


def test_an_unknown_event_name_is_refused_and_nothing_is_written(project):
    with pytest.raises(ValueError, match="unknown outbox event"):
        emit(event="complaint.deleted", project=project, payload={})
    assert OutboxEvent.objects.count() == 0


def test_the_drain_creates_one_delivery_per_matching_subscription(project, other_project, subscription, receiver):
    own_other_event, _ = api_client_with_key(name="other-events", project_codes=[project.code])
    webhook_subscription_create(client=own_other_event, url=receiver.url, event_types=["survey.answered"])
    foreign, _ = api_client_with_key(name="foreign", project_codes=[other_project.code])
    webhook_subscription_create(client=foreign, url=receiver.url, event_types=["complaint.filed"])
    revoked, _ = api_client_with_key(name="revoked", project_codes=[project.code])
    webhook_subscription_create(client=revoked, url=receiver.url, event_types=["complaint.filed"])
    api_client_revoke(client=revoked)
    inactive = webhook_subscription_create(client=subscription.client, url=receiver.url, event_types=["complaint.filed"])
    inactive.active = False
    inactive.save(update_fields=["active"])
    event = _file(project)
    assert outbox_drain() == 1
    assert list(WebhookDelivery.objects.values_list("event_id", "subscription_id")) == [(event.pk, subscription.pk)]
    assert OutboxEvent.objects.get().dispatched_at is not None


def test_draining_again_creates_nothing_more(project, subscription):
    _file(project)
    outbox_drain()
    assert outbox_drain() == 0
    tasks.outbox_drain_task()  # the same task message executed twice
    assert WebhookDelivery.objects.count() == 1


def test_the_drain_works_in_batches(project, subscription):
    for i in range(7):
        _file(project, n=i)
    assert outbox_drain(batch_size=3) == 7
    assert WebhookDelivery.objects.count() == 7


def test_a_second_delivery_for_the_same_event_and_subscription_is_refused_by_the_database(project, subscription):
    _file(project)
    outbox_drain()
    first = WebhookDelivery.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(event=first.event, subscription=subscription, delivery_id="7" * 32,
                                       give_up_at=first.give_up_at)


# --- signed delivery, retries, replay -----------------------------------------------------------


def _verify(request, secret):
    ts = request["headers"]["X-Touchstone-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{ts}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Touchstone-Signature"])


def test_a_failing_receiver_gets_retries_with_backoff_until_it_accepts(project, subscription, receiver):
    receiver.fail_first = 2
    with time_machine.travel(START, tick=False) as clock:
        _file(project, title="漏水 <script>")
        outbox_drain()
        assert webhook_deliveries_send() == 1  # attempt 1: 500
        clock.shift(timedelta(seconds=29))
        assert webhook_deliveries_send() == 0  # not due yet
        clock.shift(timedelta(seconds=2))
        assert webhook_deliveries_send() == 1  # attempt 2 after 30 s: 500
        clock.shift(timedelta(seconds=59))
        assert webhook_deliveries_send() == 0
        clock.shift(timedelta(seconds=2))
        assert webhook_deliveries_send() == 1  # attempt 3 after 60 s: 200
        clock.shift(timedelta(hours=2))
        assert webhook_deliveries_send() == 0  # delivered: never again
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == ("succeeded", 3, 200)
    assert list(delivery.attempts.values_list("status_code", flat=True)) == [500, 500, 200]
    assert len(receiver.requests) == 3
    ids = {r["headers"]["X-Touchstone-Delivery"] for r in receiver.requests}
    assert ids == {str(delivery.delivery_id)}
    assert {r["headers"]["X-Touchstone-Event"] for r in receiver.requests} == {"complaint.filed"}
    assert all(_verify(r, "s3cret-for-tests") for r in receiver.requests)
    assert not _verify(receiver.requests[0], "another-secret")
    assert len({r["headers"]["X-Touchstone-Timestamp"] for r in receiver.requests}) == 3
    assert receiver.bodies()[0] == {"id": str(delivery.delivery_id), "event": "complaint.filed", "project": project.code,
                                    "occurred_at": "2026-06-01T01:00:00+00:00",
                                    "data": {"reference": "TS-1", "title": "漏水 <script>"}}
    assert receiver.requests[0]["body"] == receiver.requests[2]["body"]


def test_a_receiver_that_never_answers_2xx_is_given_up_after_24_hours(project, subscription, receiver):
    receiver.fail_first = 10_000
    with time_machine.travel(START, tick=False) as clock:
        _file(project)
        outbox_drain()
        while WebhookDelivery.objects.get().status == "pending":
            clock.move_to(WebhookDelivery.objects.get().next_attempt_at)
            assert webhook_deliveries_send() == 1
    delivery = WebhookDelivery.objects.get()
    attempts = list(delivery.attempts.values_list("at", flat=True))
    assert delivery.status == "failed"
    assert attempts[-1] <= delivery.give_up_at < attempts[-1] + timedelta(hours=1)
    assert attempts[-1] - attempts[0] > timedelta(hours=23)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[:4] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    assert max(gaps) == timedelta(hours=1)
    assert len(receiver.requests) == delivery.attempt_count == len(attempts)


def test_an_unreachable_receiver_is_recorded_as_an_error_and_retried(project, subscription, receiver):
    receiver.close()
    _file(project)
    outbox_drain()
    assert webhook_deliveries_send() == 1
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error
    assert WebhookDelivery.objects.get().status == "pending"


def test_an_administrator_replays_a_delivery_with_the_same_delivery_id(project, subscription, receiver, admin_client):
    _file(project)
    outbox_drain()
    webhook_deliveries_send()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded"
    response = admin_client.post("/admin/estates/webhookdelivery/",
                                 {"action": "replay", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    assert WebhookDelivery.objects.get().status == "pending"
    assert webhook_deliveries_send() == 1
    assert [r["headers"]["X-Touchstone-Delivery"] for r in receiver.requests] == [str(delivery.delivery_id)] * 2
    assert WebhookDelivery.objects.get().attempt_count == 2


def test_staff_who_are_not_superusers_cannot_replay(project, subscription, receiver):
    from estates.models import Role
    from tests.factories import UserFactory

    _file(project)
    outbox_drain()
    webhook_deliveries_send()
    delivery = WebhookDelivery.objects.get()
    client = Client()
    client.force_login(UserFactory(role=Role.CR_MANAGER, is_staff=True))
    client.post("/admin/estates/webhookdelivery/", {"action": "replay", "_selected_action": [delivery.pk]})
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(project, subscription, receiver):
    _file(project)
    outbox_drain()
    pk = WebhookDelivery.objects.get().pk
    WebhookDelivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now() + timedelta(seconds=50))  # as a claim does
    assert webhook_delivery_attempt(delivery_pk=pk) is None
    assert receiver.requests == []


# --- broker outage -------------------------------------------------------------------------------


def test_a_broker_outage_at_commit_loses_nothing_and_delivers_once(project, subscription, receiver,
                                                                    django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.outbox_drain_task, "apply_async", side_effect=OperationalError("broker down")) as kick:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            _file(project)
        assert kick.call_count == 1  # it was tried, failed, and the caller never saw it
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 1
    # The broker is back: beat's periodic drain and send (run here directly, twice over).
    for _ in range(2):
        tasks.outbox_drain_task()
        tasks.webhook_deliveries_send_task()
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_the_drain_is_kicked_after_commit(project, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.outbox_drain_task, "apply_async") as kick, django_capture_on_commit_callbacks(execute=True):
        _file(project)
    kick.assert_called_once_with(retry=False)


# --- concurrency on PostgreSQL -------------------------------------------------------------------


def _at_once(n, target):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_make_one_delivery_per_event_and_subscription(project):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrency")
    receiver = Receiver()
    try:
        client, _ = api_client_with_key(name="hooks-pg", project_codes=[project.code])
        subs = [webhook_subscription_create(client=client, url=receiver.url, event_types=["complaint.filed"]) for _ in range(2)]
        for i in range(40):
            _file(project, n=i)
        results = _at_once(2, lambda: outbox_drain(batch_size=10))
        assert sum(results) == 40
        assert WebhookDelivery.objects.count() == 80
        assert set(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == {s.pk for s in subs}
        sent = _at_once(3, webhook_deliveries_send) + _at_once(3, webhook_deliveries_send)
        assert sum(sent) == 80  # each delivery claimed by exactly one worker
        assert len(receiver.requests) == 80
        assert len({r["headers"]["X-Touchstone-Delivery"] for r in receiver.requests}) == 80
    finally:
        receiver.close()


def test_the_admin_shows_the_secret_only_on_the_add_form(admin_client, subscription):
    add = admin_client.get("/admin/estates/webhooksubscription/add/").content.decode()
    change = admin_client.get(f"/admin/estates/webhooksubscription/{subscription.pk}/change/").content.decode()
    assert 'name="secret"' in add
    assert 'name="secret"' not in change and subscription.secret not in change


def test_a_redirect_is_recorded_and_retried_never_followed(project, subscription, receiver):
    receiver.fail_first, receiver.fail_status = 1, 302
    _file(project)
    outbox_drain()
    assert webhook_deliveries_send() == 1
    assert len(receiver.requests) == 1  # nothing POSTed (or GOT) at the Location
    assert WebhookAttempt.objects.get().status_code == 302
    assert WebhookDelivery.objects.get().status == "pending"
