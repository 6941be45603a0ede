"""Rows for the dashboard tests: a project's portfolio and milestones, and a stand-in feature section."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from crm_site.dashboards import sections
from estates.models import Milestone
from tests.factories import BuildingFactory, ContractFactory, CustomerFactory, UnitFactory


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    kind = Milestone.Kind.LAND
    planned_on = factory.LazyFunction(lambda: dt.date(2025, 1, 1))


def portfolio_rows(project, *, units=3, today=None, handover_days=(-30, 10, 200), signed_days_ago=10):
    """``units`` units, one contract each; handover offsets from ``today`` cycle through ``handover_days``."""
    today = today or dt.date.today()
    building = BuildingFactory(project=project)
    contracts = []
    for i in range(units):
        unit = UnitFactory(building=building, project=project)
        offset = handover_days[i % len(handover_days)]
        contracts.append(ContractFactory(unit=unit, project=project, customers=[CustomerFactory()],
                                         signed_on=today - dt.timedelta(days=signed_days_ago),
                                         handover_on=today + dt.timedelta(days=offset)))
    return contracts


class StubSection:
    """A feature section with fixed figures, standing in for an app whose selectors are not merged."""

    key = "stub"
    title = "Stub"

    def __init__(self, figures: dict):
        self.figures = figures  # project id -> (num, den, overdue)

    def available(self):
        return True

    def _kpis(self, pid):
        num, den, _overdue = self.figures.get(pid, (0, 0, 0))
        return [sections.kpi(key="complaint_on_time", label="On time", num=num, den=den, target=90, op="gte")]

    def per_project(self, *, project_ids, period, today):
        return {pid: {"kpis": self._kpis(pid), "overdue": self.figures.get(pid, (0, 0, 0))[2]} for pid in project_ids}

    def project_detail(self, *, project, period, today):
        return {"key": self.key, "title": self.title, "kpis": self._kpis(project.pk), "figures": [], "charts": [], "tables": []}

    def heatmap(self, figures, projects):
        return None
