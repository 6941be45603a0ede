"""Every denied request writes one SecurityEvent (no personal data), visible read-only to administrators."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from estates.models import SecurityEvent
from tests.factories import ContractFactory, CustomerFactory, UnitFactory


def _only_event():
    assert SecurityEvent.objects.count() == 1
    return SecurityEvent.objects.get()


def test_an_allowed_request_writes_nothing(staff_client, api):
    assert staff_client.get("/projects/").status_code == 200
    assert api.get("/api/v1/projects/").status_code == 200
    assert SecurityEvent.objects.count() == 0


def test_an_api_call_without_a_key_writes_an_anonymous_401(db):
    assert APIClient().get("/api/v1/customers/?search=13812345678").status_code == 401
    event = _only_event()
    assert (event.kind, event.status_code, event.actor_type, event.actor_id, event.method, event.path) == (
        "unauthenticated", 401, "anonymous", None, "GET", "/api/v1/customers/")


def test_an_out_of_scope_object_writes_the_client_object_type_and_id(api, api_client_key, other_project):
    contract = ContractFactory(unit=UnitFactory(building__project=other_project))
    customer = contract.customers.get()
    assert api.get(f"/api/v1/customers/{customer.pk}/").status_code == 404
    event = _only_event()
    assert (event.kind, event.actor_type, event.actor_id, event.actor_label, event.object_type, event.object_id) == (
        "not_found", "api_client", api_client_key[0].pk, "sales-a", "customer", str(customer.pk))
    assert event.route == "api-customer-detail"


def test_a_staff_404_on_a_page_names_the_staff_member(staff_client, staff, other_project):
    assert staff_client.get(f"/projects/{other_project.code}/").status_code == 404
    event = _only_event()
    assert (event.actor_type, event.actor_id, event.object_type, event.object_id) == (
        "user", staff.pk, "estates.project", other_project.code)


def test_a_csrf_refusal_writes_a_403(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post("/api/v1/sync/contracts/", [], content_type="application/json").status_code == 403
    assert (_only_event().kind, _only_event().status_code) == ("forbidden", 403)


def test_a_throttled_api_call_writes_a_429(api, project, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"actor": "2/min"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        statuses = [api.get("/api/v1/projects/").status_code for _ in range(3)]
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"actor": "6000/min"}}
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert statuses == [200, 200, 429]
    assert (_only_event().kind, _only_event().status_code) == ("throttled", 429)


def test_an_anonymous_page_visit_writes_one_login_redirect_event(db):
    assert Client().get("/customers/").status_code == 302
    event = _only_event()
    assert (event.kind, event.status_code, event.path) == ("unauthenticated", 302, "/customers/")


def test_a_phone_in_the_path_is_masked_in_the_event(staff_client):
    customer = CustomerFactory()
    assert staff_client.get("/customers/13812345678/").status_code == 404
    event = _only_event()
    assert "13812345678" not in event.path + event.object_id
    assert event.path == "/customers/138****5678/"
    assert customer.phone not in str(SecurityEvent.objects.values())


def test_an_unmatched_url_writes_nothing(staff_client):
    assert staff_client.get("/no/such/page/").status_code == 404
    assert SecurityEvent.objects.count() == 0


def test_logging_out_is_not_a_refusal(staff_client):
    staff_client.post("/accounts/logout/")
    assert SecurityEvent.objects.count() == 0


def test_administrators_read_security_events_but_cannot_change_them(admin_client, db):
    Client().get("/customers/")
    event = SecurityEvent.objects.get()
    assert admin_client.get("/admin/estates/securityevent/").status_code == 200
    assert admin_client.get(f"/admin/estates/securityevent/{event.pk}/change/").status_code == 200
    assert admin_client.get("/admin/estates/securityevent/add/").status_code == 403
    assert admin_client.post(f"/admin/estates/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("field", ["phone", "id_number"])
def test_security_events_have_no_personal_data_columns(field):
    assert field not in {f.name for f in SecurityEvent._meta.get_fields()}
