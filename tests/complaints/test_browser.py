"""A hotline complaint from intake to closure in a real browser, with screenshots."""

import os

import pytest

from complaints.models import Complaint
from estates.models import Role
from tests.browser_support import SCREENSHOTS, new_page
from tests.factories import ContractFactory, CustomerFactory, UnitFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def page(chromium):
    """The shared chromium launch (tests/conftest.py), a slightly taller page."""
    return new_page(chromium, viewport={"width": 1366, "height": 900})


def shot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"complaints-{name}.png"), full_page=True)


def act(page, action, fields=None):
    """Fill the action's form on the complaint page and submit it."""
    form = page.locator(f"form.action-{action}")
    for selector, value in (fields or {}).items():
        target = form.locator(selector)
        if target.evaluate("el => el.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_hotline_intake_to_closure(page, live_server, project):
    UserFactory(username="li", role=Role.CR_STAFF, projects=[project], first_name="李客服")
    unit = UnitFactory(building__project=project, building__name="5栋", number="5-0801")
    customer = CustomerFactory(name="王建国", phone="13912345678")
    ContractFactory(unit=unit, customers=[customer])

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", "pass-Touchstone-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()

    # Intake: find the caller by phone, pick the unit, describe the complaint.
    page.goto(f"{live_server.url}/complaints/new/")
    page.fill("input[name=find]", "13912345678")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    page.click("table.intake-matches a:has-text('5-0801')")
    page.wait_for_load_state()
    assert page.input_value("#id_unit") == "5-0801"
    page.select_option("#id_category", "construction_quality")
    page.fill("#id_title", "主卧窗边渗水")
    page.fill("#id_description", "连续下雨后主卧窗台下方墙面渗水，墙纸起泡。<b>请尽快处理</b>")
    shot(page, "intake")
    page.click("button.wide")
    page.wait_for_url("**/complaints/*/")
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.customer_id, complaint.unit_id) == ("hotline", customer.pk, unit.pk)
    assert "<b>请尽快处理</b>" in page.locator("p.description").inner_text()  # shown as text, not markup
    shot(page, "filed")

    act(page, "respond", {"textarea": "王先生您好，已安排工程部明天上午上门查看。"})
    act(page, "hold", {"textarea": "等待业主约定上门时间"})
    assert "计时暂停" in page.content()
    shot(page, "on-hold")
    act(page, "resume")
    act(page, "resolve", {"textarea": "已重新打胶并更换墙纸。"})
    act(page, "revisit", {"select[name=satisfied]": "yes", "select[name=score]": "5", "textarea": "业主表示满意"})
    act(page, "close")
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == ["filed", "responded", "held", "resumed", "resolved", "revisited", "closed"]
    assert page.locator("ol.timeline li").count() == 7
    shot(page, "closed")

    page.goto(f"{live_server.url}/complaints/")
    assert complaint.reference in page.content()
    shot(page, "inbox")
    assert page.console_errors == []


def test_inbox_and_group_complaint_warning(page, live_server, project):
    from datetime import timedelta

    import time_machine

    from tests.complaints.factories import file_complaint
    from tests.factories import BuildingFactory

    manager = UserFactory(username="zhao", role=Role.CR_MANAGER, projects=[project], first_name="赵经理")
    building = BuildingFactory(project=project, name="2栋")
    with time_machine.travel(timezone_now() - timedelta(days=2), tick=False):
        for i in range(4):
            unit = UnitFactory(building=building, project=project, number=f"2-{i + 1}01")
            owner = CustomerFactory(name=f"业主{i}")
            ContractFactory(unit=unit, customers=[owner])
            file_complaint(project=project, actor=manager, unit=unit, customer=owner, channel="online", title="地下车库顶板渗水")
        file_complaint(project=project, actor=manager, channel="info_system", title="售楼处承诺的学校未开工", category="sales")
    file_complaint(project=project, actor=manager, channel="media", title="媒体报道外墙脱落", media_exposed=True)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "zhao")
    page.fill("#id_password", "pass-Touchstone-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/complaints/")
    shot(page, "inbox-tiers")
    assert page.locator("tr.overdue").count() == 5
    page.goto(f"{live_server.url}/complaints/clusters/")
    page.click("table a:has-text('深圳光谷花园')")
    page.wait_for_load_state()
    assert page.locator("table tbody tr").count() == 4
    shot(page, "cluster")
    assert page.console_errors == []


def timezone_now():
    from django.utils import timezone

    return timezone.now()
