"""The admin pages of both apps render, and an admin edit goes through the services (events)."""

import pytest

from segments.models import AssignmentRule, SegmentEvent
from tests.factories import UserFactory
from touchpoints.models import SensitivityPoint, TouchpointEvent

pytestmark = pytest.mark.django_db

MODELS = ["touchpoints/touchpoint", "touchpoints/sensitivitypoint", "touchpoints/pointcheck", "touchpoints/followup",
          "touchpoints/customercontact", "touchpoints/touchpointevent", "segments/segment", "segments/assignmentrule",
          "segments/landattribute", "segments/customersegment", "segments/segmentevent", "segments/segmentrecomputerun",
          "segments/parcelassessment"]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True, role="admin"))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelist_renders(admin_client, model):
    assert admin_client.get(f"/admin/{model}/").status_code == 200


def test_admin_point_edit_leaves_an_event(admin_client):
    point = SensitivityPoint.objects.get(code="SAL-02-1")
    data = {"touchpoint": point.touchpoint_id, "code": point.code, "name": point.name, "name_en": point.name_en, "grade": "B",
            "standard": point.standard, "standard_en": point.standard_en, "order": 1, "is_active": "on"}
    response = admin_client.post(f"/admin/touchpoints/sensitivitypoint/{point.pk}/change/", data)
    assert response.status_code == 302
    assert TouchpointEvent.objects.get(kind="point_saved").after["grade"] == "B"


def test_admin_rule_with_impossible_range_is_refused(admin_client):
    rule = AssignmentRule.objects.get(priority=20)
    data = {"segment": rule.segment_id, "priority": 20, "name": rule.name, "child_age_min": 10, "child_age_max": 3,
            "elderly": "unknown", "income_bands": "[]", "age_bands": "[]", "is_active": "on"}
    response = admin_client.post(f"/admin/segments/assignmentrule/{rule.pk}/change/", data)
    assert response.status_code == 200
    rule.refresh_from_db()
    assert (rule.child_age_min, rule.child_age_max) == (0, 17)
    assert not SegmentEvent.objects.filter(kind="rule_saved").exists()
