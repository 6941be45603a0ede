"""The must-show flows in a real browser (Debian chromium), with screenshots under var/screenshots/risk-*.png."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from estates.models import Milestone, Role
from risk import services
from risk.models import Review
from tests.browser_support import SCREENSHOTS, shot
from tests.factories import ProjectFactory, UserFactory
from tests.risk.factories import answer_all, dept, gm_for

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-Touchstone-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_landfill_factor_blocks_pre_opening_sign_off_until_disclosed(browser_page, live_server, risk_catalogue):
    today = timezone.localdate()
    project = ProjectFactory(code="WH-SJHC", name="四季花城", city="武汉", stage="sales")
    for kind, planned, actual in (
        ("land", -700, -700),
        ("design", -560, -540),
        ("construction_start", -400, -330),
        ("sales_opening", 30, None),
    ):
        Milestone.objects.create(
            project=project,
            kind=kind,
            planned_on=today + timedelta(days=planned),
            actual_on=None if actual is None else today + timedelta(days=actual),
        )
    staff = UserFactory(
        username="li", first_name="李客服", role=Role.CR_STAFF, department=dept("customer_relations"), projects=[project]
    )
    gm_for(project)
    factor = services.factor_create(
        project=project,
        factor_type="landfill",
        description="金口垃圾填埋场,夏季东南风时有异味",
        distance_m=500,
        direction="SE",
        info_source="区环卫局规划公示",
        actor=staff,
    )
    review = services.review_create(
        project=project,
        kind="pre_opening",
        scheduled_on=today,
        actor=staff,
        method="site_check",
        participants="客户关系中心、营销部、项目开发部、法务部",
    )
    page = browser_page
    page.set_viewport_size({"width": 1024, "height": 1366})  # a tablet at a site check
    login(page, live_server, "li")

    # Answer the first item on the tablet page: tap OK, write the evidence, save.
    page.goto(f"{live_server.url}/risk/reviews/{review.pk}/")
    first = review.answers.order_by("item__order").first().item_id
    page.click(f"#item-{first} label.choice-ok")
    page.fill(f"#id_a{first}-evidence", "商标查询回执 2026-11-20")
    page.click(f"#item-{first} button[type=submit]")
    page.wait_for_load_state()
    assert "商标查询回执" in page.content()
    # A finding on item 3 opens a risk item.
    third = review.answers.order_by("item__order")[2].item_id
    page.click(f"#item-{third} label.choice-finding")
    page.fill(f"#id_a{third}-evidence", "楼书第12页周边环境图未标注垃圾填埋场")
    page.fill(f"#id_a{third}-title", "周边环境示意图未标注垃圾填埋场")
    page.select_option(f"#id_a{third}-level", "medium")
    page.select_option(f"#id_a{third}-source", "external")
    page.fill(f"#id_a{third}-deadline", (today + timedelta(days=10)).isoformat())
    page.locator(f"#item-{third}").screenshot(path=str(SCREENSHOTS / "risk-review-finding-tablet.png"))
    page.click(f"#item-{third} button[type=submit]")
    page.wait_for_load_state()
    shot(page, "risk-review-tablet")
    answer_all(Review.objects.get(pk=review.pk), staff)

    login(page, live_server, f"gm_{project.code}")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/risk/reviews/{review.pk}/#sign-off")
    page.click("#sign-off button[type=submit]")
    page.wait_for_load_state()
    blockers = page.locator(".blockers").inner_text()
    assert "垃圾场 500 m" in blockers
    assert Review.objects.get(pk=review.pk).status == "open"
    shot(page, "risk-signoff-refused-landfill")
    page.locator("#sign-off").screenshot(path=str(SCREENSHOTS / "risk-signoff-refused-landfill-detail.png"))

    page.goto(f"{live_server.url}/risk/projects/{project.code}/")
    assert page.locator("#opening-blockers").is_visible()
    shot(page, "risk-project-landfill")

    # Disclose it with evidence, as staff at the sales office.
    page.goto(f"{live_server.url}/risk/factors/{factor.pk}/")
    page.select_option("#id_place", "showroom_board")
    page.fill("#id_evidence", "售楼处公示板照片 IMG_2031,公示于2026-11-23")
    page.click("form.tablet-form button[type=submit]")
    page.wait_for_load_state()
    shot(page, "risk-factor-disclosed")
    page.goto(f"{live_server.url}/risk/projects/{project.code}/disclosure/")
    shot(page, "risk-disclosure-sheet")

    page.goto(f"{live_server.url}/risk/reviews/{review.pk}/")
    page.fill("#id_note", "不利因素已公示,同意开盘")
    page.click("#sign-off button[type=submit]")
    page.wait_for_load_state()
    assert Review.objects.get(pk=review.pk).status == "signed_off"
    shot(page, "risk-signoff-done")
    page.goto(f"{live_server.url}/projects/{project.code}/")
    shot(page, "risk-estates-project-panel")
    assert [e for e in page.console_errors if "409 (Conflict)" not in e] == []  # the refusal page answers 409


def test_broken_promise_blocks_pre_delivery_sign_off(browser_page, live_server, risk_catalogue):
    today = timezone.localdate()
    project = ProjectFactory(code="SZ-GG", name="深圳光谷花园", city="深圳", stage="delivery")
    staff = UserFactory(username="li", role=Role.CR_STAFF, projects=[project])
    gm_for(project)
    promise = services.promise_register(
        project=project, source="brochure", wording="小区会所设恒温泳池", kano="excitement", due_milestone="handover", actor=staff
    )
    services.promise_verify(promise=promise, result="broken", note="交付前检查:会所泳池未施工", actor=staff)
    review = services.review_create(project=project, kind="pre_delivery", scheduled_on=today, actor=staff)
    answer_all(review, staff)
    page = browser_page
    login(page, live_server, f"gm_{project.code}")
    page.goto(f"{live_server.url}/risk/reviews/{review.pk}/")
    page.click("#sign-off button[type=submit]")
    page.wait_for_load_state()
    assert "小区会所设恒温泳池" in page.locator(".blockers").inner_text()
    shot(page, "risk-signoff-refused-promise")
    page.locator("#sign-off").screenshot(path=str(SCREENSHOTS / "risk-signoff-refused-promise-detail.png"))
    page.goto(f"{live_server.url}/risk/promises/{promise.pk}/")
    shot(page, "risk-promise-broken")
    assert Review.objects.get(pk=review.pk).status == "open"
