"""A-point coverage on the dashboards equals a count taken from the seeded catalogue and the checks."""

import datetime as dt

import pytest
from django.utils import timezone

from crm_site.dashboards import periods, sections, selectors

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(sections.app_selectors("touchpoints", "project_a_coverage") is None,
                       reason="the touchpoints app is not merged yet"),
]
TODAY = dt.date(2026, 11, 23)
PERIOD = periods.resolve("90d", today=TODAY)


def test_a_point_coverage_equals_met_over_applicable_points_of_the_current_stage(project, group_user):
    from touchpoints.models import PointCheck, SensitivityPoint

    points = list(SensitivityPoint.objects.filter(grade="A", is_active=True, touchpoint__is_active=True,
                                                  touchpoint__stage=project.stage).order_by("pk"))
    assert len(points) >= 3
    for point, status in zip(points, ["met", "met", "not_applicable", "issue"], strict=False):
        PointCheck.objects.create(project=project, point=point, status=status, checked_at=timezone.now())
    applicable = len(points) - 1
    data = selectors.project_dashboard_build(actor=group_user, project=project, period=PERIOD, today=TODAY)
    (k,) = [k for k in data["kpis"] if k["key"] == "touchpoint_coverage"]
    assert (k["num"], k["den"]) == (2, applicable)
    group = selectors.group_dashboard_build(actor=group_user, projects=[project], period=PERIOD, today=TODAY)
    (g,) = [k for k in group["rows"][0]["kpis"] if k["key"] == "touchpoint_coverage"]
    assert (g["num"], g["den"]) == (2, applicable)
