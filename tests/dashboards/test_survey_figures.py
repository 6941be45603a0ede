"""Survey figures on the dashboards equal counts taken independently from responses and invitations."""

import pytest
from django.utils import timezone

from crm_site.dashboards import periods, sections, selectors
from tests.factories import ContractFactory, CustomerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(sections.app_selectors("satisfaction", "satisfaction_project_summary", "headline") is None,
                       reason="the satisfaction app is not merged yet"),
]
ANSWERS = {"quality": 4, "design": 4, "sales": 5, "property": 3, "service": 4, "issues": ["leak"], "recommend": 9,
           "repurchase": "1", "contact": "phone", "comment": "好"}


def survey(project, overall_scores, unanswered: int):
    """Owners due for the 3-month survey today; the first ones answer with ``overall_scores``."""
    from satisfaction import rules, services
    from satisfaction.models import Invitation, Wave

    wave = Wave.objects.get(code="handover-3m")
    handover = rules.add_months(timezone.localdate(), -wave.offset_months)
    for i in range(len(overall_scores) + unanswered):
        ContractFactory(unit__building__project=project, handover_on=handover,
                        customers=[CustomerFactory(email=f"o{project.pk}-{i}@example.com")])
    services.daily_run()
    invitations = list(Invitation.objects.filter(project=project, sent_at__isnull=False).order_by("pk"))
    for invitation, overall in zip(invitations, overall_scores, strict=False):
        services.response_submit(invitation=invitation, answers={**ANSWERS, "overall": overall})


def expected(project):
    from satisfaction.models import Invitation, Response

    rs = list(Response.objects.filter(project=project))
    rated = [r for r in rs if r.overall is not None]
    return {"survey_satisfaction": (sum(r.overall >= 4 for r in rated), len(rated)),
            "survey_response": (len(rs), Invitation.objects.filter(project=project, sent_at__isnull=False).count())}


def test_survey_kpis_equal_counts_from_the_responses(project, group_user):
    survey(project, [5, 4, 2, 5, 3], unanswered=3)
    period = periods.resolve("30d")
    data = selectors.project_dashboard_build(actor=group_user, project=project, period=period)
    got = {k["key"]: (k["num"], k["den"]) for k in data["kpis"] if k["key"].startswith("survey_")}
    assert got == expected(project) == {"survey_satisfaction": (3, 5), "survey_response": (5, 8)}
    group = selectors.group_dashboard_build(actor=group_user, projects=[project], period=period)
    assert {k["key"]: (k["num"], k["den"]) for k in group["rows"][0]["kpis"] if k["key"].startswith("survey_")} == got


def test_the_dashboards_three_query_scores_equal_headline_and_scores(project, group_user):
    """``dashboard_scores`` (one grid of responses by wave × segment) gives exactly what ``headline``
    and ``scores`` give separately."""
    from satisfaction import selectors as s

    survey(project, [5, 4, 2, 5, 3], unanswered=3)
    period = periods.resolve("30d")
    args = {"actor": group_user, "project": project, "date_from": period.start, "date_to": period.end}
    got = s.dashboard_scores(**args)
    assert got["headline"] == s.headline(**args)
    assert got["waves"] == s.scores(group_by="wave", **args)
    assert got["segments"] == s.scores(group_by="segment", **args)
    assert got["headline"].responses == 5
