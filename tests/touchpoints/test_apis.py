import pytest
from rest_framework.test import APIClient

from tests.factories import BuildingFactory, ContractFactory, CustomerFactory, UnitFactory
from touchpoints import services
from touchpoints.models import CustomerContact, PointCheck, SensitivityPoint

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
CHECKS = "/api/v1/touchpoints/checks/"


def contact_body(**overrides):
    body = {
        "project": "SZ-GG",
        "customer_external_id": "P-77",
        "touchpoint": "SAL-03",
        "channel": "open_day",
        "direction": "outbound",
        "summary": "参观样板房",
        "sentiment": "positive",
    }
    body.update(overrides)
    return body


# --- catalogue -----------------------------------------------------------------------------------


def test_catalogue_lists_touchpoints_of_a_stage_with_their_points(api):
    response = api.get("/api/v1/touchpoints/catalogue/", {"stage": "investment", "page_size": 50})
    assert response.status_code == 200
    assert response.json()["count"] == 8
    first = response.json()["results"][0]
    assert (first["code"], first["department"], first["points"][0]["grade"]) == ("INV-01", "investment", "A")


def test_catalogue_grade_filter_narrows_the_points(api):
    response = api.get("/api/v1/touchpoints/catalogue/", {"grade": "C", "page_size": 100})
    grades = {p["grade"] for tp in response.json()["results"] for p in tp["points"]}
    assert grades == {"C"}


