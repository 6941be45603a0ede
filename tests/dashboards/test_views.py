import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm_site.dashboards import sections
from crm_site.models import ScorecardActual, ScorecardMeasure
from estates.models import Role
from tests.dashboards.factories import StubSection, portfolio_rows
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_home_redirects_to_the_first_project_dashboard(client, staff, project):
    login(client, staff)
    response = client.get("/")
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("dashboards:project-dashboard", args=[project.code])


def test_home_without_projects_shows_an_empty_state(client, db):
    login(client, UserFactory(role=Role.CR_STAFF))
    response = client.get(reverse("dashboards:project-dashboard-home"))
    assert response.status_code == 200
    assert "dashboards/no_projects.html" in [t.name for t in response.templates]


def test_project_dashboard_shows_portfolio_counts(client, staff, project):
    portfolio_rows(project, units=4)
    response = login(client, staff).get(reverse("dashboards:project-dashboard", args=[project.code]))
    assert response.status_code == 200
    assert [f["value"] for f in response.context["portfolio_figures"]][:3] == [4, 4, 4]


def test_staff_of_a_gets_404_on_the_dashboard_of_b(client, staff, other_project):
    response = login(client, staff).get(reverse("dashboards:project-dashboard", args=[other_project.code]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["scorecard", "scorecard-edit", "report-list"])
def test_staff_of_a_gets_404_on_the_other_pages_of_b(client, manager, other_project, name):
    response = login(client, manager).get(reverse(f"dashboards:{name}", args=[other_project.code]))
    assert response.status_code == 404


def test_group_dashboard_lists_only_own_projects(client, staff, project, other_project):
    response = login(client, staff).get(reverse("dashboards:group-dashboard"))
    codes = [r["project"]["code"] for r in response.context["data"]["rows"]]
    assert codes == [project.code]
    assert other_project.name not in response.content.decode()


def test_group_user_sees_every_project(client, group_user, project, other_project):
    response = login(client, group_user).get(reverse("dashboards:group-dashboard"))
    assert sorted(r["project"]["code"] for r in response.context["data"]["rows"]) == sorted([project.code, other_project.code])


def test_group_page_query_count_is_the_same_for_one_and_five_projects(client, django_assert_num_queries, db):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 5):
        cache.clear()
        user = UserFactory(role=Role.CR_MANAGER, projects=ProjectFactory.create_batch(n))
        for p in user.projects.all():
            portfolio_rows(p, units=2)
        login(client, user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("dashboards:group-dashboard")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_bad_period_falls_back_instead_of_erroring(client, staff, project):
    response = login(client, staff).get(reverse("dashboards:project-dashboard", args=[project.code]) + "?period=%27;drop")
    assert response.status_code == 200
    assert response.context["period"].key == "90d"


def test_kpi_cards_link_to_the_list_behind_them(client, staff, project, monkeypatch):
    stub = StubSection({project.pk: (1, 2, 0)})
    original = stub._kpis
    stub._kpis = lambda pid: [{**k, "url": "/complaints/?project=SZ-GG&late=1"} for k in original(pid)]
    monkeypatch.setattr(sections, "FEATURE_SECTIONS", [stub])
    body = login(client, staff).get(reverse("dashboards:project-dashboard", args=[project.code])).content.decode()
    assert 'href="/complaints/?project=SZ-GG&amp;late=1"' in body


def test_group_export_is_an_excel_file_of_the_visible_projects(client, staff, project, other_project):
    response = login(client, staff).get(reverse("dashboards:group-export"))
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == [project.code]


# --- scorecard -----------------------------------------------------------------------------------

def test_manager_seeds_the_standard_scorecard_once(client, manager, project):
    login(client, manager)
    client.post(reverse("dashboards:scorecard-seed", args=[project.code]))
    count = ScorecardMeasure.objects.filter(objective__project=project).count()
    client.post(reverse("dashboards:scorecard-seed", args=[project.code]))
    assert ScorecardMeasure.objects.filter(objective__project=project).count() == count == 13


def test_staff_may_read_but_not_change_the_scorecard(client, staff, project):
    login(client, staff)
    assert client.get(reverse("dashboards:scorecard", args=[project.code])).status_code == 200
    assert client.post(reverse("dashboards:scorecard-seed", args=[project.code])).status_code == 403
    assert client.get(reverse("dashboards:scorecard-edit", args=[project.code])).status_code == 403
    assert not ScorecardMeasure.objects.exists()


def test_manager_adds_a_measure_and_records_its_actual(client, manager, project):
    login(client, manager)
    url = reverse("dashboards:scorecard-edit", args=[project.code]) + "?month=2026-10"
    client.post(url, {"add_measure": "1", "new-perspective": "learning", "new-objective_title": "员工能力", "new-name": "培训课时",
                      "new-unit": "小时", "new-target": "16", "new-direction": "gte", "new-kpi_key": ""})
    measure = ScorecardMeasure.objects.get(objective__project=project, name="培训课时")
    client.post(url, {"save_actuals": "1", "month": "2026-10", f"a-m{measure.pk}": "18"})
    actual = ScorecardActual.objects.get(measure=measure)
    assert (actual.month, actual.value, actual.recorded_by) == (dt.date(2026, 10, 1), 18, manager)
    page = client.get(reverse("dashboards:scorecard", args=[project.code]) + "?month=2026-10")
    (row,) = [m for p in page.context["perspectives"] for o in p["objectives"] for m in o["measures"]]
    assert (row["actual"], row["met"]) == (18, True)


def test_bad_measure_input_writes_nothing(client, manager, project):
    login(client, manager)
    response = client.post(reverse("dashboards:scorecard-edit", args=[project.code]),
                           {"add_measure": "1", "new-perspective": "nonsense", "new-objective_title": " ", "new-name": "x",
                            "new-target": "abc", "new-direction": "gte"})
    assert response.status_code == 200
    assert set(response.context["measure_form"].errors) == {"perspective", "objective_title", "target"}
    assert not ScorecardMeasure.objects.exists()


def test_customer_measures_are_filled_from_live_kpis(client, manager, project, monkeypatch):
    monkeypatch.setattr(sections, "FEATURE_SECTIONS", [StubSection({project.pk: (17, 20, 0)})])
    login(client, manager)
    client.post(reverse("dashboards:scorecard-seed", args=[project.code]))
    page = client.get(reverse("dashboards:scorecard", args=[project.code]))
    rows = {m["measure"].kpi_key: m for p in page.context["perspectives"] for o in p["objectives"] for m in o["measures"]}
    assert (float(rows["complaint_on_time"]["actual"]), rows["complaint_on_time"]["met"]) == (85.0, False)
    assert rows["complaint_satisfaction"]["actual"] is None


def test_manager_of_a_cannot_delete_a_measure_of_b(client, manager, other_project):
    from crm_site.dashboards.scorecard import scorecard_seed_defaults

    scorecard_seed_defaults(project=other_project, actor=UserFactory(role=Role.GROUP_CENTRE))
    measure = ScorecardMeasure.objects.first()
    response = login(client, manager).post(reverse("dashboards:scorecard-measure-delete", args=[other_project.code, measure.pk]))
    assert response.status_code == 404
    assert ScorecardMeasure.objects.filter(pk=measure.pk).exists()


def test_project_export_is_an_excel_file_of_the_dashboard(client, staff, project):
    portfolio_rows(project, units=3)
    response = login(client, staff).get(reverse("dashboards:project-export", args=[project.code]) + "?period=30d")
    book = load_workbook(io.BytesIO(response.content))
    overview = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert (overview["项目"], overview["房屋"]) == (f"{project.name} ({project.code})", 3)


def test_project_export_of_another_project_is_404(client, staff, other_project):
    assert login(client, staff).get(reverse("dashboards:project-export", args=[other_project.code])).status_code == 404


def test_a_chart_of_nothing_but_zeros_says_so_instead_of_drawing_empty_axes():
    from crm_site.dashboards import charts

    zeros = charts.block(id="c", title="t", headers=["a", "b"], spec=charts.chart(kind="bar", categories=["x"], series=[{"name": "n", "data": [0]}]))
    some = charts.block(id="c", title="t", headers=["a", "b"], spec=charts.chart(kind="bar", categories=["x"], series=[{"name": "n", "data": [2]}]))
    assert (zeros["empty"], some["empty"]) == (True, False)
