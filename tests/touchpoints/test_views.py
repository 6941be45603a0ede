import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from touchpoints import services
from touchpoints.models import CustomerContact, PointCheck, SensitivityPoint, TouchpointEvent

pytestmark = pytest.mark.django_db


def test_catalogue_page_shows_counts_and_grade_badges(staff_client, project):
    response = staff_client.get("/touchpoints/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="catalogue-counts"' in html
    assert '<span class="badge grade-A">A</span>' in html
    assert "项目所在区域" in html
    assert "居住" in html


def test_catalogue_page_filters_by_stage(staff_client):
    html = staff_client.get("/touchpoints/", {"stage": "investment"}).content.decode()
    assert "规划条件" in html
    assert "电梯安全" not in html


def test_catalogue_page_with_unknown_grade_is_a_400_with_an_error(staff_client):
    response = staff_client.get("/touchpoints/", {"grade": "Z"})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()


def test_staff_cannot_open_the_point_editor(staff_client):
    assert staff_client.get("/touchpoints/catalogue/points/edit/?code=SAL-02-1").status_code == 403


def test_group_centre_edits_a_point_in_the_page(group_client):
    point = SensitivityPoint.objects.get(code="SAL-02-1")
    data = {
        "code": point.code,
        "name": point.name,
        "name_en": point.name_en,
        "grade": "B",
        "standard": "新标准",
        "standard_en": "",
        "order": 1,
        "is_active": "on",
    }
    response = group_client.post("/touchpoints/catalogue/points/edit/?code=SAL-02-1", data)
    assert response.status_code == 302
    point.refresh_from_db()
    assert (point.grade, point.standard) == ("B", "新标准")


def test_group_centre_cannot_save_an_unknown_grade(group_client):
    point = SensitivityPoint.objects.get(code="SAL-02-1")
    data = {"code": point.code, "name": point.name, "grade": "D", "standard": "x", "order": 1}
    response = group_client.post("/touchpoints/catalogue/points/edit/?code=SAL-02-1", data)
    assert response.status_code == 400
    point.refresh_from_db()
    assert point.grade == "A"


def test_group_centre_adds_a_point_to_a_touchpoint(group_client):
    data = {
        "code": "SAL-01-9",
        "name": "停车引导",
        "name_en": "Parking guidance",
        "grade": "C",
        "standard": "有人引导",
        "order": 9,
    }
    assert group_client.post("/touchpoints/catalogue/points/new/?touchpoint=SAL-01", data).status_code == 302
    assert SensitivityPoint.objects.get(code="SAL-01-9").touchpoint.code == "SAL-01"


def test_project_checks_page_shows_the_current_stage_and_coverage(staff_client, project):
    response = staff_client.get("/touchpoints/projects/SZ-GG/checks/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "SAL-02-1" in html
    assert 'data-grade="A"' in html
    assert "INV-01-1" not in html


def test_project_checks_page_of_another_project_is_404(staff_client, other_project):
    assert staff_client.get("/touchpoints/projects/BJ-XY/checks/").status_code == 404


def test_unknown_stage_on_the_checks_page_is_a_400(staff_client, project):
    assert staff_client.get("/touchpoints/projects/SZ-GG/checks/", {"stage": "x"}).status_code == 400


def test_answering_in_the_page_records_the_check(staff_client, project, staff):
    response = staff_client.post(
        "/touchpoints/projects/SZ-GG/checks/", {"point": "SAL-02-1", "status": "issue", "evidence": "楼书夸大"}
    )
    assert response.status_code == 302
    check = PointCheck.objects.get()
    assert (check.status, check.checked_by, check.follow_up.status) == ("issue", staff, "open")


def test_answering_without_evidence_shows_an_error_and_writes_nothing(staff_client, project):
    response = staff_client.post("/touchpoints/projects/SZ-GG/checks/", {"point": "SAL-02-1", "status": "met", "evidence": ""})
    assert response.status_code == 400
    assert (PointCheck.objects.count(), TouchpointEvent.objects.count()) == (0, 0)


def test_answering_an_unknown_point_writes_nothing(staff_client, project):
    response = staff_client.post("/touchpoints/projects/SZ-GG/checks/", {"point": "NOPE", "status": "met", "evidence": "x"})
    assert response.status_code == 400
    assert PointCheck.objects.count() == 0


def test_checks_page_runs_the_same_queries_with_2_and_20_answers(staff_client, project, staff):
    # Grade A first, so that the first two answers already include an issue with its risk item.
    points = list(SensitivityPoint.objects.filter(touchpoint__stage="sales").order_by("grade", "code"))
    for p in points[:2]:
        services.point_check_record(actor=staff, project=project, point=p, status="issue", evidence="x")
    staff_client.get("/touchpoints/projects/SZ-GG/checks/")
    with CaptureQueriesContext(connection) as two:
        staff_client.get("/touchpoints/projects/SZ-GG/checks/")
    for p in points[2:]:
        services.point_check_record(
            actor=staff, project=project, point=p, status="issue" if p.grade == "A" else "met", evidence="y"
        )
    with CaptureQueriesContext(connection) as many:
        staff_client.get("/touchpoints/projects/SZ-GG/checks/")
    assert len(points) >= 12
    assert len(many.captured_queries) == len(two.captured_queries)


def test_customer_page_shows_the_contact_timeline(staff_client, project, staff, buyer):
    services.contact_log(
        actor=staff,
        customer=buyer,
        project=project,
        channel="wechat",
        direction="inbound",
        summary="<b>咨询</b>交付时间",
        sentiment="neutral",
    )
    html = staff_client.get(f"/customers/{buyer.pk}/").content.decode()
    assert 'id="contact-timeline"' in html
    assert "&lt;b&gt;咨询&lt;/b&gt;交付时间" in html


def test_staff_logs_a_contact_in_the_form(staff_client, project, staff, buyer):
    data = {"project": project.pk, "channel": "phone", "direction": "outbound", "sentiment": "positive", "summary": "回访"}
    response = staff_client.post(f"/touchpoints/customers/{buyer.pk}/contacts/new/", data)
    assert response.status_code == 302
    assert CustomerContact.objects.get().staff == staff


def test_contact_form_for_a_customer_outside_scope_is_404(staff_client, other_buyer):
    assert staff_client.get(f"/touchpoints/customers/{other_buyer.pk}/contacts/new/").status_code == 404


def test_contact_form_without_summary_writes_nothing(staff_client, project, buyer):
    data = {"project": project.pk, "channel": "phone", "direction": "outbound", "sentiment": "positive", "summary": ""}
    assert staff_client.post(f"/touchpoints/customers/{buyer.pk}/contacts/new/", data).status_code == 400
    assert CustomerContact.objects.count() == 0


def test_project_page_shows_the_coverage_panel(staff_client, project):
    html = staff_client.get("/projects/SZ-GG/").content.decode()
    assert 'id="touchpoint-coverage"' in html


def test_catalogue_page_in_english_shows_the_english_names(staff_client):
    from django.conf import settings

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = staff_client.get("/touchpoints/", {"stage": "investment"}).content.decode()
    assert "Location and region" in html
    assert "Investment" in html
    assert "Safety and adverse factors outside the site boundary" in html


def test_checks_page_links_the_follow_up_to_its_risk_item(staff_client, project, staff):
    from risk.models import RiskItem

    point = SensitivityPoint.objects.get(code="SAL-02-1")
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="x")
    item = RiskItem.objects.get()
    html = staff_client.get("/touchpoints/projects/SZ-GG/checks/").content.decode()
    assert f'href="/risk/items/{item.pk}/"' in html


def test_closing_a_follow_up_asks_first_then_closes(staff_client, project, staff):
    from touchpoints.models import FollowUp

    services.point_check_record(
        actor=staff, project=project, point=SensitivityPoint.objects.get(code="SAL-02-1"), status="issue", evidence="x"
    )
    follow_up = FollowUp.objects.get()
    assert staff_client.get(f"/touchpoints/follow-ups/{follow_up.pk}/close/").status_code == 200
    assert staff_client.post(f"/touchpoints/follow-ups/{follow_up.pk}/close/", {"note": "已处理"}).status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == "closed"


def test_editing_a_touchpoint_without_a_code_is_404(group_client):
    assert group_client.get("/touchpoints/catalogue/edit/").status_code == 404
