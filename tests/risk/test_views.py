from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from estates.models import Milestone
from risk import services
from risk.models import ChecklistTemplate, Review, RiskItem
from tests.factories import UserFactory
from tests.risk.factories import answer_all, open_item

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def landfill(project, staff):
    return services.factor_create(
        project=project,
        factor_type="landfill",
        description="金口垃圾填埋场",
        distance_m=500,
        direction="SE",
        info_source="区环卫局规划公示",
        actor=staff,
    )


def test_every_page_renders(staff_client, project, staff):
    item = open_item(project, staff)
    factor = landfill(project, staff)
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    promise = services.promise_register(
        project=project, source="brochure", wording="恒温泳池", kano="excitement", due_milestone="handover", actor=staff
    )
    template = ChecklistTemplate.objects.filter(is_current=True).first()
    urls = [
        "/risk/",
        "/risk/items/",
        f"/risk/items/{item.pk}/",
        f"/risk/projects/{project.code}/",
        f"/risk/projects/{project.code}/items/new/",
        f"/risk/projects/{project.code}/reviews/new/",
        f"/risk/projects/{project.code}/factors/new/",
        f"/risk/projects/{project.code}/promises/new/",
        f"/risk/projects/{project.code}/disclosure/",
        f"/risk/reviews/{review.pk}/",
        f"/risk/factors/{factor.pk}/",
        f"/risk/promises/{promise.pk}/",
        "/risk/templates/",
        f"/risk/templates/{template.pk}/",
        f"/risk/templates/items/{template.items.first().pk}/edit/",
    ]
    for url in urls:
        assert staff_client.get(url).status_code == 200, url


def test_pages_of_other_project_are_404(staff_client, other_project):
    owner = UserFactory(projects=[other_project])
    item = open_item(other_project, owner)
    factor = landfill(other_project, owner)
    review = services.review_create(project=other_project, kind="pre_opening", scheduled_on=TODAY(), actor=owner)
    for url in (
        f"/risk/items/{item.pk}/",
        f"/risk/factors/{factor.pk}/",
        f"/risk/reviews/{review.pk}/",
        f"/risk/projects/{other_project.code}/",
        f"/risk/projects/{other_project.code}/disclosure/",
    ):
        assert staff_client.get(url).status_code == 404, url
    assert staff_client.post(f"/risk/items/{item.pk}/close/", {"closing_note": "x"}).status_code == 404
    assert staff_client.post(f"/risk/projects/{other_project.code}/items/new/", {}).status_code == 404


