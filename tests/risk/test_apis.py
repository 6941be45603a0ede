from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from risk import services
from risk.models import AdverseFactor, PromiseChange, Review, RiskItem, SalesPromise
from tests.factories import UserFactory
from tests.risk.factories import answer_all, open_item

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def future(days=7):
    return (TODAY() + timedelta(days=days)).isoformat()


ITEM = {"project": "SZ-GG", "title": "示范单位与交付标准不符", "source": "product", "customer_view": "marketing", "level": "high"}


def test_api_client_opens_risk_item(api, project):
    r = api.post("/api/v1/risk/items/", {**ITEM, "deadline": future()}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["project"], body["status"], body["origin"], body["events"][0]["kind"]) == ("SZ-GG", "open", "api", "opened")


def test_deadline_in_past_is_400_and_nothing_written(api, project):
    r = api.post("/api/v1/risk/items/", {**ITEM, "deadline": (TODAY() - timedelta(days=1)).isoformat()}, format="json")
    assert r.status_code == 400
    assert "deadline" in r.json()
    assert RiskItem.objects.count() == 0


def test_api_client_writing_outside_scope_is_403(api, project, other_project):
    r = api.post("/api/v1/risk/items/", {**ITEM, "project": "BJ-XY", "deadline": future()}, format="json")
    assert r.status_code == 403
    assert RiskItem.objects.count() == 0


def test_staff_writing_outside_scope_is_404(staff_api, other_project):
    r = staff_api.post("/api/v1/risk/items/", {**ITEM, "project": "BJ-XY", "deadline": future()}, format="json")
    assert r.status_code == 404
    assert RiskItem.objects.count() == 0


def test_item_of_other_project_is_404(staff_api, other_project):
    owner = UserFactory(projects=[other_project])
    item = open_item(other_project, owner)
    assert staff_api.get(f"/api/v1/risk/items/{item.pk}/").status_code == 404
    assert staff_api.post(f"/api/v1/risk/items/{item.pk}/close/", {"closing_note": "x"}, format="json").status_code == 404


def test_close_without_note_is_400(staff_api, project, staff):
    item = open_item(project, staff)
    r = staff_api.post(f"/api/v1/risk/items/{item.pk}/close/", {"closing_note": ""}, format="json")
    assert r.status_code == 400
    item.refresh_from_db()
    assert item.status == "open"


def test_reopen_open_item_is_409(staff_api, project, staff):
    item = open_item(project, staff)
    r = staff_api.post(f"/api/v1/risk/items/{item.pk}/reopen/", {"reason": "x"}, format="json")
    assert r.status_code == 409


def test_list_filters_overdue_and_level(staff_api, project, staff):
    open_item(project, staff, level="low")
    overdue = open_item(project, staff, level="high")
    RiskItem.objects.filter(pk=overdue.pk).update(deadline=TODAY() - timedelta(days=2))
    r = staff_api.get("/api/v1/risk/items/?overdue=true")
    assert [i["id"] for i in r.json()["results"]] == [overdue.pk]
    assert r.json()["results"][0]["is_overdue"] is True
    assert staff_api.get("/api/v1/risk/items/?level=low").json()["count"] == 1


def test_unknown_filter_value_is_400(staff_api, project):
    assert staff_api.get("/api/v1/risk/items/?level=huge").status_code == 400


@pytest.mark.parametrize("n", [2, 20])
def test_item_list_query_count_is_constant(staff_api, project, staff, n, django_assert_max_num_queries):
    for i in range(n):
        open_item(project, staff, title=f"风险{i}")
    with django_assert_max_num_queries(6):
        r = staff_api.get("/api/v1/risk/items/?page_size=50")
    assert r.json()["count"] == n


def test_unknown_factor_type_is_400(staff_api, project):
    r = staff_api.post(
        "/api/v1/risk/factors/",
        {
            "project": "SZ-GG",
            "factor_type": "volcano",
            "description": "x",
            "distance_m": 10,
            "direction": "N",
            "info_source": "x",
        },
        format="json",
    )
    assert r.status_code == 400
    assert "factor_type" in r.json()
    assert AdverseFactor.objects.count() == 0


def test_factor_disclose_flow(staff_api, project):
    r = staff_api.post(
        "/api/v1/risk/factors/",
        {
            "project": "SZ-GG",
            "factor_type": "landfill",
            "description": "金口垃圾填埋场",
            "distance_m": 500,
            "direction": "SE",
            "info_source": "规划局",
        },
        format="json",
    )
    assert r.status_code == 201
    fid = r.json()["id"]
    r = staff_api.post(f"/api/v1/risk/factors/{fid}/disclose/", {"place": "contract_annex", "evidence": ""}, format="json")
    assert r.status_code == 400
    r = staff_api.post(f"/api/v1/risk/factors/{fid}/disclose/", {"place": "contract_annex", "evidence": "附件三"}, format="json")
    assert r.json()["status"] == "disclosed"
    assert r.json()["disclosures"][0]["place"] == "contract_annex"


def test_factor_types_list_has_full_catalogue(staff_api):
    assert len(staff_api.get("/api/v1/risk/factor-types/").json()) == 35


