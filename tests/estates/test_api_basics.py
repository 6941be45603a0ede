"""API_CONTRACT.md "Basics": pagination, 404 outside scope, session auth, throttling, Idempotency-Key."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from crm_site.models import IdempotencyRecord
from estates.models import Contract, Unit
from tests.estates.conftest import SYNC_URL, sync_batch
from tests.factories import BuildingFactory, ContractFactory, ProjectFactory, api_client_with_key

pytestmark = pytest.mark.django_db


def token_client(*codes: str) -> APIClient:
    _client, key = api_client_with_key(project_codes=list(codes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- pagination ---------------------------------------------------------------------------------


def test_lists_are_paginated_with_count_next_previous_results(group_user):
    for n in range(3):
        ProjectFactory(code=f"P-{n}")
    client = APIClient()
    client.force_authenticate(group_user)

    first = client.get("/api/v1/projects/", {"page_size": 2}).json()
    second = client.get("/api/v1/projects/", {"page_size": 2, "page": 2}).json()

    assert list(first) == ["count", "next", "previous", "results"]
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert first["next"] == "http://testserver/api/v1/projects/?page=2&page_size=2"
    assert (len(second["results"]), second["next"]) == (1, None)
    assert second["previous"] == "http://testserver/api/v1/projects/?page_size=2"


def test_page_size_is_capped_at_200(api, project):
    building = BuildingFactory(project=project)
    Unit.objects.bulk_create(Unit(project=project, building=building, number=f"1-{n:04d}") for n in range(205))

    body = api.get("/api/v1/units/", {"page_size": 1000}).json()

    assert body["count"] == 205
    assert len(body["results"]) == 200


def test_the_default_page_size_is_25(api, project):
    building = BuildingFactory(project=project)
    Unit.objects.bulk_create(Unit(project=project, building=building, number=f"1-{n:04d}") for n in range(30))

    assert len(api.get("/api/v1/units/").json()["results"]) == 25


def test_a_page_past_the_end_is_404(api, project):
    assert api.get("/api/v1/projects/", {"page": 9}).status_code == 404


@pytest.mark.parametrize("page", ["x", "-1", "0", "1.5"])
def test_a_malformed_page_is_404_not_500(api, project, page):
    assert api.get("/api/v1/projects/", {"page": page}).status_code == 404


@pytest.mark.parametrize("page_size", ["0", "-5", "abc", "99999999999999999999"])
def test_a_malformed_page_size_falls_back_to_the_default(api, project, page_size):
    response = api.get("/api/v1/projects/", {"page_size": page_size})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_list_endpoints_run_a_constant_number_of_queries(api, project, django_assert_max_num_queries):
    for _ in range(3):
        ContractFactory(unit__building__project=project)
    with django_assert_max_num_queries(6):
        small = api.get("/api/v1/customers/").json()
    for _ in range(20):
        ContractFactory(unit__building__project=project)

    with django_assert_max_num_queries(6):
        large = api.get("/api/v1/customers/").json()
    with django_assert_max_num_queries(6):
        api.get("/api/v1/units/")

    assert (small["count"], large["count"]) == (3, 23)


# --- 404: missing and out of scope look the same -------------------------------------------------


def test_project_404_is_identical_for_missing_and_out_of_scope(api, project, other_project):
    missing = api.get("/api/v1/projects/NOPE/")
    foreign = api.get(f"/api/v1/projects/{other_project.code}/")

    assert missing.status_code == foreign.status_code == 404
    assert missing.content == foreign.content == b'{"detail":"\xe6\x9c\xaa\xe6\x89\xbe\xe5\x88\xb0\xe3\x80\x82"}'


def test_customer_404_is_identical_for_missing_and_out_of_scope(api, project, other_project):
    foreign = ContractFactory(unit__building__project=other_project).customers.get()

    missing = api.get("/api/v1/customers/999999/")
    hidden = api.get(f"/api/v1/customers/{foreign.pk}/")

    assert missing.status_code == hidden.status_code == 404
    assert missing.content == hidden.content


def test_unit_404_is_identical_for_missing_and_out_of_scope(api, project, other_project):
    foreign = ContractFactory(unit__building__project=other_project).unit
    own = ContractFactory(unit__building__project=project).unit

    missing = api.get("/api/v1/units/999999/")
    hidden = api.get(f"/api/v1/units/{foreign.pk}/")

    assert missing.status_code == hidden.status_code == 404
    assert missing.content == hidden.content
    assert api.get(f"/api/v1/units/{own.pk}/").json()["number"] == own.number


def test_unit_list_of_an_out_of_scope_project_looks_like_an_unknown_one(api, project, other_project):
    ContractFactory(unit__building__project=other_project)

    foreign = api.get("/api/v1/units/", {"project": other_project.code})
    missing = api.get("/api/v1/units/", {"project": "NOPE"})

    assert foreign.status_code == missing.status_code == 200
    assert foreign.json() == missing.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_customer_id_that_is_not_a_number_is_404(api, project):
    assert api.get("/api/v1/customers/abc/").status_code == 404


# --- staff sessions --------------------------------------------------------------------------------


def test_staff_session_authenticates_the_api(client, staff, project, other_project):
    client.force_login(staff)

    response = client.get("/api/v1/projects/")

    assert response.status_code == 200
    assert [p["code"] for p in response.json()["results"]] == ["SZ-GG"]


def test_a_session_post_without_csrf_token_is_refused(staff, project):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(SYNC_URL, sync_batch(1, 1), format="json")

    assert response.status_code == 403
    assert Contract.objects.count() == 0


# --- throttling ----------------------------------------------------------------------------------


def test_throttling_answers_429_past_the_rate(api, project, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"actor": "3/min"}}

    codes = [api.get("/api/v1/projects/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_throttling_budgets_are_per_client(api, project, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"actor": "2/min"}}
    other = token_client("SZ-GG")
    for _ in range(2):
        api.get("/api/v1/projects/")

    assert api.get("/api/v1/projects/").status_code == 429
    assert other.get("/api/v1/projects/").status_code == 200


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_the_same_key_replays_the_first_response_and_creates_nothing(api, project):
    first = api.post(SYNC_URL, sync_batch(1, 2), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    counts = (Contract.objects.count(), IdempotencyRecord.objects.count())

    again = api.post(SYNC_URL, sync_batch(1, 2), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.json()["created"] == 2
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert (Contract.objects.count(), IdempotencyRecord.objects.count()) == counts


def test_the_same_key_replays_even_when_the_body_differs(api, project):
    first = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    again = api.post(SYNC_URL, sync_batch(2, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.content == first.content
    assert list(Contract.objects.values_list("external_id", flat=True)) == ["C-1"]


def test_a_replayed_400_keeps_its_status_and_body(api, project):
    first = api.post(SYNC_URL, sync_batch(1, 1001), format="json", HTTP_IDEMPOTENCY_KEY="k-big")

    again = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-big")

    assert (again.status_code, again.content) == (400, first.content)
    assert Contract.objects.count() == 0


def test_the_same_key_from_another_client_is_independent(api, project):
    api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    other = token_client("SZ-GG").post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert "Idempotent-Replayed" not in other
    assert other.json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}


def test_a_different_key_is_processed(api, project):
    api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert response.json()["unchanged"] == 1


def test_the_key_is_forgotten_after_24_hours(api, project):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        within = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        after = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert within.json()["created"] == 1
    assert "Idempotent-Replayed" not in after
    assert after.json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}
    assert IdempotencyRecord.objects.count() == 1


def test_a_key_for_a_request_still_running_is_409(api, api_client_key, project):
    IdempotencyRecord.objects.create(principal=f"ApiClient:{api_client_key[0].pk}", key="k-1", method="POST", path=SYNC_URL)

    response = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 409
    assert Contract.objects.count() == 0


def test_an_overlong_key_is_400(api, project):
    response = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert response.status_code == 400
    assert Contract.objects.count() == 0


def test_a_key_with_a_bad_token_is_still_401(project):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")

    response = client.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 401
    assert IdempotencyRecord.objects.count() == 0


def test_staff_sessions_get_idempotency_too(staff, project):
    client = APIClient()
    client.force_login(staff)
    first = client.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    again = client.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


def test_a_key_used_on_another_endpoint_is_refused_not_replayed(api, project):
    api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    other = api.post("/api/v1/projects/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert other.status_code == 409
    assert "Idempotent-Replayed" not in other


def test_a_claim_left_by_a_dead_request_frees_the_key_after_two_minutes(api, api_client_key, project):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        IdempotencyRecord.objects.create(principal=f"ApiClient:{api_client_key[0].pk}", key="k-dead", method="POST", path=SYNC_URL)
    with time_machine.travel(start + timedelta(seconds=119), tick=False):
        assert api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-dead").status_code == 409
    with time_machine.travel(start + timedelta(seconds=121), tick=False):
        response = api.post(SYNC_URL, sync_batch(1, 1), format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
    assert response.status_code == 200
    assert response.json()["created"] == 1