def test_create_item_with_past_deadline_shows_form_error(staff_client, project):
    r = staff_client.post(
        f"/risk/projects/{project.code}/items/new/",
        {
            "title": "x",
            "level": "high",
            "source": "product",
            "customer_view": "delivery",
            "deadline": (TODAY() - timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 400
    assert RiskItem.objects.count() == 0


def test_close_without_note_is_form_error(staff_client, project, staff):
    item = open_item(project, staff)
    r = staff_client.post(f"/risk/items/{item.pk}/close/", {"closing_note": ""})
    assert r.status_code == 400
    item.refresh_from_db()
    assert item.status == "open"


def test_register_highlights_overdue_rows(staff_client, project, staff):
    item = open_item(project, staff)
    RiskItem.objects.filter(pk=item.pk).update(deadline=TODAY() - timedelta(days=3))
    html = staff_client.get("/risk/items/").content.decode()
    assert 'class="overdue"' in html


@pytest.mark.parametrize("n", [2, 20])
def test_register_page_query_count_is_constant(staff_client, project, staff, n, django_assert_max_num_queries):
    for i in range(n):
        open_item(project, staff, title=f"风险{i}")
    with django_assert_max_num_queries(12):
        assert staff_client.get("/risk/items/").status_code == 200


def test_register_export_is_a_workbook_with_one_row_per_item(staff_client, project, staff):
    open_item(project, staff, title="=HYPERLINK(1)")
    r = staff_client.get("/risk/items/export.xlsx")
    ws = load_workbook(BytesIO(r.content)).active
    assert ws.max_row == 2
    assert ws["B2"].value == "'=HYPERLINK(1)"


def test_disclosure_sheet_xlsx_lists_factors(staff_client, project, staff):
    landfill(project, staff)
    r = staff_client.get(f"/risk/projects/{project.code}/disclosure/?format=xlsx")
    ws = load_workbook(BytesIO(r.content)).active
    assert ws["B2"].value == "垃圾场"
    assert ws["D2"].value == 500


def test_project_page_shows_sales_opening_blocker(staff_client, project, staff):
    landfill(project, staff)
    html = staff_client.get(f"/risk/projects/{project.code}/").content.decode()
    assert 'id="opening-blockers"' in html


def test_estates_project_page_has_risk_panel_with_flagged_deviation(staff_client, project):
    Milestone.objects.create(
        project=project, kind="land", planned_on=TODAY() - timedelta(days=400), actual_on=TODAY() - timedelta(days=400)
    )
    Milestone.objects.create(
        project=project, kind="sales_opening", planned_on=TODAY() - timedelta(days=300), actual_on=TODAY() - timedelta(days=280)
    )
    html = staff_client.get(f"/projects/{project.code}/").content.decode()
    assert "+20.0%" in html
    assert 'badge bad">+20.0%' in html


def test_review_answer_page_flow_and_sign_off_refused_lists_reasons(client, project, staff, gm):
    client.force_login(staff)
    landfill(project, staff)
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    item_id = review.answers.first().item_id
    r = client.post(f"/risk/reviews/{review.pk}/answers/{item_id}/", {f"a{item_id}-result": "ok", f"a{item_id}-evidence": ""})
    assert r.status_code == 400
    r = client.post(
        f"/risk/reviews/{review.pk}/answers/{item_id}/", {f"a{item_id}-result": "ok", f"a{item_id}-evidence": "商标查询回执"}
    )
    assert r.status_code == 302
    answer_all(review, staff)
    client.force_login(gm)
    r = client.post(f"/risk/reviews/{review.pk}/sign-off/", {"note": ""})
    assert r.status_code == 409
    assert "垃圾场 500 m" in r.content.decode()
    assert Review.objects.get().status == "open"


def test_sign_off_page_by_staff_is_403(staff_client, project, staff):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    assert staff_client.post(f"/risk/reviews/{review.pk}/sign-off/", {}).status_code == 403
    assert Review.objects.get().status == "open"


def test_promise_confirm_without_document_is_form_error(staff_client, project, staff):
    p = services.promise_register(
        project=project, source="brochure", wording="恒温泳池", kano="excitement", due_milestone="handover", actor=staff
    )
    change = services.promise_change_propose(promise=p, new_wording="室外泳池", reason="r", actor=staff)
    services.promise_change_negotiate(change=change, note="n", actor=staff)
    r = staff_client.post(f"/risk/promises/{p.pk}/confirm/", {"confirmation_document": "", "confirmed_on": TODAY().isoformat()})
    assert r.status_code == 400
    p.refresh_from_db()
    assert p.wording == "恒温泳池"


def test_new_review_from_project_page(staff_client, project):
    r = staff_client.post(
        f"/risk/projects/{project.code}/reviews/new/",
        {"kind": "pre_delivery", "scheduled_on": TODAY().isoformat(), "method": "site_check"},
    )
    assert r.status_code == 302
    assert Review.objects.get().answers.count() == 4


def test_index_summary(staff_client, project, staff):
    open_item(project, staff, level="high")
    html = staff_client.get("/risk/").content.decode()
    assert 'badge level-high">1' in html


def test_timeline_shows_status_labels_not_codes(staff_client, project, staff):
    item = open_item(project, staff)
    services.risk_item_close(item=item, actor=staff, closing_note="已整改")
    html = staff_client.get(f"/risk/items/{item.pk}/").content.decode()
    assert "未关闭 → 已关闭" in html


@pytest.mark.parametrize("extra_items", [0, 10])
def test_review_page_query_count_does_not_grow_with_items(
    staff_client, project, staff, manager, extra_items, django_assert_max_num_queries
):
    from risk.models import ChecklistItem
    from tests.risk.factories import dept

    template = ChecklistTemplate.objects.get(kind="pre_opening", is_current=True)
    template = services.checklist_template_new_version(template=template, actor=manager)
    for n in range(extra_items):
        item = ChecklistItem.objects.create(template=template, order=100 + n, name=f"附加{n}", lead_department=dept("legal"))
        item.participating_departments.set([dept("marketing")])
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    with django_assert_max_num_queries(14):
        assert staff_client.get(f"/risk/reviews/{review.pk}/").status_code == 200


def test_finding_from_review_page_gives_the_item_an_owner(staff_client, project, staff, manager):
    review = services.review_create(project=project, kind="pre_delivery", scheduled_on=TODAY(), actor=staff)
    item_id = review.answers.first().item_id
    p = f"a{item_id}-"
    r = staff_client.post(
        f"/risk/reviews/{review.pk}/answers/{item_id}/",
        {
            p + "result": "finding",
            p + "evidence": "燃气未通",
            p + "title": "燃气未通气",
            p + "level": "high",
            p + "source": "external",
            p + "customer_view": "delivery",
            p + "owner": str(manager.pk),
            p + "deadline": (TODAY() + timedelta(days=5)).isoformat(),
        },
    )
    assert r.status_code == 302
    item = RiskItem.objects.get()
    assert (item.owner, item.level, item.title) == (manager, "high", "燃气未通气")


def test_finding_with_unknown_owner_is_form_error(staff_client, project, staff, other_project):
    stranger = UserFactory(projects=[other_project])
    review = services.review_create(project=project, kind="pre_delivery", scheduled_on=TODAY(), actor=staff)
    item_id = review.answers.first().item_id
    p = f"a{item_id}-"
    r = staff_client.post(
        f"/risk/reviews/{review.pk}/answers/{item_id}/",
        {
            p + "result": "finding",
            p + "evidence": "e",
            p + "level": "high",
            p + "source": "external",
            p + "customer_view": "delivery",
            p + "owner": str(stranger.pk),
            p + "deadline": (TODAY() + timedelta(days=5)).isoformat(),
        },
    )
    assert r.status_code == 400
    assert RiskItem.objects.count() == 0
