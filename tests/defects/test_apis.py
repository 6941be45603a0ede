from datetime import date

import pytest
from rest_framework.test import APIClient

from defects import services
from defects.models import Defect
from tests.factories import UnitFactory, UserFactory

from .conftest import FEASIBLE

pytestmark = pytest.mark.django_db

BODY = {
    "project": "SZ-GG", "title": "屋面天窗渗水", "description": "TA户型屋面天窗上盖进水", "source": "warranty",
    "found_on": "2026-05-01", "unit_types": "TA", "households_affected": 56, "responsible_department": "engineering",
}


def test_api_client_creates_a_defect_with_the_next_code(api, project, engineering):
    UnitFactory(building__project=project, number="3-1502")
    response = api.post("/api/v1/defects/", {**BODY, "units": ["3-1502"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["project"], body["status"], body["units"]) == ("SJ01", "SZ-GG", "reported", ["3-1502"])
    assert [e["kind"] for e in body["events"]] == ["created"]


def test_create_naming_a_project_outside_scope_is_403(api, other_project, engineering):
    response = api.post("/api/v1/defects/", {**BODY, "project": other_project.code}, format="json")
    assert response.status_code == 403
    assert Defect.objects.count() == 0


def test_staff_api_create_outside_scope_is_403_too(staff_api, other_project, engineering):
    response = staff_api.post("/api/v1/defects/", {**BODY, "project": other_project.code}, format="json")
    assert response.status_code == 403
    assert Defect.objects.count() == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"source": "rumour"}, "source"),
    ({"title": ""}, "title"),
    ({"found_on": "not a date"}, "found_on"),
    ({"households_affected": -1}, "households_affected"),
    ({"units": ["9-9999"]}, "units"),
    ({"due_on": "2026-04-01"}, "due_on"),
    ({"series": "sj"}, "series"),
    ({"responsible_department": "nope"}, "responsible_department"),
])
def test_bad_input_is_400_and_writes_nothing(api, project, engineering, change, field):
    response = api.post("/api/v1/defects/", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Defect.objects.count() == 0


def test_detail_of_another_project_is_404(api, make_defect, other_project, group_user):
    foreign = make_defect(actor=group_user, project=other_project, owner=None)
    assert api.get(f"/api/v1/defects/{foreign.pk}/").status_code == 404
    assert api.post(f"/api/v1/defects/{foreign.pk}/submit/").status_code == 404


def test_workflow_action_not_allowed_now_is_409(staff_api, make_defect):
    defect = make_defect()
    response = staff_api.post(f"/api/v1/defects/{defect.pk}/verify/", {}, format="json")
    assert response.status_code == 409
    assert "detail" in response.json()
    defect.refresh_from_db()
    assert defect.status == "reported"


def test_a_path_through_the_api(staff_api, graded, eng_staff, staff):
    defect = graded("A")
    eng = APIClient()
    eng.force_authenticate(eng_staff)
    assert eng.post(f"/api/v1/defects/{defect.pk}/draft-measures/", {"measures": "更换", "prevention": "避免木材"}, format="json").status_code == 200
    assert eng.post(f"/api/v1/defects/{defect.pk}/complete/", {}, format="json").status_code == 200
    assert eng.post(f"/api/v1/defects/{defect.pk}/accept/", {}, format="json").status_code == 200
    rejected = staff_api.post(f"/api/v1/defects/{defect.pk}/reject/", {"reason": "仍渗水"}, format="json")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rectifying")
    eng.post(f"/api/v1/defects/{defect.pk}/complete/", {}, format="json")
    eng.post(f"/api/v1/defects/{defect.pk}/accept/", {}, format="json")
    assert staff_api.post(f"/api/v1/defects/{defect.pk}/verify/", {}, format="json").status_code == 200
    closed = staff_api.post(f"/api/v1/defects/{defect.pk}/record-cost/", {"cost": "1200.50"}, format="json")
    assert (closed.json()["status"], closed.json()["actual_cost"], closed.json()["handbook_entry"] is not None) == ("closed", "1200.50", True)


def test_reject_without_reason_is_400(staff_api, make_defect):
    defect = make_defect()
    response = staff_api.post(f"/api/v1/defects/{defect.pk}/reject/", {}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["reason"])


def test_list_filters(staff_api, make_defect, graded, design_dept):
    graded("A", due_on=date(2026, 6, 1))
    make_defect(source="handover", responsible_department=design_dept, owner=None)
    def codes(query):
        return [d["code"] for d in staff_api.get(f"/api/v1/defects/?{query}").json()["results"]]
    assert codes("grade=A") == ["SJ01"]
    assert codes("source=handover") == ["SJ02"]
    assert codes("department=wanchuang") == ["SJ02"]
    assert codes("status=graded") == ["SJ01"]
    assert codes("overdue=true") == ["SJ01"]
    assert codes("overdue=false") == ["SJ02"]
    assert codes("project=SZ-GG&ordering=code") == ["SJ01", "SJ02"]
    assert codes("project=BJ-XY") == []


def test_list_refuses_unknown_filter_values(staff_api):
    assert staff_api.get("/api/v1/defects/?grade=C").status_code == 400
    assert staff_api.get("/api/v1/defects/?status=lost").status_code == 400


def test_list_hides_other_projects(api, make_defect, other_project, group_user):
    make_defect(actor=group_user, project=other_project, owner=None)
    assert api.get("/api/v1/defects/").json()["count"] == 0


def test_list_query_count_is_constant(staff_api, make_defect, skylight_tags, django_assert_max_num_queries):
    for _ in range(2):
        make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(8) as small:
        assert staff_api.get("/api/v1/defects/").status_code == 200
    for _ in range(18):
        make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert staff_api.get("/api/v1/defects/").json()["count"] == 20


def test_handbook_list_searches_chinese_and_filters_by_tag(staff_api, graded, eng_staff, skylight_tags):
    defect = graded("B", tags=skylight_tags)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="天窗应避免用木材")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    assert staff_api.get("/api/v1/defects/handbook/?search=木材").json()["count"] == 1
    assert staff_api.get("/api/v1/defects/handbook/?search=外墙").json()["count"] == 0
    assert staff_api.get(f"/api/v1/defects/handbook/?tag={skylight_tags[0].pk}").json()["count"] == 1
    assert staff_api.get("/api/v1/defects/handbook/?grade=A").json()["count"] == 0
    assert staff_api.get("/api/v1/defects/handbook/?grade=X").status_code == 400


