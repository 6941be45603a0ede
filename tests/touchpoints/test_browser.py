"""Screenshots of the catalogue, a project's coverage and a customer's contact timeline."""

import os

import pytest
from django.conf import settings
from django.test import Client

from tests.browser_support import SCREENSHOTS as SHOTS
from tests.browser_support import new_page
from touchpoints import services
from touchpoints.models import SensitivityPoint, Touchpoint

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium, live_server, staff, seeded_catalogue):
    """The shared chromium launch (tests/conftest.py), logged in by session cookie."""
    client = Client()
    client.force_login(staff)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    pg = new_page(
        chromium,
        viewport={"width": 1400, "height": 1000},
        timezone_id=None,
        cookies=[{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}],
    )
    pg.base = live_server.url
    return pg


def test_screenshot_of_the_catalogue(page):
    page.goto(f"{page.base}/touchpoints/?stage=investment")
    assert page.locator("#catalogue-counts tbody tr").count() == 8
    assert page.locator(".badge.grade-A").count() >= 9
    page.screenshot(path=str(SHOTS / "touchpoints-catalogue.png"), full_page=True)
    assert page.console_errors == []


def test_screenshot_of_a_projects_coverage(page, project, staff):
    points = list(SensitivityPoint.objects.filter(touchpoint__stage="sales").order_by("code"))
    answers = {
        "SAL-02-1": ("issue", "楼书效果图未标注“仅供参考”,已通知营销部修改"),
        "SAL-05-1": ("not_applicable", "本期为现房销售,无补充协议"),
    }
    for p in points[:10]:
        status, evidence = answers.get(p.code, ("met", "现场核查并拍照存档"))
        services.point_check_record(actor=staff, project=project, point=p, status=status, evidence=evidence)
    page.goto(f"{page.base}/touchpoints/projects/SZ-GG/checks/")
    assert page.locator(".kpi[data-grade=A] .value").inner_text() == "50%"  # 3 met of 6 applicable A-points
    assert page.locator("text=楼书与广告").count() >= 1
    page.screenshot(path=str(SHOTS / "touchpoints-project-coverage.png"), full_page=True)
    assert page.console_errors == []


def test_screenshot_of_a_customer_timeline(page, project, staff, buyer):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    rows = [
        ("open_day", "outbound", "positive", "CON-01", "参加工地开放日,对施工质量表示认可。", 60),
        ("phone", "inbound", "negative", "DEL-04", "来电反映验房发现卫生间渗水,要求尽快维修。", 20),
        ("wechat", "outbound", "neutral", "PDL-01", "微信告知维修已安排在周六上午。", 18),
        ("visit", "outbound", "positive", "PDL-06", "上门回访,维修完成,客户满意。", 10),
    ]
    for channel, direction, sentiment, tp, summary, days in rows:
        services.contact_log(
            actor=staff,
            customer=buyer,
            project=project,
            channel=channel,
            direction=direction,
            sentiment=sentiment,
            summary=summary,
            touchpoint=Touchpoint.objects.get(code=tp),
            occurred_at=now - timedelta(days=days),
        )
    page.goto(f"{page.base}/customers/{buyer.pk}/")
    assert page.locator("#contact-timeline li.contact").count() == 4
    page.locator("#contact-timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "touchpoints-customer-timeline.png"), full_page=True)
    assert page.console_errors == []
