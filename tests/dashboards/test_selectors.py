import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_site.dashboards import periods, sections, selectors
from estates.models import Contract, Milestone, Role, Unit
from tests.dashboards.factories import MilestoneFactory, StubSection, portfolio_rows
from tests.factories import ContractFactory, CustomerFactory, ProjectFactory, UserFactory

GROUP = SimpleNamespace(is_authenticated=True, is_active=True, sees_all_projects=True, is_superuser=True, role="admin")
pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 23)
PERIOD = periods.resolve("30d", today=TODAY)


def test_portfolio_counts_equal_counts_taken_from_the_rows(project, other_project):
    portfolio_rows(project, units=5, today=TODAY)
    portfolio_rows(other_project, units=2, today=TODAY)
    cancelled = ContractFactory(unit__building__project=project, handover_on=TODAY + dt.timedelta(days=5),
                                signed_on=TODAY - dt.timedelta(days=3))
    Contract.objects.filter(pk=cancelled.pk).update(status=Contract.Status.CANCELLED)

    got = sections.portfolio([project.pk], PERIOD, today=TODAY)[project.pk]

    active = [c for c in Contract.objects.filter(project=project) if c.status == Contract.Status.ACTIVE]
    assert got["units"] == Unit.objects.filter(project=project).count() == 6
    assert got["contracts"] == len(active) == 5
    assert got["handed_over"] == sum(1 for c in active if c.handover_on <= TODAY) == 2
    assert got["handovers_due"] == sum(1 for c in active if TODAY < c.handover_on <= TODAY + dt.timedelta(days=30)) == 2
    assert got["signed"] == sum(1 for c in active if PERIOD.start <= c.signed_on <= PERIOD.end) == 5
    assert got["customers"] == len({cu.pk for c in active for cu in c.customers.all()}) == 5


def _contract(project, *, handover, signed=TODAY - dt.timedelta(days=400), customers=None, status=Contract.Status.ACTIVE):
    c = ContractFactory(unit__building__project=project, handover_on=handover, signed_on=signed,
                        **({"customers": customers} if customers is not None else {}))
    if status != Contract.Status.ACTIVE:
        Contract.objects.filter(pk=c.pk).update(status=status)
    return c


def test_portfolio_handover_figures_at_their_boundaries(project):
    day = dt.timedelta(days=1)
    for handover in (TODAY - day, TODAY, TODAY + day, TODAY + 30 * day, TODAY + 31 * day, None):
        _contract(project, handover=handover)
    _contract(project, handover=TODAY, status=Contract.Status.CANCELLED)  # counted nowhere

    got = sections.portfolio([project.pk], PERIOD, today=TODAY)[project.pk]

    # Handed over: on or before today; due: after today up to today + 30 inclusive; undated: neither.
    assert (got["contracts"], got["handed_over"], got["handovers_due"]) == (6, 2, 2)


def test_portfolio_signed_counts_the_period_edges_inclusive(project):
    day = dt.timedelta(days=1)
    for signed in (PERIOD.start - day, PERIOD.start, PERIOD.end, PERIOD.end + day):
        _contract(project, handover=TODAY, signed=signed)
    _contract(project, handover=TODAY, signed=PERIOD.start, status=Contract.Status.CANCELLED)

    got = sections.portfolio([project.pk], PERIOD, today=TODAY)[project.pk]

    assert (got["contracts"], got["signed"]) == (4, 2)


def test_portfolio_counts_an_owner_once_per_project(project, other_project):
    both, couple_a, couple_b = CustomerFactory(), CustomerFactory(), CustomerFactory()
    _contract(project, handover=TODAY, customers=[both])
    _contract(project, handover=TODAY, customers=[both, couple_a])  # two contracts in one project: one owner
    _contract(project, handover=TODAY, customers=[couple_a, couple_b])
    _contract(project, handover=TODAY, customers=[CustomerFactory()], status=Contract.Status.CANCELLED)
    _contract(other_project, handover=TODAY, customers=[both])  # the same owner counts in each project

    got = sections.portfolio([project.pk, other_project.pk], PERIOD, today=TODAY)

    assert got[project.pk]["customers"] == 3
    assert got[other_project.pk]["customers"] == 1


