"""Complaint figures on the dashboards equal counts taken independently from the rows."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.dashboards import periods, sections, selectors
from estates.models import Role
from tests.dashboards.factories import CATS, complaint_rows
from tests.factories import ProjectFactory, UserFactory

GROUP = SimpleNamespace(is_authenticated=True, is_active=True, sees_all_projects=True, is_superuser=True, role="admin")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(sections.app_selectors("complaints", "complaint_kpis", "complaint_project_summary") is None,
                       reason="the complaints app's selectors are not merged yet"),
]
SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=SH)
PERIOD = periods.resolve("30d", today=NOW.date())


def expected(project):
    """The four KPIs' numerators and denominators, counted in Python from the rows."""
    from complaints.models import Complaint, Revisit

    lo, hi = PERIOD.start_at, PERIOD.end_at
    rows = list(Complaint.objects.filter(project=project))
    filed = [c for c in rows if lo <= c.created_at < hi]
    resolved = [c for c in rows if c.resolved_at and lo <= c.resolved_at < hi]
    revisits = [r for r in Revisit.objects.filter(complaint__project=project) if lo <= r.created_at < hi]
    revisited_ids = set(Revisit.objects.values_list("complaint_id", flat=True))
    open_ = [c for c in rows if c.status in ("received", "in_progress", "on_hold")]
    overdue = [c for c in open_ if (c.status == "received" and c.first_response_due < NOW)
               or (c.status in ("received", "in_progress") and c.resolution_due < NOW)]
    return {
        "complaint_satisfaction": (sum(r.satisfied for r in revisits), len(revisits)),
        "complaint_on_time": (sum(1 for c in resolved if c.first_responded_at <= c.first_response_due and c.resolved_at <= c.resolution_due),
                              len(resolved)),
        "complaint_closure": (sum(1 for c in filed if c.status == "closed"), len(filed)),
        "complaint_revisit": (sum(1 for c in resolved if c.pk in revisited_ids), len(resolved)),
        "overdue": len(overdue),
        "filed_by_category": {cat: sum(1 for c in filed if c.category == cat) for cat in set(CATS)},
    }


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_project_kpis_equal_counts_from_the_rows(frozen, project, group_user):
    complaint_rows(project, 18, now=NOW)
    want = expected(project)
    data = selectors.project_dashboard_build(actor=group_user, project=project, period=PERIOD, today=NOW.date())
    got = {k["key"]: (k["num"], k["den"]) for k in data["kpis"] if k["key"].startswith("complaint_")}
    assert got == {k: want[k] for k in got}
    assert len(got) == 4
    assert all(den > 0 for _num, den in got.values())


def test_group_kpis_equal_counts_from_the_rows_per_project(frozen, project, other_project, group_user):
    complaint_rows(project, 18, now=NOW)
    complaint_rows(other_project, 7, now=NOW)
    data = selectors.group_dashboard_build(actor=GROUP, projects=[project, other_project], period=PERIOD, today=NOW.date())
    for row in data["rows"]:
        p = project if row["project"]["pk"] == project.pk else other_project
        want = expected(p)
        assert {k["key"]: (k["num"], k["den"]) for k in row["kpis"] if k["key"].startswith("complaint_")} == {k: want[k] for k in (
            "complaint_satisfaction", "complaint_on_time", "complaint_closure", "complaint_revisit")}
        assert row["sections"]["complaints"]["overdue"] == want["overdue"]


def test_group_figures_agree_with_the_complaints_apps_own_kpis(frozen, project, group_user):
    from complaints import selectors as complaint_selectors

    complaint_rows(project, 18, now=NOW)
    theirs = complaint_selectors.complaint_kpis(actor=group_user, project=project, start=PERIOD.start, end=PERIOD.end)["counts"]
    ours = selectors.group_dashboard_build(actor=GROUP, projects=[project], period=PERIOD, today=NOW.date())["rows"][0]["sections"]["complaints"]
    assert {k: ours["counts"][k] for k in theirs} == theirs


def test_heat_map_cells_equal_filed_counts_by_category(frozen, project, group_user):
    from complaints.models import Category

    complaint_rows(project, 18, now=NOW)
    heat = selectors.group_dashboard_build(actor=GROUP, projects=[project], period=PERIOD, today=NOW.date())["heatmap"]
    want = expected(project)["filed_by_category"]
    assert [c["value"] for c in heat["rows"][0]["cells"]] == [want.get(v, 0) for v in Category.values]


def test_group_complaint_queries_do_not_grow_with_projects(frozen, db):
    counts = []
    for n in (1, 5):
        projects = ProjectFactory.create_batch(n)
        for p in projects:
            complaint_rows(p, 6, now=NOW)
        with CaptureQueriesContext(connection) as ctx:
            selectors.group_dashboard_build(actor=GROUP, projects=projects, period=PERIOD, today=NOW.date())
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_project_page_queries_do_not_grow_with_complaints(frozen, db):
    actor = UserFactory(role=Role.GROUP_CENTRE)
    counts = []
    for n in (3, 30):
        p = ProjectFactory()
        complaint_rows(p, n, now=NOW)
        with CaptureQueriesContext(connection) as ctx:
            selectors.project_dashboard_build(actor=actor, project=p, period=PERIOD, today=NOW.date())
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_kpi_links_open_the_inbox_filtered_to_the_project(frozen, client, staff, project):
    complaint_rows(project, 6, now=NOW)
    client.force_login(staff)
    body = client.get(reverse("dashboards:project-dashboard", args=[project.code]) + "?period=30d").content.decode()
    assert f'href="{reverse("complaints:inbox")}?project={project.code}&amp;overdue=yes"' in body


def test_overdue_figure_opens_an_inbox_listing_exactly_those_complaints(frozen, client, staff, project):
    complaint_rows(project, 18, now=NOW)
    client.force_login(staff)
    page = client.get(reverse("dashboards:project-dashboard", args=[project.code]) + "?period=30d")
    (fig,) = [f for s in page.context["data"]["sections"] if s["key"] == "complaints" for f in s["figures"] if f["key"] == "overdue"]
    inbox = client.get(fig["url"])
    assert inbox.context["counts"]["total"] == fig["value"] == expected(project)["overdue"] > 0


def test_severity_bar_opens_the_inbox_filtered_to_that_tier(frozen, client, staff, project):
    from complaints.models import Complaint

    complaint_rows(project, 18, now=NOW)
    client.force_login(staff)
    page = client.get(reverse("dashboards:project-dashboard", args=[project.code]) + "?period=30d")
    (fig,) = [f for s in page.context["data"]["sections"] if s["key"] == "complaints" for f in s["figures"] if f["key"] == "major"]
    inbox = client.get(fig["url"])
    assert inbox.context["counts"]["total"] == fig["value"] == Complaint.objects.filter(project=project, severity=3).count() > 0
