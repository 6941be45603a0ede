import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments import selectors, services
from segments.fixtures.seed import TIANJIN_PARCEL
from segments.models import AssignmentRule, CustomerSegment, ParcelAssessment, SegmentRecomputeRun
from tests.segments.conftest import buyer_in

pytestmark = pytest.mark.django_db


def test_index_shows_profiles_shares_and_chart_data_with_the_seed_reference(staff_client, project):
    for band in ("high", "low", "low"):
        services.customer_segments_recompute(customer_ids=[buyer_in(project, income_band=band).pk])
    response = staff_client.get("/segments/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "望子成龙" in html
    assert "有0–17岁孩子的家庭" in html
    data = json.loads(re.search(r'id="segment-chart-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert data["reference"] == [None, None, 9.0, 25.0, 29.0]
    assert data["shares"] == [0, 0, 33.3, 66.7, 0]


def test_index_of_a_project_outside_scope_is_404(staff_client, other_project):
    assert staff_client.get("/segments/", {"project": "BJ-XY"}).status_code == 404


def test_index_runs_the_same_queries_for_2_and_20_customers(staff_client, project):
    for _ in range(2):
        services.customer_segments_recompute(customer_ids=[buyer_in(project).pk])
    staff_client.get("/segments/")
    with CaptureQueriesContext(connection) as two:
        staff_client.get("/segments/")
    services.customer_segments_recompute(customer_ids=[buyer_in(project, income_band="low").pk for _ in range(18)])
    with CaptureQueriesContext(connection) as twenty:
        staff_client.get("/segments/")
    assert len(twenty.captured_queries) == len(two.captured_queries)


def test_segment_shares_selector_counts_in_scope(project, other_project, staff):
    ids = [buyer_in(project, income_band="high").pk, buyer_in(project).pk, buyer_in(other_project, income_band="high").pk]
    services.customer_segments_recompute(customer_ids=ids)
    shares = selectors.segment_shares(actor=staff)
    counts = {r["code"]: r["count"] for r in shares["rows"]}
    assert (shares["total"], counts["affluent"], counts["young_professional"]) == (2, 1, 1)


def test_segment_of_customers_maps_ids_to_segments(project):
    a, b = buyer_in(project, income_band="high"), buyer_in(project)
    services.customer_segments_recompute(customer_ids=[a.pk])
    assert {k: v.code for k, v in selectors.segment_of_customers([a.pk, b.pk]).items()} == {a.pk: "affluent"}


def test_customer_page_shows_segment_and_override_form_for_managers(manager_client, buyer):
    services.customer_segments_recompute(customer_ids=[buyer.pk])
    html = manager_client.get(f"/customers/{buyer.pk}/").content.decode()
    assert 'id="segment"' in html
    assert "望子成龙" in html
    assert 'name="reason"' in html


def test_staff_sees_the_segment_without_the_override_form(staff_client, buyer):
    html = staff_client.get(f"/customers/{buyer.pk}/").content.decode()
    assert 'id="segment"' in html
    assert 'name="reason"' not in html


def test_manager_overrides_in_the_page(manager_client, buyer, manager):
    from segments.models import Segment

    response = manager_client.post(
        f"/segments/customers/{buyer.pk}/override/", {"segment": Segment.objects.get(code="affluent").pk, "reason": "高净值客户"}
    )
    assert response.status_code == 302
    row = CustomerSegment.objects.get(customer=buyer)
    assert (row.segment.code, row.overridden_by) == ("affluent", manager)


def test_override_of_a_customer_outside_scope_is_404(manager_client, other_buyer):
    assert manager_client.post(f"/segments/customers/{other_buyer.pk}/override/", {"reason": "x"}).status_code == 404


def test_rule_form_refuses_an_impossible_range(group_client):
    data = {"priority": 99, "segment": 1, "name": "x", "child_age_min": 12, "child_age_max": 5, "elderly": "unknown"}
    response = group_client.post("/segments/rules/new/", data)
    assert response.status_code == 400
    assert "no child could match" in response.content.decode() or "没有孩子" in response.content.decode()
    assert not AssignmentRule.objects.filter(priority=99).exists()


def test_rule_form_saves_a_rule(group_client):
    from segments.models import Segment

    data = {
        "priority": 99,
        "segment": Segment.objects.get(code="pragmatic").pk,
        "name": "大家庭",
        "household_size_min": 5,
        "elderly": "unknown",
        "income_bands": ["low", "mid"],
        "is_active": "on",
    }
    assert group_client.post("/segments/rules/new/", data).status_code == 302
    rule = AssignmentRule.objects.get(priority=99)
    assert (rule.income_bands, rule.elderly, rule.household_size_min) == (["low", "mid"], None, 5)


def test_staff_cannot_edit_rules(staff_client):
    assert staff_client.get("/segments/rules/new/").status_code == 403


def test_recompute_button_queues_one_run_and_the_page_shows_progress(manager_client, project):
    buyer_in(project)
    manager_client.post("/segments/recompute/")
    manager_client.post("/segments/recompute/")
    assert SegmentRecomputeRun.objects.count() == 1
    html = manager_client.get("/segments/rules/").content.decode()
    assert 'id="runs"' in html
    assert "<meter" in html
    assert 'http-equiv="refresh"' in html


def test_parcel_form_scores_the_tianjin_parcel(staff_client, project):
    from segments.models import LandAttribute

    data = {"project": project.pk, "name": "天津河西地块", "attributes": TIANJIN_PARCEL}
    response = staff_client.post("/segments/parcels/", data)
    parcel = ParcelAssessment.objects.get()
    assert response.status_code == 302
    assert parcel.best_segment.code == "young_professional"
    html = staff_client.get(f"/segments/parcels/{parcel.pk}/").content.decode()
    assert html.index('data-segment="young_professional"') < html.index('data-segment="pragmatic"')
    assert LandAttribute.objects.get(code="near_offices").name in html


def test_parcel_form_with_unknown_attribute_writes_nothing(staff_client, project):
    response = staff_client.post("/segments/parcels/", {"project": project.pk, "name": "x", "attributes": ["near_casino"]})
    assert response.status_code == 400
    assert ParcelAssessment.objects.count() == 0


def test_parcel_page_shows_the_land_checklists(staff_client):
    html = staff_client.get("/segments/parcels/").content.decode()
    assert "靠近写字楼、金融机构集中的区域" in html
    assert 'class="w3"' in html


def test_segments_page_in_english_shows_english_profiles(staff_client):
    from django.conf import settings

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = staff_client.get("/segments/").content.decode()
    assert "Education-first families" in html
    assert "Families with children aged 0–17" in html


def test_override_page_shows_the_form_to_managers(manager_client, buyer):
    assert 'name="reason"' in manager_client.get(f"/segments/customers/{buyer.pk}/override/").content.decode()


def test_override_page_shows_staff_the_segment_without_the_form(staff_client, buyer):
    response = staff_client.get(f"/segments/customers/{buyer.pk}/override/")
    assert response.status_code == 200
    assert 'name="reason"' not in response.content.decode()
