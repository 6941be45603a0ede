"""Risk figures on the dashboards equal counts taken independently from the register's rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm_site.dashboards import periods, sections, selectors
from tests.factories import ProjectFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(sections.app_selectors("risk", "risk_project_summary") is None, reason="the risk app is not merged yet"),
]
TODAY = dt.date(2026, 11, 23)
PERIOD = periods.resolve("30d", today=TODAY)


def register(project, spec):
    """Risk items as rows: (level, status, days until the deadline)."""
    from risk.models import RiskItem

    for i, (level, status, days) in enumerate(spec):
        RiskItem.objects.create(project=project, title=f"风险{i}", source="external", customer_view="marketing", level=level,
                                status=status, deadline=TODAY + dt.timedelta(days=days),
                                closing_note="已整改" if status == "closed" else "",
                                closed_at=timezone.now() if status == "closed" else None)


SPEC = [("high", "open", -3), ("high", "closed", -3), ("medium", "in_progress", 5), ("medium", "open", -1),
        ("low", "open", 10), ("low", "closed", 1), ("high", "in_progress", 2)]


def expected(project):
    from risk.models import RiskItem

    rows = list(RiskItem.objects.filter(project=project))
    active = [r for r in rows if r.status != "closed"]
    return {"open_high": sum(r.level == "high" for r in active), "open": len(active),
            "overdue": sum(r.deadline < TODAY for r in active)}


def figures(data):
    (risk,) = [s for s in data["sections"] if s["key"] == "risk"]
    return {f["key"]: f["value"] for f in risk["figures"]}


def test_project_risk_figures_equal_counts_from_the_rows(project, group_user, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False)
    register(project, SPEC)
    got = figures(selectors.project_dashboard_build(actor=group_user, project=project, period=PERIOD, today=TODAY))
    want = expected(project)
    assert {k: got[k] for k in want} == want == {"open_high": 2, "open": 5, "overdue": 2}


def test_group_overdue_counts_risk_items_per_project(project, other_project, group_user):
    register(project, SPEC)
    register(other_project, SPEC[:2])
    data = selectors.group_dashboard_build(actor=group_user, projects=[project, other_project], period=PERIOD, today=TODAY)
    got = {r["project"]["code"]: r["sections"]["risk"]["overdue"] for r in data["rows"]}
    assert got == {project.code: expected(project)["overdue"], other_project.code: 1}


def test_risk_queries_do_not_grow_with_projects(group_user):
    counts = []
    for n in (1, 5):
        projects = ProjectFactory.create_batch(n)
        for p in projects:
            register(p, SPEC)
        with CaptureQueriesContext(connection) as ctx:
            selectors.group_dashboard_build(actor=group_user, projects=projects, period=PERIOD, today=TODAY)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_high_risk_figure_links_to_the_filtered_register(client, staff, project):
    register(project, SPEC)
    client.force_login(staff)
    body = client.get(reverse("dashboards:project-dashboard", args=[project.code])).content.decode()
    assert f'href="{reverse("risk:item-list")}?project={project.code}&amp;status=active&amp;level=high"' in body


def test_high_risk_figure_opens_a_register_listing_exactly_those_items(client, staff, project):
    register(project, [("high", "open", 5), ("high", "in_progress", 9), ("high", "closed", 1), ("low", "open", 3)])
    client.force_login(staff)
    page = client.get(reverse("dashboards:project-dashboard", args=[project.code]))
    fig = figures(page.context["data"])
    (link,) = [f["url"] for s in page.context["data"]["sections"] if s["key"] == "risk" for f in s["figures"] if f["key"] == "open_high"]
    register_page = client.get(link)
    assert register_page.context["page"].paginator.count == fig["open_high"] == 2
