import pytest

from segments import services
from segments.fixtures.seed import TIANJIN_PARCEL
from segments.models import CustomerSegment, ParcelAssessment
from tests.segments.conftest import buyer_in

pytestmark = pytest.mark.django_db


def test_segments_list_has_profiles_reference_shares_and_checklists(api):
    body = api.get("/api/v1/segments/").json()
    by_code = {s["code"]: s for s in body}
    assert [s["name"] for s in body] == ["望子成龙", "健康养老", "富贵之家", "务实之家", "社会新锐"]
    assert (by_code["affluent"]["reference_share"], by_code["pragmatic"]["reference_share"]) == ("0.090", "0.250")
    assert by_code["young_professional"]["land_needs"]["near_offices"] == 3


def test_shares_are_scoped_to_the_callers_customers(api, project, other_project):
    for c in [
        buyer_in(project, income_band="high"),
        buyer_in(project, income_band="low"),
        buyer_in(other_project, income_band="high"),
    ]:
        services.customer_segments_recompute(customer_ids=[c.pk])
    body = api.get("/api/v1/segments/shares/").json()
    counts = {r["code"]: r["count"] for r in body["rows"]}
    assert (body["total"], counts["affluent"], counts["pragmatic"]) == (2, 1, 1)


def test_shares_of_a_project_outside_scope_is_404(api, other_project):
    assert api.get("/api/v1/segments/shares/", {"project": "BJ-XY"}).status_code == 404


def test_customer_segment_is_read_and_404_outside_scope(api, buyer, other_buyer):
    services.customer_segments_recompute(customer_ids=[buyer.pk])
    assert api.get(f"/api/v1/segments/customers/{buyer.pk}/").json()["segment"] == "education_first"
    assert api.get(f"/api/v1/segments/customers/{other_buyer.pk}/").status_code == 404


def test_manager_overrides_over_the_api(manager_api, buyer):
    response = manager_api.post(
        f"/api/v1/segments/customers/{buyer.pk}/override/", {"segment": "affluent", "reason": "高净值"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["segment"], response.json()["computed_segment"], response.json()["overridden_by"]) == (
        "affluent",
        "education_first",
        "manager_a",
    )


@pytest.mark.parametrize(
    ("body", "field"), [({"segment": "royalty", "reason": "x"}, "segment"), ({"segment": "affluent"}, "reason")]
)
def test_bad_override_is_400_and_nothing_changes(manager_api, buyer, body, field):
    response = manager_api.post(f"/api/v1/segments/customers/{buyer.pk}/override/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not CustomerSegment.objects.filter(is_overridden=True).exists()


def test_api_client_may_not_override(api, buyer):
    response = api.post(f"/api/v1/segments/customers/{buyer.pk}/override/", {"segment": "affluent", "reason": "x"}, format="json")
    assert response.status_code == 403


def test_parcel_is_assessed_over_the_api(staff_api, project):
    response = staff_api.post(
        "/api/v1/segments/parcels/", {"project": "SZ-GG", "name": "天津地块", "attributes": TIANJIN_PARCEL}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["best_segment"], body["scores"][0]["segment"], sorted(body["attributes"])) == (
        "young_professional",
        "young_professional",
        sorted(TIANJIN_PARCEL),
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"attributes": ["near_offices", "near_casino"]}, "attributes"),
        ({"attributes": []}, "attributes"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_parcel_is_400_and_nothing_written(staff_api, project, body, field):
    data = {"project": "SZ-GG", "name": "地块", "attributes": ["near_offices"], **body}
    response = staff_api.post("/api/v1/segments/parcels/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ParcelAssessment.objects.count() == 0


def test_parcel_for_a_project_outside_the_clients_scope_is_403(api, other_project):
    response = api.post(
        "/api/v1/segments/parcels/", {"project": "BJ-XY", "name": "x", "attributes": ["near_offices"]}, format="json"
    )
    assert response.status_code == 403
    assert ParcelAssessment.objects.count() == 0


def test_parcels_of_other_projects_are_invisible(api, project, other_project, group_user):
    mine = services.parcel_assess(actor=group_user, project=project, name="a", attribute_codes=["near_offices"])
    theirs = services.parcel_assess(actor=group_user, project=other_project, name="b", attribute_codes=["near_offices"])
    assert [p["id"] for p in api.get("/api/v1/segments/parcels/").json()["results"]] == [mine.pk]
    assert api.get(f"/api/v1/segments/parcels/{theirs.pk}/").status_code == 404


def test_schema_documents_the_endpoints(staff_client):
    schema = staff_client.get("/api/schema/").content.decode()
    assert "/api/v1/segments/parcels/" in schema
    assert "/api/v1/contacts/" in schema


def test_parcel_list_runs_the_same_queries_for_2_and_20_parcels(staff_api, project, group_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(2):
        services.parcel_assess(actor=group_user, project=project, name=f"p{i}", attribute_codes=TIANJIN_PARCEL)
    staff_api.get("/api/v1/segments/parcels/")
    with CaptureQueriesContext(connection) as two:
        staff_api.get("/api/v1/segments/parcels/")
    for i in range(18):
        services.parcel_assess(actor=group_user, project=project, name=f"q{i}", attribute_codes=["near_offices"])
    with CaptureQueriesContext(connection) as twenty:
        response = staff_api.get("/api/v1/segments/parcels/", {"page_size": 50})
    assert response.json()["count"] == 20
    assert len(twenty.captured_queries) == len(two.captured_queries)


def test_rules_are_listed_in_priority_order(api):
    body = api.get("/api/v1/segments/rules/").json()
    assert [r["priority"] for r in body] == sorted(r["priority"] for r in body)
    assert body[0]["segment"] == "affluent"


def test_manager_starts_a_recompute_and_reads_its_progress(manager_api, project):
    buyer_in(project)
    first = manager_api.post("/api/v1/segments/recompute/")
    again = manager_api.post("/api/v1/segments/recompute/")
    assert (first.status_code, again.status_code, again.json()["id"]) == (202, 200, first.json()["id"])
    services.segment_recompute_run_execute(run_id=first.json()["id"])
    run = manager_api.get("/api/v1/segments/recompute/").json()["results"][0]
    assert (run["status"], run["processed"], run["progress"]) == ("done", 1, 1.0)


def test_api_client_may_not_start_a_recompute(api):
    assert api.post("/api/v1/segments/recompute/").status_code == 403
