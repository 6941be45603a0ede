"""An owner answers on a phone in headless Chromium; the results page then shows the answer."""

import os

import pytest
from django.utils import timezone

from estates.models import Role
from satisfaction import services
from satisfaction.models import FollowUp, Invitation, Response
from tests.browser_support import SCREENSHOTS
from tests.factories import UserFactory

from .conftest import handover_for, make_contract

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_url(live_server):
    return live_server.url


def test_owner_answers_on_a_phone_and_the_scores_update(chromium, live_url, seeded, project):
    UserFactory(username="li", role=Role.CR_STAFF, projects=[project], first_name="李客服")
    contract = make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    invitation = Invitation.objects.get(contract=contract, wave__code="handover-3m")
    url = f"{live_url}/satisfaction/s/{services.token_for(invitation)}/"

    phone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = phone.new_page()
    errors, broken = [], []
    # CSP violations and script errors show as console errors; a refused form is an expected 400.
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "Failed to load resource" not in msg.text else None,
    )
    page.on(
        "response", lambda r: broken.append(r.url) if (r.status == 404 and "favicon" not in r.url) or r.status >= 500 else None
    )
    page.goto(url)
    assert page.locator("h1").inner_text() == "交付3个月质量回访"
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "satisfaction-survey-phone.png"), full_page=True)

    # Submitting with the design question unanswered shows the error and keeps the page.
    page.click("label[for=q_overall_3]")  # options run 5…1: index 3 is "2 · 不满意"
    page.click("label[for=q_quality_1]")
    page.click("label[for=q_sales_0]")
    page.click("label[for=q_property_2]")
    page.click("label[for=q_service_1]")
    page.click("label[for=q_issues_0]")
    page.click("label[for=q_issues_2]")
    page.click("label[for=q_recommend_6]")
    page.click("label[for=q_repurchase_1]")
    page.fill("textarea[name=q_comment]", "楼道渗水还没修好 <script>alert(1)</script>")
    page.click("button.sat-submit")
    assert page.locator("#q-design .sat-error").inner_text() == "这个问题需要回答。"
    assert Response.objects.count() == 0
    page.screenshot(path=str(SCREENSHOTS / "satisfaction-survey-phone-error.png"), full_page=True)

    page.click("label[for=q_design_1]")
    page.click("button.sat-submit")
    page.wait_for_url("**/thanks/")
    assert page.locator("h1").inner_text() == "谢谢您!"
    page.screenshot(path=str(SCREENSHOTS / "satisfaction-survey-phone-thanks.png"), full_page=True)

    response = Response.objects.get()
    assert (response.overall, response.recommend, response.repurchase, response.is_low) == (2, 6, False, True)
    assert response.answers.get(question__key="comment").value_text == "楼道渗水还没修好 <script>alert(1)</script>"
    assert FollowUp.objects.count() == 1

    # Going back and submitting again shows the thank-you page and overwrites nothing.
    page.goto(url)
    page.wait_for_url("**/thanks/")
    assert Response.objects.count() == 1
    assert (errors, broken) == ([], [])

    staff = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    desk = staff.new_page()
    desk_errors = []

    def on_console(msg):
        # base.html's htmx injects its indicator <style> (a foundation matter, reported); anything else counts.
        if msg.type == "error" and "htmx" not in msg.location.get("url", "") and "favicon" not in msg.text:
            desk_errors.append(msg.text)

    desk.on("console", on_console)
    desk.goto(f"{live_url}/accounts/login/?next=/satisfaction/")
    desk.fill("#id_username", "li")
    desk.fill("#id_password", "pass-Touchstone-1")
    desk.click("button[type=submit]")
    desk.wait_for_url("**/satisfaction/")
    assert desk.locator("[data-kpi=index]").inner_text() == "25.0"
    assert desk.locator("[data-kpi=recommend]").inner_text() == "-100.0"
    assert desk.locator("[data-kpi=satisfied]").inner_text() == "0%"
    desk.wait_for_selector("[data-chart=wave] canvas")
    desk.screenshot(path=str(SCREENSHOTS / "satisfaction-results.png"), full_page=True)
    desk.goto(f"{live_url}/satisfaction/follow-ups/")
    assert "交付3个月质量回访" in desk.locator("table").inner_text()
    desk.screenshot(path=str(SCREENSHOTS / "satisfaction-follow-ups.png"), full_page=True)
    assert desk_errors == []