def test_handbook_list_query_count_is_constant(staff_api, staff, project, skylight_tags, django_assert_max_num_queries):
    from defects.models import HandbookEntry

    def add(n):
        for _i in range(n):
            e = HandbookEntry.objects.create(code=f"HB{HandbookEntry.objects.count() + 1}", title="t", project=project, grade="A",
                                             problem="p", prevention="v", found_on=date(2026, 1, 1))
            e.tags.set(skylight_tags)
    add(2)
    with django_assert_max_num_queries(6) as small:
        staff_api.get("/api/v1/defects/handbook/")
    add(18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert staff_api.get("/api/v1/defects/handbook/").json()["count"] == 20


def test_summary_endpoint(staff_api, graded, make_defect):
    graded("A", due_on=date(2026, 6, 1))
    make_defect()
    body = staff_api.get("/api/v1/defects/summary/?project=SZ-GG").json()
    assert (body["total"], body["overdue"], body["by_grade"]) == (2, 1, {"A": 1, "B": 0, "ungraded": 1})
    assert staff_api.get("/api/v1/defects/summary/?project=BJ-XY").status_code == 404


def test_schema_documents_the_endpoints(staff_api):
    UserFactory(username="x")
    response = staff_api.get("/api/schema/?format=json")
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(response.content)["paths"]
    for path in ("/api/v1/defects/", "/api/v1/defects/{id}/", "/api/v1/defects/{id}/verify/", "/api/v1/defects/handbook/"):
        assert path in paths
    assert "409" in paths["/api/v1/defects/{id}/verify/"]["post"]["responses"]


def test_meeting_via_service_then_detail_shows_grade(staff_api, make_defect, staff, project, eng_head):
    defect = make_defect()
    services.meeting_record(actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff, eng_head], minutes="纪要",
                            decisions=[services.DecisionInput(defect=defect, grade="B", construction_capacity=FEASIBLE,
                                                              technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)])
    assert staff_api.get(f"/api/v1/defects/{defect.pk}/").json()["grade"] == "B"


def test_owner_must_work_on_the_project(api, project, other_project, engineering):
    UserFactory(username="elsewhere", projects=[other_project])
    response = api.post("/api/v1/defects/", {**BODY, "owner": "elsewhere"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["owner"])
    assert Defect.objects.count() == 0


def test_owner_on_the_project_is_accepted(api, project, eng_staff, engineering):
    response = api.post("/api/v1/defects/", {**BODY, "owner": "eng_staff"}, format="json")
    assert (response.status_code, response.json()["owner"]) == (201, "eng_staff")


def test_handbook_is_company_wide_for_staff_but_scoped_for_api_clients(api, graded, eng_staff, other_project, skylight_tags):
    defect = graded("B", tags=skylight_tags)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="预防")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    outsider = APIClient()
    outsider.force_authenticate(UserFactory(projects=[other_project]))
    assert outsider.get("/api/v1/defects/handbook/").json()["count"] == 1
    from tests.factories import api_client_with_key

    _client, key = api_client_with_key(project_codes=[other_project.code])
    foreign_api = APIClient()
    foreign_api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert foreign_api.get("/api/v1/defects/handbook/").json()["count"] == 0
    assert api.get("/api/v1/defects/handbook/").json()["count"] == 1


def test_unknown_ordering_keys_change_nothing(staff_api, make_defect):
    make_defect()
    make_defect()
    plain = [d["id"] for d in staff_api.get("/api/v1/defects/").json()["results"]]
    hostile = staff_api.get("/api/v1/defects/?ordering=owner__password")
    assert (hostile.status_code, [d["id"] for d in hostile.json()["results"]]) == (200, plain)
    assert [d["code"] for d in staff_api.get("/api/v1/defects/?ordering=code,owner__password").json()["results"]] == ["SJ01", "SJ02"]
