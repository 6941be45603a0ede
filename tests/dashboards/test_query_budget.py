"""Both dashboards, cold (cache cleared), within the issue's budget of 25 SQL queries for the whole
request — the same number for one project as for five, for a few complaints as for many, and
whether the complaint days are settled in the rollup or changed since (counted live)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from estates.models import Role
from tests.dashboards.factories import complaint_rows, portfolio_rows
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
BUDGET = 25
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def queries(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [Role.CR_MANAGER, Role.GROUP_CENTRE])
def test_both_dashboards_keep_to_the_query_budget_whatever_the_rows(client, time_machine, role):
    from complaints.rollups import rollups_refresh

    time_machine.move_to(NOW, tick=False)
    seen = {"project": set(), "group": set()}
    for n_projects, n_complaints, refreshed in ((1, 3, False), (5, 30, False), (5, 30, True)):
        projects = ProjectFactory.create_batch(n_projects)
        for p in projects:
            portfolio_rows(p, units=2, today=NOW.date())
            complaint_rows(p, n_complaints, now=NOW)
        if refreshed:
            rollups_refresh()  # settled days come from the rollup, none counted live
        user = UserFactory(role=role, projects=projects)
        client.force_login(user)
        seen["project"].add(queries(client, reverse("dashboards:project-dashboard", args=[projects[0].code])))
        seen["group"].add(queries(client, reverse("dashboards:group-dashboard")))
    for page, counts in seen.items():
        assert len(counts) == 1, (page, counts)  # constant in projects, rows and rollup state
        assert max(counts) <= BUDGET, (page, counts)
