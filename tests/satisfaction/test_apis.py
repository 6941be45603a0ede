from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from satisfaction import services
from satisfaction.models import Response, Trigger, Wave

from .conftest import answers_all, handover_for, make_contract


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


# --- waves --------------------------------------------------------------------------------------


def test_wave_list(staff_api, db):
    response = staff_api.get("/api/v1/satisfaction/waves/")
    assert response.status_code == 200
    assert response.json()["count"] == 8
    assert {w["code"] for w in response.json()["results"]} >= {"handover-3m", "handover-35m", "complaint-closed"}


def test_wave_list_filters_by_trigger(staff_api, db):
    response = staff_api.get("/api/v1/satisfaction/waves/", {"trigger": "handover"})
    assert response.json()["count"] == 4


def test_wave_patch_by_manager(manager_api):
    wave = Wave.objects.get(code="handover-3m")
    response = manager_api.patch(f"/api/v1/satisfaction/waves/{wave.pk}/", {"window_days": 21}, format="json")
    assert response.status_code == 200
    assert response.json()["window_days"] == 21


def test_wave_negative_offset_is_400_and_nothing_changes(manager_api):
    wave = Wave.objects.get(code="handover-3m")
    response = manager_api.patch(f"/api/v1/satisfaction/waves/{wave.pk}/", {"offset_days": -3, "name": "x"}, format="json")
    assert response.status_code == 400
    assert "offset_days" in response.json()
    wave.refresh_from_db()
    assert (wave.offset_days, wave.name) == (0, "交付3个月质量回访")


def test_wave_patch_by_staff_is_403(staff_api, db):
    wave = Wave.objects.get(code="handover-3m")
    assert staff_api.patch(f"/api/v1/satisfaction/waves/{wave.pk}/", {"window_days": 21}, format="json").status_code == 403


def test_wave_create(manager_api):
    response = manager_api.post(
        "/api/v1/satisfaction/waves/",
        {
            "code": "handover-47m",
            "name": "交付47个月回访",
            "template": "owner-standard",
            "trigger": "handover",
            "offset_months": 47,
        },
        format="json",
    )
    assert response.status_code == 201
    assert Wave.objects.get(code="handover-47m").offset_months == 47


def test_wave_create_with_negative_offset_is_400(manager_api):
    response = manager_api.post(
        "/api/v1/satisfaction/waves/",
        {
            "code": "bad",
            "name": "x",
            "template": "owner-standard",
            "trigger": "handover",
            "offset_months": -1,
        },
        format="json",
    )
    assert response.status_code == 400
    assert not Wave.objects.filter(code="bad").exists()


# --- invitations --------------------------------------------------------------------------------


def test_invitation_list_is_scoped_to_the_api_client(api, invitation, other_project):
    make_contract(other_project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    response = api.get("/api/v1/satisfaction/invitations/")
    assert response.status_code == 200
    assert [r["project"] for r in response.json()["results"]] == ["SZ-GG"]
    assert response.json()["results"][0]["status"] == "sent"


def test_invitation_list_masks_phone_for_api_clients(api, invitation):
    phone = api.get("/api/v1/satisfaction/invitations/").json()["results"][0]["customer_phone"]
    assert "****" in phone


def test_invitation_list_filters(api, invitation):
    assert api.get("/api/v1/satisfaction/invitations/", {"status": "responded"}).json()["count"] == 0
    assert api.get("/api/v1/satisfaction/invitations/", {"wave": "handover-3m"}).json()["count"] == 1
    assert api.get("/api/v1/satisfaction/invitations/", {"status": "nonsense"}).status_code == 400


def test_invitation_list_constant_queries(staff_api, project, django_assert_max_num_queries):
    for _ in range(2):
        make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    with django_assert_max_num_queries(8) as small:
        staff_api.get("/api/v1/satisfaction/invitations/")
    for _ in range(20):
        make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert staff_api.get("/api/v1/satisfaction/invitations/").json()["count"] == 22


def test_invitation_of_another_project_is_404(invitation, other_project):
    from tests.factories import api_client_with_key

    _client, key = api_client_with_key(name="sales-b", project_codes=[other_project.code])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"/api/v1/satisfaction/invitations/{invitation.pk}/").status_code == 404


def test_invitations_need_authentication(client, invitation):
    assert APIClient().get("/api/v1/satisfaction/invitations/").status_code == 401


# --- results ------------------------------------------------------------------------------------


