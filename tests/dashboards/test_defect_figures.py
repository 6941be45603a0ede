"""Defect figures on the dashboards equal counts taken independently from the rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_site.dashboards import periods, sections, selectors
from tests.factories import ProjectFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(sections.app_selectors("defects", "defect_project_summary") is None, reason="the defects app is not merged yet"),
]
TODAY = dt.date(2026, 11, 23)
PERIOD = periods.resolve("90d", today=TODAY)
# (status, grade, days since found, days until due)
SPEC = [("reported", "", 5, None), ("graded", "A", 40, -3), ("rectifying", "A", 100, 10), ("awaiting_acceptance", "A", 20, -1),
        ("reported_to_gm", "B", 60, None), ("closed", "B", 200, None), ("rectifying", "A", 10, 5)]


def rows(project, spec=SPEC):
    from defects.models import Defect

    for i, (status, grade, found_ago, due_in) in enumerate(spec, start=1):
        found = TODAY - dt.timedelta(days=found_ago)
        Defect.objects.create(project=project, series="SJ", number=i, code=f"SJ{i:02d}", title=f"缺陷{i}", description="…",
                              source="warranty", found_on=found, status=status, grade=grade,
                              due_on=TODAY + dt.timedelta(days=due_in) if due_in is not None else None)


def expected(project):
    from defects.models import Defect

    ds = list(Defect.objects.filter(project=project))
    chased = [d for d in ds if d.status in Defect.CHASED_STATUSES]
    return {"open": sum(d.status != "closed" for d in ds), "overdue": sum(d.is_overdue_on(TODAY) for d in ds),
            "grade_a": sum(d.grade == "A" for d in ds), "chased": len(chased)}


def test_project_defect_figures_equal_counts_from_the_rows(project, group_user):
    rows(project)
    data = selectors.project_dashboard_build(actor=group_user, project=project, period=PERIOD, today=TODAY)
    (section,) = [s for s in data["sections"] if s["key"] == "defects"]
    got = {f["key"]: f["value"] for f in section["figures"]}
    want = expected(project)
    assert (got["open"], got["overdue"], got["grade_a"]) == (want["open"], want["overdue"], want["grade_a"]) == (6, 2, 4)
    (k,) = [k for k in data["kpis"] if k["key"] == "defect_on_time"]
    assert (k["num"], k["den"]) == (want["chased"] - want["overdue"], want["chased"])


def test_group_defect_figures_equal_the_project_page(project, other_project, group_user):
    rows(project)
    rows(other_project, SPEC[:3])
    data = selectors.group_dashboard_build(actor=group_user, projects=[project, other_project], period=PERIOD, today=TODAY)
    for row in data["rows"]:
        p = project if row["project"]["pk"] == project.pk else other_project
        want = expected(p)
        assert (row["sections"]["defects"]["counts"]["open"], row["sections"]["defects"]["overdue"]) == (want["open"], want["overdue"])


def test_defect_queries_do_not_grow_with_projects(group_user):
    counts = []
    for n in (1, 5):
        projects = ProjectFactory.create_batch(n)
        for p in projects:
            rows(p)
        with CaptureQueriesContext(connection) as ctx:
            selectors.group_dashboard_build(actor=group_user, projects=projects, period=PERIOD, today=TODAY)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_group_defect_counts_at_their_boundaries(project, other_project, group_user):
    # (status, grade, days since found, days until due)
    rows(project, [
        ("graded", "A", 30, -1),  # chased, overdue since yesterday, open grade A
        ("rectifying", "B", 30, 0),  # chased, due today: not overdue yet
        ("awaiting_acceptance", "A", 30, None),  # chased, no due date: not overdue
        ("accepted", "A", 30, -5),  # open grade A, past due but not chased: not overdue
        ("reported", "", 3, None),  # open, ungraded
        ("closed", "A", 60, -20),  # closed: counted nowhere, though grade A and past due
    ])
    rows(other_project, [("closed", "B", 60, -20)])  # only closed defects: every count zero
    data = selectors.group_dashboard_build(actor=group_user, projects=[project, other_project], period=PERIOD, today=TODAY)
    got = {r["project"]["pk"]: r["sections"]["defects"] for r in data["rows"]}
    want = expected(project)
    assert got[project.pk]["counts"] == {"open": 5, "chased": 3, "overdue": 1, "open_a": 3}
    assert (want["open"], want["chased"], want["overdue"]) == (5, 3, 1)
    assert got[other_project.pk]["counts"] == {"open": 0, "chased": 0, "overdue": 0, "open_a": 0}
    (k,) = got[project.pk]["kpis"]
    assert (k["num"], k["den"]) == (2, 3)