@pytest.mark.parametrize("params", [{"stage": "demolition"}, {"grade": "D"}])
def test_unknown_stage_or_grade_is_a_400(api, params):
    response = api.get("/api/v1/touchpoints/catalogue/", params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_points_endpoint_filters_by_stage_and_grade(api):
    response = api.get("/api/v1/touchpoints/points/", {"stage": "sales", "grade": "A", "page_size": 100})
    assert response.json()["count"] == SensitivityPoint.objects.filter(touchpoint__stage="sales", grade="A").count()


# --- checks --------------------------------------------------------------------------------------


def test_api_client_answers_a_check(api, project):
    response = api.post(
        CHECKS, {"project": "SZ-GG", "point": "SAL-02-1", "status": "met", "evidence": "法务审核意见"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["grade"], response.json()["checked_by"]) == ("met", "A", None)


def test_check_for_a_project_outside_the_clients_scope_is_403(api, other_project):
    response = api.post(CHECKS, {"project": "BJ-XY", "point": "SAL-02-1", "status": "met", "evidence": "x"}, format="json")
    assert response.status_code == 403
    assert PointCheck.objects.count() == 0


def test_check_for_a_project_outside_staff_scope_is_404(staff_api, other_project):
    response = staff_api.post(CHECKS, {"project": "BJ-XY", "point": "SAL-02-1", "status": "met", "evidence": "x"}, format="json")
    assert response.status_code == 404
    assert PointCheck.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "great"}, "status"),
        ({"point": "NOPE-1"}, "point"),
        ({"evidence": ""}, "evidence"),
    ],
)
def test_bad_check_input_is_a_400_and_nothing_is_written(staff_api, project, body, field):
    data = {"project": "SZ-GG", "point": "SAL-02-1", "status": "met", "evidence": "x", **body}
    response = staff_api.post(CHECKS, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert PointCheck.objects.count() == 0


def test_check_list_shows_only_the_callers_projects(api, project, other_project, staff, other_staff):
    point = SensitivityPoint.objects.get(code="SAL-02-1")
    services.point_check_record(actor=staff, project=project, point=point, status="met", evidence="x")
    services.point_check_record(actor=other_staff, project=other_project, point=point, status="issue", evidence="y")
    response = api.get(CHECKS)
    assert [r["project"] for r in response.json()["results"]] == ["SZ-GG"]


def test_coverage_endpoint_reports_per_grade(staff_api, project, staff):
    services.point_check_record(
        actor=staff, project=project, point=SensitivityPoint.objects.get(code="SAL-02-1"), status="met", evidence="x"
    )
    response = staff_api.get("/api/v1/touchpoints/projects/SZ-GG/coverage/")
    a = response.json()["grades"][0]
    total_a = SensitivityPoint.objects.filter(touchpoint__stage="sales", grade="A").count()
    assert (response.json()["stage"], a["grade"], a["met"], a["total"]) == ("sales", "A", 1, total_a)
    assert a["met_pct"] == pytest.approx(1 / total_a)


def test_coverage_of_another_project_is_404(staff_api, other_project):
    assert staff_api.get("/api/v1/touchpoints/projects/BJ-XY/coverage/").status_code == 404


# --- contacts ------------------------------------------------------------------------------------


def test_sales_system_posts_a_contact_by_customer_external_id(api, buyer):
    response = api.post(CONTACTS, contact_body(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["customer"], body["project"], body["touchpoint"], body["source"], body["staff"]) == (
        buyer.pk,
        "SZ-GG",
        "SAL-03",
        "api:sales-a",
        None,
    )


def test_contact_for_a_customer_outside_scope_is_refused(api, buyer, other_buyer):
    response = api.post(CONTACTS, contact_body(customer_external_id="P-99"), format="json")
    assert response.status_code == 404
    assert CustomerContact.objects.count() == 0


def test_contact_for_a_project_outside_the_clients_scope_is_403(api, buyer, other_project):
    response = api.post(CONTACTS, contact_body(project="BJ-XY"), format="json")
    assert response.status_code == 403
    assert CustomerContact.objects.count() == 0


def test_contact_for_a_customer_not_buying_in_the_named_project_is_400(staff, buyer, other_project):
    staff.projects.add(other_project)
    client = APIClient()
    client.force_authenticate(staff)
    response = client.post(CONTACTS, contact_body(project="BJ-XY"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["customer"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"summary": ""}, "summary"),
        ({"touchpoint": "NOPE"}, "touchpoint"),
        ({"customer": 1}, "customer"),
        ({"occurred_at": "2099-01-01T00:00:00+08:00"}, "occurred_at"),
    ],
)
def test_bad_contact_input_is_a_400_and_nothing_is_written(api, buyer, body, field):
    response = api.post(CONTACTS, contact_body(**body), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert CustomerContact.objects.count() == 0


def test_idempotency_key_replays_the_first_contact(api, buyer):
    first = api.post(CONTACTS, contact_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(CONTACTS, contact_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code, second.json()["id"]) == (201, 201, first.json()["id"])
    assert CustomerContact.objects.count() == 1


def _contacts(project, staff, n):
    for i in range(n):
        customer = CustomerFactory()
        ContractFactory(unit=UnitFactory(building=BuildingFactory(project=project)), customers=[customer])
        services.contact_log(
            actor=staff,
            customer=customer,
            project=project,
            channel="phone",
            direction="inbound",
            summary=f"第{i}次",
            touchpoint=None,
        )


def test_contact_list_is_scoped_and_filtered(api, project, other_project, staff, other_staff):
    _contacts(project, staff, 2)
    _contacts(other_project, other_staff, 1)
    response = api.get(CONTACTS, {"channel": "phone"})
    assert (response.json()["count"], {r["project"] for r in response.json()["results"]}) == (2, {"SZ-GG"})


def test_contact_list_runs_the_same_queries_for_2_and_20_rows(api, project, staff, django_assert_num_queries):
    _contacts(project, staff, 2)
    api.get(CONTACTS)  # warm the client's scope lookups
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        api.get(CONTACTS)
    _contacts(project, staff, 18)
    with django_assert_num_queries(len(two.captured_queries)):
        response = api.get(CONTACTS, {"page_size": 50})
    assert response.json()["count"] == 20


def test_catalogue_runs_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    api.get("/api/v1/touchpoints/catalogue/")
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/touchpoints/catalogue/", {"page_size": 100})
    assert response.json()["count"] == 56
