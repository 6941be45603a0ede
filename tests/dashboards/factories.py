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

    def per_project(self, *, actor, projects, period, today):
        project_ids = [p.pk for p in projects]
        return {pid: {"kpis": self._kpis(pid), "overdue": self.figures.get(pid, (0, 0, 0))[2]} for pid in project_ids}

    def project_detail(self, *, actor, project, period, today):
        return {"key": self.key, "title": self.title, "kpis": self._kpis(project.pk), "figures": [], "charts": [], "tables": []}

    def heatmap(self, figures, projects):
        return None


DEMO_PROJECTS = [
    ("SZ-GG", "深圳光谷花园", "深圳", "深圳城市公司", "delivery", 40, 12),
    ("SZ-HW", "深圳海湾一号", "深圳", "深圳城市公司", "post_delivery", 30, -3),
    ("GZ-YJ", "广州云璟", "广州", "广州城市公司", "sales", 25, 30),
    ("CD-JC", "成都锦城府", "成都", "成都城市公司", "construction", 20, 0),
]


def demo_portfolio(today=None):
    """Four projects in three cities with units, owners, handovers and milestones (some late)."""
    from tests.factories import ProjectFactory

    today = today or dt.date.today()
    projects = []
    for code, name, city, company, stage, units, slip in DEMO_PROJECTS:
        p = ProjectFactory(code=code, name=name, city=city, company=company, stage=stage)
        portfolio_rows(p, units=units, today=today, handover_days=(-120, -40, 12, 25, 60, 200))
        land = today - dt.timedelta(days=900)
        plan = {"land": 0, "design": 120, "construction_start": 240, "sales_opening": 330, "topping_out": 600, "handover": 930}
        for step, (kind, offset) in enumerate(plan.items()):
            planned = land + dt.timedelta(days=offset)
            actual = None
            if planned <= today:
                actual = planned + dt.timedelta(days=int(offset * slip * (0.4 + 0.3 * step) / 100))
                if actual > today:
                    actual = None
            MilestoneFactory(project=p, kind=kind, planned_on=planned, actual_on=actual)
        projects.append(p)
    if sections.app_selectors("complaints", "complaint_kpis") is not None:
        from django.utils import timezone

        for shift, (p, n) in enumerate(zip(projects, (60, 24, 40, 12), strict=True)):
            complaint_rows(p, n, now=timezone.now(), shift=shift)
    return projects


CATS = ["construction_quality", "construction_quality", "planning_design", "property", "sales", "service"]
TITLES = ["主卧卫生间天花板渗水", "外墙空鼓开裂", "小区绿化与宣传不符", "物业维修响应慢", "车位配比与销售承诺不符", "客服电话无人接听",
          "地下车库积水", "窗户密封不严漏风"]


def complaint_rows(project, n: int = 12, *, now, shift: int = 0):
    """``n`` complaints with a spread of ages, outcomes and revisits, written as rows (no services)."""
    from complaints.models import Complaint, Revisit

    def at(days_ago):
        return now - dt.timedelta(days=days_ago)

    for i in range(n):
        created = at(3 + (i * 4) % 45)  # some inside the 30-day period, some before it
        status = ["received", "in_progress", "on_hold", "resolved", "closed", "closed", "closed"][(i + shift) % (6 + shift % 2)]
        resolved = created + dt.timedelta(hours=20 + (i % 3) * 40) if status in ("resolved", "closed") else None
        c = Complaint.objects.create(
            project=project, channel="hotline", category=CATS[i % len(CATS)], title=TITLES[i % len(TITLES)], description="…",
            severity=i % 4, status=status, occurred_at=created, escalation_level=1 if i % 5 == 0 else 0,
            first_response_due=created + dt.timedelta(hours=24), first_responded_at=created + dt.timedelta(hours=2 + (i % 2) * 30),
            resolution_due=created + dt.timedelta(hours=72) if i % 7 else now - dt.timedelta(hours=5),
            resolved_at=resolved, closed_at=resolved + dt.timedelta(hours=30) if status == "closed" else None)
        Complaint.objects.filter(pk=c.pk).update(created_at=created)
        if resolved and i % 4 != 3:
            Revisit.objects.create(complaint=c, satisfied=i % 3 != 0, score=4, created_at=resolved + dt.timedelta(hours=10))
    return list(Complaint.objects.filter(project=project))
