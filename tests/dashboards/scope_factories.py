"""Scope factories for the route matrix (tests/security/routes.py): make(project) -> url kwargs."""


def make_project(project) -> dict:
    return {"code": project.code}


def make_measure(project) -> dict:
    from crm_site.dashboards.scorecard import scorecard_seed_defaults
    from crm_site.models import ScorecardMeasure
    from tests.factories import UserFactory

    scorecard_seed_defaults(project=project, actor=UserFactory(role="cr_manager", projects=[project]))
    return {"code": project.code, "pk": ScorecardMeasure.objects.filter(objective__project=project).first().pk}


def make_report(project) -> dict:
    import datetime as dt

    from crm_site.dashboards.reports import monthly_report_build

    report, _created = monthly_report_build(project_id=project.pk, month=dt.date(2026, 10, 1))
    return {"code": project.code, "month": f"{report.month:%Y-%m}"}


FACTORIES = {
    "dashboards:project-dashboard": make_project,
    "dashboards:project-export": make_project,
    "dashboards:scorecard": make_project,
    "dashboards:scorecard-seed": make_project,
    "dashboards:scorecard-edit": make_project,
    "dashboards:scorecard-measure-delete": make_measure,
    "dashboards:report-list": make_project,
    "dashboards:report-build": make_project,
    "dashboards:report-detail": make_report,
    "dashboards:report-xlsx": make_report,
}

# Customer-relations staff read the scorecard; only managers change it (403 for staff on their own project).
ROLES = {
    "dashboards:scorecard-edit": "cr_manager",
    "dashboards:scorecard-measure-delete": "cr_manager",
}
