"""``survey.answered``: an owner's submitted survey announced to sales systems through the outbox
(docs/trust.md, "Events the feature apps emit") — once per response, in the submit's transaction,
signed, only to clients whose project scope covers the survey's project, with no personal data."""

import hashlib
import hmac
import json

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from estates import tasks as estates_tasks
from estates.models import OutboxEvent, WebhookDelivery
from estates.outbox import outbox_drain
from estates.webhooks import webhook_deliveries_send, webhook_subscription_create
from satisfaction import services
from satisfaction.models import Invitation, Response
from tests.factories import api_client_with_key
from tests.satisfaction.conftest import answers_all, handover_for, make_contract

pytestmark = pytest.mark.django_db

SECRET = "survey-hooks-secret"


@pytest.fixture
def invitation(project):
    """A sent handover-3m invitation in ``project`` (as tests/satisfaction's fixture makes it)."""
    from django.utils import timezone

    contract = make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    return Invitation.objects.select_related("wave", "customer", "project").get(contract=contract)


@pytest.fixture
def survey_subscription(project, receiver):
    client, _key = api_client_with_key(name="sales-surveys", project_codes=[project.code])
    return webhook_subscription_create(client=client, url=receiver.url, event_types=["survey.answered"], secret=SECRET)


@pytest.fixture
def out_of_scope_subscription(other_project, receiver):
    """A client of another project subscribed to the same event at the same receiver."""
    client, _key = api_client_with_key(name="sales-elsewhere", project_codes=[other_project.code])
    return webhook_subscription_create(client=client, url=receiver.url, event_types=["survey.answered"], secret="other")


def _answered():
    return list(OutboxEvent.objects.filter(event="survey.answered").order_by("pk"))


def _verify(request, secret):
    ts = request["headers"]["X-Touchstone-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{ts}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Touchstone-Signature"])


def _deliver_everything():
    outbox_drain()
    webhook_deliveries_send()


def test_submitting_writes_one_survey_answered_event_with_ids_codes_and_scores_only(invitation):
    customer = invitation.customer
    response, created = services.response_submit(invitation=invitation, answers=answers_all(overall=4, recommend=9))
    assert created
    [event] = _answered()
    assert event.project_id == invitation.project_id
    assert event.payload == {
        "invitation": invitation.pk,
        "wave": "handover-3m",
        "scores": {"overall": 4, "recommend": 9, "repurchase": True},
        "answered_at": response.submitted_at.isoformat(),
        "customer": customer.external_id,
    }
    text = json.dumps(event.payload, ensure_ascii=False)
    for personal in (customer.name, customer.phone, customer.id_number, customer.email, "很好"):
        assert personal not in text


def test_one_signed_delivery_reaches_the_in_scope_subscriber_only(
    invitation, survey_subscription, out_of_scope_subscription, receiver, subscription
):
    """``subscription`` (conftest) is a client of the same project subscribed to complaint events only."""
    services.response_submit(invitation=invitation, answers=answers_all())
    _deliver_everything()
    assert list(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == [survey_subscription.pk]
    [request] = receiver.requests
    assert request["headers"]["X-Touchstone-Event"] == "survey.answered"
    assert _verify(request, SECRET)
    body = json.loads(request["body"])
    assert (body["event"], body["project"], body["data"]["invitation"]) == (
        "survey.answered",
        invitation.project.code,
        invitation.pk,
    )
    assert body["id"] == request["headers"]["X-Touchstone-Delivery"]
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED


def test_resubmitting_and_repeated_jobs_announce_nothing_more(invitation, survey_subscription, receiver):
    services.response_submit(invitation=invitation, answers=answers_all(overall=5))
    _, created = services.response_submit(invitation=invitation, answers=answers_all(overall=1))  # a second tab
    assert not created
    # The public API twin, as the owner's double click would send it: 200, nothing new.
    token = services.token_for(invitation)
    again = APIClient().post(f"/api/v1/satisfaction/public/{token}/", {"answers": answers_all()}, format="json")
    assert again.status_code == 200
    assert len(_answered()) == 1
    _deliver_everything()
    # The same task messages executed twice: no second delivery, no second POST.
    estates_tasks.outbox_drain_task()
    estates_tasks.webhook_deliveries_send_task()
    _deliver_everything()
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_a_submit_that_rolls_back_announces_nothing(invitation):
    def submit_then_fail():
        with transaction.atomic():
            services.response_submit(invitation=invitation, answers=answers_all())
            raise RuntimeError("the caller's transaction fails after the submit")

    with pytest.raises(RuntimeError):
        submit_then_fail()
    assert (Response.objects.count(), _answered()) == (0, [])


def test_invalid_answers_announce_nothing(invitation):
    with pytest.raises(services.SurveyInvalid):
        services.response_submit(invitation=invitation, answers=answers_all(overall="great"))
    assert _answered() == []


def test_a_low_score_is_announced_too_without_the_follow_up_text(invitation):
    services.response_submit(invitation=invitation, answers=answers_all(overall=1, recommend=2, repurchase="0"))
    [event] = _answered()
    assert event.payload["scores"] == {"overall": 1, "recommend": 2, "repurchase": False}
    assert set(event.payload) == {"invitation", "wave", "scores", "answered_at", "customer"}


def test_the_event_is_announced_after_commit(invitation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.response_submit(invitation=invitation, answers=answers_all())
    assert any(getattr(cb, "__name__", "") == "_kick_drain" for cb in callbacks)