def test_portfolio_is_one_query_and_zero_for_a_project_without_rows(project, other_project):
    portfolio_rows(project, units=4, today=TODAY)
    with CaptureQueriesContext(connection) as ctx:
        got = sections.portfolio([project.pk, other_project.pk], PERIOD, today=TODAY)
    assert len(ctx.captured_queries) == 1
    assert got[other_project.pk] == dict.fromkeys(("units", "contracts", "handed_over", "handovers_due", "signed", "customers"), 0)
    assert got[project.pk]["units"] == 4
    assert sections.portfolio([], PERIOD, today=TODAY) == {}


def test_milestone_deviation_comes_from_the_project_rows(project):
    MilestoneFactory(project=project, kind=Milestone.Kind.LAND, planned_on=dt.date(2025, 1, 1), actual_on=dt.date(2025, 1, 1))
    MilestoneFactory(project=project, kind=Milestone.Kind.SALES_OPENING, planned_on=dt.date(2025, 4, 11),
                     actual_on=dt.date(2025, 5, 1))
    stones = sections.milestones([project.pk], today=TODAY)[project.pk]
    assert [(m["kind"], m["percent"], m["abnormal"]) for m in stones] == [
        ("land", None, False), ("sales_opening", pytest.approx(20), True)]


def _group_queries(user, n_projects):
    projects = ProjectFactory.create_batch(n_projects)
    for p in projects:
        portfolio_rows(p, units=2, today=TODAY)
        MilestoneFactory(project=p, kind=Milestone.Kind.LAND, actual_on=dt.date(2025, 1, 1))
    user.projects.set(projects)
    user = type(user).objects.get(pk=user.pk)  # fresh: no cached scope
    with CaptureQueriesContext(connection) as ctx:
        data = selectors.group_dashboard_build(actor=GROUP, projects=list(selectors.dashboard_projects(actor=user)), period=PERIOD, today=TODAY)
    assert len(data["rows"]) == n_projects
    return len(ctx.captured_queries)


def test_group_dashboard_costs_the_same_queries_for_one_and_five_projects(db):
    one = _group_queries(UserFactory(role=Role.CR_MANAGER), 1)
    five = _group_queries(UserFactory(role=Role.CR_MANAGER), 5)
    assert one == five


def test_project_dashboard_costs_the_same_queries_for_few_and_many_rows(db):
    small, big = ProjectFactory(), ProjectFactory()
    portfolio_rows(small, units=1, today=TODAY)
    portfolio_rows(big, units=20, today=TODAY)
    counts, actor = [], UserFactory(role=Role.GROUP_CENTRE)
    for p in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            selectors.project_dashboard_build(actor=actor, project=p, period=PERIOD, today=TODAY)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_group_dashboard_ranks_projects_below_target_first(monkeypatch, project, other_project):
    monkeypatch.setattr(sections, "FEATURE_SECTIONS", [StubSection({project.pk: (9, 10, 0), other_project.pk: (5, 10, 2)})])
    data = selectors.group_dashboard_build(actor=GROUP, projects=[project, other_project], period=PERIOD, today=TODAY)
    assert [r["project"]["code"] for r in data["rows"]] == [other_project.code, project.code]
    assert [r["failed"] for r in data["rows"]] == [1, 0]


def test_city_rollup_divides_summed_counts_not_averaged_percentages(monkeypatch):
    a, b = ProjectFactory(city="深圳"), ProjectFactory(city="深圳")
    monkeypatch.setattr(sections, "FEATURE_SECTIONS", [StubSection({a.pk: (1, 1, 0), b.pk: (1, 9, 0)})])
    data = selectors.group_dashboard_build(actor=GROUP, projects=[a, b], period=PERIOD, today=TODAY)
    (city,) = data["cities"]
    assert (city["kpis"][0]["num"], city["kpis"][0]["den"], float(city["kpis"][0]["value"])) == (2, 10, 20.0)


def test_cached_dashboard_is_rebuilt_after_invalidation(project, staff):
    first = selectors.project_dashboard(actor=staff, project=project, period=PERIOD)
    portfolio_rows(project, units=2, today=dt.date.today())
    assert selectors.project_dashboard(actor=staff, project=project, period=PERIOD) == first
    selectors.invalidate_project(project.pk)
    assert selectors.project_dashboard(actor=staff, project=project, period=PERIOD)["portfolio"]["units"] == 2
