"""Both dashboards in chromium on demo-like data, and a drill-down from a figure to its list."""

import os

import pytest
from django.utils import timezone

from crm_site.dashboards import sections
from estates.models import Role
from tests.browser_support import shot
from tests.dashboards.factories import demo_portfolio
from tests.factories import UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-Touchstone-1")
    page.click("button[type=submit]")


def test_project_and_group_dashboards_render_with_charts(browser_page, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    projects = demo_portfolio()
    UserFactory(username="wang", first_name="王经理", role=Role.GROUP_CENTRE)
    page = browser_page
    login(page, live_server.url, "wang")

    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/dashboard/projects/**")
    page.wait_for_selector(".chart-canvas svg, .chart-canvas canvas")
    assert page.locator("h1").first.inner_text().startswith(projects[3].name) or page.locator("h1").count() == 1
    shot(page, "dashboards-project")

    page.goto(f"{live_server.url}/dashboard/group/")
    page.wait_for_selector("[data-chart=chart-group-schedule-data] svg")
    ranked = page.locator("table.ranking tbody tr td:nth-child(2) a").all_inner_texts()
    assert len(ranked) == 4
    shot(page, "dashboards-group")

    # Drill down: a figure opens the list behind it.
    page.goto(f"{live_server.url}/dashboard/projects/SZ-GG/")
    page.locator("a.figure").first.click()
    page.wait_for_url("**/projects/SZ-GG/")
    assert page.locator("h1").first.inner_text().startswith("深圳光谷花园")
    shot(page, "dashboards-drilldown")

    # The balanced scorecard, started from the standard one by a manager.
    page.goto(f"{live_server.url}/dashboard/projects/SZ-GG/scorecard/")
    page.click("form[action$='/scorecard/seed/'] button")
    page.wait_for_selector(".perspective")
    assert page.locator(".perspective").count() == 4
    shot(page, "dashboards-scorecard")

    # Last month's report, built as the worker builds it, then opened as the printable page.
    from crm_site.dashboards import periods, reports

    month = periods.previous_month(timezone.localdate())
    reports.monthly_report_build(project_id=projects[1].pk, month=month)
    page.goto(f"{live_server.url}/dashboard/projects/{projects[1].code}/reports/{month:%Y-%m}/")
    page.emulate_media(media="print")
    shot(page, "dashboards-report-print")
    page.emulate_media(media="screen")

    # With the complaints app: the overdue figure opens the inbox filtered to overdue complaints.
    if sections.app_selectors("complaints", "complaint_kpis") is not None:
        page.goto(f"{live_server.url}/dashboard/projects/SZ-GG/?period=90d")
        page.locator("#section-complaints a.figure[data-key=overdue]").click()
        page.wait_for_url("**/complaints/?project=SZ-GG&overdue=yes")
        shot(page, "dashboards-drilldown-complaints")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