def test_review_answer_finding_and_sign_off_blocked_then_allowed(project, staff, gm):
    client = APIClient()
    client.force_authenticate(staff)
    r = client.post(
        "/api/v1/risk/reviews/",
        {"project": "SZ-GG", "kind": "pre_opening", "scheduled_on": TODAY().isoformat(), "method": "site_check"},
        format="json",
    )
    assert r.status_code == 201
    review_id, items = r.json()["id"], [a["item"] for a in r.json()["answers"]]
    r = client.post(
        f"/api/v1/risk/reviews/{review_id}/answers/{items[0]}/",
        {
            "result": "finding",
            "evidence": "案名与集团内项目重名",
            "finding": {
                "source": "management",
                "customer_view": "marketing",
                "level": "high",
                "deadline": future(),
                "owner": "staff_a",
            },
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["answers"][0]["risk_item"] is not None
    review = Review.objects.get()
    answer_all(review, staff)
    gm_client = APIClient()
    gm_client.force_authenticate(gm)
    r = gm_client.post(f"/api/v1/risk/reviews/{review_id}/sign-off/", {}, format="json")
    assert r.status_code == 409
    assert len(r.json()["reasons"]) == 1
    services.risk_item_close(item=RiskItem.objects.get(), actor=staff, closing_note="已更名")
    r = gm_client.post(f"/api/v1/risk/reviews/{review_id}/sign-off/", {"note": "同意"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == "signed_off"


def test_finding_missing_risk_fields_is_400(staff_api, project, staff):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    item_id = review.answers.first().item_id
    r = staff_api.post(
        f"/api/v1/risk/reviews/{review.pk}/answers/{item_id}/", {"result": "finding", "evidence": "e"}, format="json"
    )
    assert r.status_code == 400
    assert "finding.level" in r.json()
    assert RiskItem.objects.count() == 0


def test_sign_off_without_authority_is_403(staff_api, project, staff):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    assert staff_api.post(f"/api/v1/risk/reviews/{review.pk}/sign-off/", {}, format="json").status_code == 403


def test_api_client_sign_off_is_403(api, project, staff):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    assert api.post(f"/api/v1/risk/reviews/{review.pk}/sign-off/", {}, format="json").status_code == 403


def test_promise_change_needs_written_confirmation(staff_api, project):
    r = staff_api.post(
        "/api/v1/risk/promises/",
        {
            "project": "SZ-GG",
            "source": "sales_staff",
            "wording": "三年内建成地铁站",
            "kano": "performance",
            "due_milestone": "handover",
        },
        format="json",
    )
    assert r.status_code == 201
    pid = r.json()["id"]
    r = staff_api.post(
        f"/api/v1/risk/promises/{pid}/changes/", {"new_wording": "地铁站以政府规划为准", "reason": "规划调整"}, format="json"
    )
    assert r.status_code == 201
    cid = r.json()["id"]
    assert (
        staff_api.post(
            f"/api/v1/risk/promise-changes/{cid}/confirm/",
            {"confirmation_document": "函", "confirmed_on": TODAY().isoformat()},
            format="json",
        ).status_code
        == 409
    )
    assert (
        staff_api.post(f"/api/v1/risk/promise-changes/{cid}/negotiate/", {"note": "业主恳谈"}, format="json").status_code == 200
    )
    r = staff_api.post(f"/api/v1/risk/promise-changes/{cid}/confirm/", {"confirmation_document": ""}, format="json")
    assert r.status_code == 400
    assert SalesPromise.objects.get().wording == "三年内建成地铁站"
    assert PromiseChange.objects.get().status == "negotiating"
    r = staff_api.post(
        f"/api/v1/risk/promise-changes/{cid}/confirm/",
        {"confirmation_document": "补充协议第3条", "confirmed_on": TODAY().isoformat()},
        format="json",
    )
    assert r.status_code == 200
    assert SalesPromise.objects.get().status == "changed"


def test_garbage_body_is_400_not_500(staff_api):
    assert staff_api.post("/api/v1/risk/items/", [1, 2], format="json").status_code == 400
    assert staff_api.post("/api/v1/risk/factors/", "x", content_type="application/json").status_code == 400


def test_schema_documents_risk_endpoints(staff_client):
    r = staff_client.get("/api/schema/")
    assert r.status_code == 200
    text = r.content.decode()
    for path in ("/api/v1/risk/items/", "/api/v1/risk/reviews/{id}/sign-off/", "/api/v1/risk/factors/", "/api/v1/risk/promises/"):
        assert path in text


def test_update_owner_and_deadline_then_follow_up(staff_api, project, staff, manager):
    item = open_item(project, staff)
    r = staff_api.post(f"/api/v1/risk/items/{item.pk}/update/", {"owner": "manager_a", "deadline": future(20)}, format="json")
    assert r.status_code == 200
    assert (r.json()["owner"], r.json()["deadline"]) == ("manager_a", future(20))
    r = staff_api.post(f"/api/v1/risk/items/{item.pk}/follow-up/", {"note": "现场复查,整改过半"}, format="json")
    assert r.status_code == 201
    assert [e["kind"] for e in r.json()["events"]] == ["opened", "updated", "follow_up"]


def test_update_with_past_deadline_is_400(staff_api, project, staff):
    item = open_item(project, staff)
    r = staff_api.post(
        f"/api/v1/risk/items/{item.pk}/update/", {"deadline": (TODAY() - timedelta(days=1)).isoformat()}, format="json"
    )
    assert r.status_code == 400
    item.refresh_from_db()
    assert item.deadline == TODAY() + timedelta(days=10)
