"""A defect found through an owner complaint: created from it, linked, and listed for the complaint page."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from complaints import services as complaint_services
from defects import panels, selectors, services
from defects.models import Defect
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(project, staff):
    unit = UnitFactory(building__project=project, number="3-1502", unit_type="TA")
    return complaint_services.complaint_file(
        actor=staff, project=project, unit=unit, channel="hotline", category="construction_quality",
        title="屋面天窗漏水", description="下雨时天窗上盖进水，地板泡坏。",
    )


def test_defect_from_complaint_takes_its_facts_and_links_to_it(complaint, staff, engineering):
    defect = services.defect_create_from_complaint(actor=staff, complaint=complaint, responsible_department=engineering)
    assert (defect.source, defect.source_complaint, defect.project, defect.title) == ("complaint", complaint, complaint.project, "屋面天窗漏水")
    assert [u.number for u in defect.units.all()] == ["3-1502"]
    assert list(defect.events.values_list("kind", "detail")) == [("created", "业主投诉"), ("complaint_linked", complaint.reference)]


def test_complaint_of_another_project_is_refused(complaint, group_user, other_project):
    with pytest.raises(ValidationError) as exc:
        services.defect_create(actor=group_user, project=other_project, title="x", description="y", source="patrol",
                               found_on=complaint.created_at.date(), source_complaint=complaint)
    assert "source_complaint" in exc.value.message_dict
    assert Defect.objects.count() == 0


def test_complaint_panel_lists_linked_defects_with_status(complaint, staff, rf, django_assert_num_queries):
    services.defect_create_from_complaint(actor=staff, complaint=complaint)
    services.defect_create_from_complaint(actor=staff, complaint=complaint, title="门框倒置")
    request = rf.get("/")
    request.user = staff
    staff._touchstone_project_ids = [complaint.project_id]
    with django_assert_num_queries(1):
        context = panels.complaint_panel_context(request, complaint)
    assert [(d.code, d.status) for d in context["defects"]] == [("SJ01", "reported"), ("SJ02", "reported")]


def test_api_creates_from_complaint(staff_api, complaint, engineering):
    response = staff_api.post("/api/v1/defects/from-complaint/", {"complaint": complaint.pk, "responsible_department": "engineering"},
                              format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["source"], body["source_complaint"], body["source_complaint_reference"]) == ("complaint", complaint.pk, complaint.reference)


def test_api_complaint_outside_scope_is_404(complaint, other_project):
    outsider = APIClient()
    outsider.force_authenticate(UserFactory(projects=[other_project]))
    response = outsider.post("/api/v1/defects/from-complaint/", {"complaint": complaint.pk}, format="json")
    assert response.status_code == 404
    response = outsider.post("/api/v1/defects/", {"project": other_project.code, "title": "x", "description": "y", "source": "complaint",
                                                  "found_on": "2026-05-01", "source_complaint": complaint.pk}, format="json")
    assert response.status_code == 404
    assert Defect.objects.count() == 0


def test_create_page_from_complaint_prefills_and_links(staff_client, complaint, engineering):
    page = staff_client.get(f"/defects/from-complaint/{complaint.pk}/")
    assert page.status_code == 200
    assert page.context["form"].initial["title"] == "屋面天窗漏水"
    response = staff_client.post(f"/defects/from-complaint/{complaint.pk}/", {
        "project": complaint.project.code, "series": "SJ", "title": "屋面天窗漏水", "description": "进水", "source": "complaint",
        "households_affected": 1, "found_on": "2026-05-01", "units": "3-1502", "responsible_department": engineering.pk,
    })
    defect = Defect.objects.get()
    assert (response.status_code, defect.source_complaint) == (302, complaint)
    assert complaint.reference in staff_client.get(f"/defects/{defect.pk}/").content.decode()


def test_create_page_from_complaint_outside_scope_is_404(client, complaint, other_project):
    client.force_login(UserFactory(projects=[other_project]))
    assert client.get(f"/defects/from-complaint/{complaint.pk}/").status_code == 404


def test_defects_for_complaint_hides_other_projects(complaint, staff, other_project):
    services.defect_create_from_complaint(actor=staff, complaint=complaint)
    outsider = UserFactory(projects=[other_project])
    assert selectors.defects_for_complaint(actor=outsider, complaint=complaint) == []