def test_results_by_wave(api, invitation):
    services.response_submit(invitation=invitation, answers=answers_all(overall=5, recommend=5, repurchase="0"))
    body = api.get("/api/v1/satisfaction/results/", {"group_by": "wave", "project": "SZ-GG"}).json()
    row = next(r for r in body["rows"] if r["label"] == "交付3个月质量回访")
    assert (row["responses"], row["sent"], row["satisfaction_index"], row["recommend_score"], row["repurchase_intent"]) == (
        1,
        1,
        100.0,
        -100.0,
        0.0,
    )
    assert body["headline"]["share_satisfied"] == 1.0


def test_results_by_dimension(api, invitation):
    services.response_submit(invitation=invitation, answers=answers_all(quality=2))
    rows = {r["key"]: r for r in api.get("/api/v1/satisfaction/results/", {"group_by": "dimension"}).json()["rows"]}
    assert rows["construction_quality"]["satisfaction_index"] == 25.0
    assert rows["construction_quality"]["share_satisfied"] == 0.0


def test_results_for_a_project_outside_scope_is_404(api, other_project):
    assert api.get("/api/v1/satisfaction/results/", {"project": other_project.code}).status_code == 404


def test_results_bad_grouping_is_400(api):
    assert api.get("/api/v1/satisfaction/results/", {"group_by": "colour"}).status_code == 400


# --- triggers -----------------------------------------------------------------------------------


def test_trigger_recorded_by_the_sales_system(api, project):
    contract = make_contract(project, handover_on=None)
    payload = {
        "contract": contract.external_id,
        "kind": "frame_visit",
        "occurred_on": str(timezone.localdate()),
        "source_ref": "visit-7",
    }
    assert api.post("/api/v1/satisfaction/triggers/", payload, format="json").status_code == 201
    assert api.post("/api/v1/satisfaction/triggers/", payload, format="json").status_code == 200
    assert Trigger.objects.count() == 1


def test_trigger_for_another_projects_contract_is_404(api, other_project):
    contract = make_contract(other_project, handover_on=None)
    payload = {"contract": contract.external_id, "kind": "frame_visit", "occurred_on": "2026-01-01", "source_ref": "v"}
    assert api.post("/api/v1/satisfaction/triggers/", payload, format="json").status_code == 404
    assert Trigger.objects.count() == 0


def test_trigger_of_kind_handover_is_400(api, project):
    contract = make_contract(project, handover_on=None)
    payload = {"contract": contract.external_id, "kind": "handover", "occurred_on": "2026-01-01", "source_ref": "v"}
    assert api.post("/api/v1/satisfaction/triggers/", payload, format="json").status_code == 400


# --- the owners' endpoints ----------------------------------------------------------------------


def public(invitation):
    return f"/api/v1/satisfaction/public/{services.token_for(invitation)}/"


def test_public_get_needs_no_login(invitation):
    body = APIClient().get(public(invitation)).json()
    assert body["status"] == "sent"
    assert [q["key"] for q in body["questions"]][:2] == ["overall", "quality"]


def test_public_post_stores_once(invitation):
    client = APIClient()
    assert client.post(public(invitation), {"answers": answers_all(overall=4)}, format="json").status_code == 201
    assert client.post(public(invitation), {"answers": answers_all(overall=1)}, format="json").status_code == 200
    assert Response.objects.get().overall == 4


def test_public_post_wrong_types_is_400_with_per_question_errors(invitation):
    response = APIClient().post(public(invitation), {"answers": answers_all(overall="great", recommend=11)}, format="json")
    assert response.status_code == 400
    assert set(response.json()["answers"]) == {"overall", "recommend"}
    assert Response.objects.count() == 0


def test_public_endpoints_refuse_a_bad_token(invitation):
    client = APIClient()
    assert client.get("/api/v1/satisfaction/public/nonsense/").status_code == 404
    assert client.post("/api/v1/satisfaction/public/nonsense/", {"answers": answers_all()}, format="json").status_code == 404
    assert Response.objects.count() == 0


def test_public_endpoint_expired_token_is_410(invitation, time_machine):
    url = public(invitation)
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)
    assert APIClient().post(url, {"answers": answers_all()}, format="json").status_code == 410


def test_schema_documents_the_endpoints(staff_client):
    schema = staff_client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/satisfaction/waves/",
        "/api/v1/satisfaction/invitations/",
        "/api/v1/satisfaction/results/",
        "/api/v1/satisfaction/public/{token}/",
        "/api/v1/satisfaction/triggers/",
    ):
        assert path in schema
