"""Every number on the dashboards opens a list whose total equals the number.

The test renders the dashboards as a member of staff would, follows each figure's URL (figures,
their "still open" hints, KPI bases, chart bars, heat-map cells) and reads the total the list
page shows. Demo-like rows with a mix of states: received, in progress, on hold, resolved and
closed complaints, some escalated, some overdue, filed inside and before the period, resolved
inside and before it, with follow-up calls; and complaints of another project that must not be
counted anywhere.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from crm_site.dashboards import sections
from estates.models import Role
from tests.dashboards.factories import complaint_rows
from tests.factories import UserFactory

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=SH)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(sections.app_selectors("complaints", "complaint_kpis") is None, reason="no complaints app"),
]


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def demo(frozen, project, other_project):
    """45 complaints in ``project`` (and 20 in another project, which no list may count)."""
    from complaints.models import Complaint

    complaint_rows(project, 45, now=NOW)
    complaint_rows(other_project, 20, now=NOW, shift=1)
    # One complaint filed just before midnight on the period's first day and one just after the
    # last day's midnight boundary: the inclusive days must hold them exactly as the KPIs do.
    first_day = NOW.date() - dt.timedelta(days=29)
    edge = dt.datetime.combine(first_day, dt.time.min, tzinfo=SH)
    for at in (edge - dt.timedelta(seconds=1), edge):
        c = Complaint.objects.create(
            project=project,
            channel="online",
            category="sales",
            title="边界",
            description="…",
            status="received",
            occurred_at=at,
            first_response_due=at + dt.timedelta(hours=24),
            resolution_due=at + dt.timedelta(days=5),
        )
        Complaint.objects.filter(pk=c.pk).update(created_at=at)
    assert Complaint.objects.filter(project=project).values("status").distinct().count() == 5


def inbox_total(client, url) -> int:
    """The total the inbox page shows (its context, and the same number in the page's HTML)."""
    response = client.get(url)
    assert response.status_code == 200, url
    total = response.context["counts"]["total"]
    shown = re.search(r'class="muted inbox-total" data-total="(\d+)"', response.content.decode())
    assert shown and int(shown.group(1)) == total
    return total


def complaints_section(client, project):
    page = client.get(reverse("dashboards:project-dashboard", args=[project.code]) + "?period=30d")
    assert page.status_code == 200
    (section,) = [s for s in page.context["data"]["sections"] if s["key"] == "complaints"]
    return section, page.context["data"]


def test_every_complaint_figure_opens_a_list_of_exactly_that_many(demo, client, project):
    staff = UserFactory(role=Role.CR_STAFF, projects=[project])
    client.force_login(staff)
    section, _data = complaints_section(client, project)
    inbox = reverse("complaints:inbox")
    checked = []
    for f in section["figures"]:
        assert f["url"].startswith(inbox), f["key"]
        assert inbox_total(client, f["url"]) == f["value"], f["key"]
        checked.append(f["key"])
        if f.get("hint_url"):  # "n still open" under the major and hot figures
            n = int(re.search(r"\d+", str(f["hint"])).group())
            assert inbox_total(client, f["hint_url"]) == n, f"{f['key']} (open)"
            checked.append(f"{f['key']}-open")
    assert checked == ["filed", "open", "overdue", "escalated", "major", "major-open", "hot", "hot-open"]
    assert all(f["value"] for f in section["figures"]), "every figure is non-zero in this data, so the test means something"


def test_every_complaint_kpi_opens_the_list_behind_its_base(demo, client, project):
    client.force_login(UserFactory(role=Role.CR_STAFF, projects=[project]))
    section, _data = complaints_section(client, project)
    for k in section["kpis"]:
        assert k["den"] > 0, k["key"]
        assert inbox_total(client, k["url"]) == k["den"], k["key"]
    assert [k["key"] for k in section["kpis"]] == [
        "complaint_satisfaction",
        "complaint_on_time",
        "complaint_closure",
        "complaint_revisit",
    ]


def test_every_complaint_chart_bar_opens_a_list_of_exactly_that_many(demo, client, project):
    client.force_login(UserFactory(role=Role.CR_STAFF, projects=[project]))
    section, _data = complaints_section(client, project)
    bars = 0
    for chart in section["charts"]:
        for row in chart["rows"]:
            if row["link"] is None:
                continue
            # The first series is the count the bar stands for (filed, or complaints by status).
            assert inbox_total(client, row["link"]) == row["values"][0], (chart["id"], row["label"])
            bars += 1
    assert bars >= 6 + 4 + 3  # categories, severities, open statuses


def test_group_page_kpis_and_heat_map_cells_open_exact_lists(demo, client, project, other_project):
    client.force_login(UserFactory(role=Role.GROUP_CENTRE))
    page = client.get(reverse("dashboards:group-dashboard") + "?period=30d")
    data = page.context["data"]
    cells = 0
    for row in data["heatmap"]["rows"]:
        for cell in row["cells"]:
            if cell["value"]:
                assert inbox_total(client, cell["url"]) == cell["value"], (row["label"], cell["url"])
                cells += 1
    assert cells >= 6
    for row in data["rows"]:
        for k in row["kpis"]:
            if k["key"].startswith("complaint_") and k["den"]:
                assert inbox_total(client, k["url"]) == k["den"], (row["project"]["code"], k["key"])


def test_filed_dates_are_inclusive_days_in_shanghai(demo, client, project):
    """filed_from=D holds a complaint filed at 00:00 on D, not one filed a second earlier."""
    client.force_login(UserFactory(role=Role.CR_STAFF, projects=[project]))
    day = (NOW.date() - dt.timedelta(days=29)).isoformat()
    url = reverse("complaints:inbox")
    on_day = inbox_total(client, f"{url}?project={project.code}&filed_from={day}&filed_to={day}&category=sales&q=边界")
    assert on_day == 1
    before = (NOW.date() - dt.timedelta(days=30)).isoformat()
    assert inbox_total(client, f"{url}?project={project.code}&filed_from={before}&filed_to={day}&q=边界") == 2


# --- Risk and defects: the lists that already have the filters ---------------------------------------


def test_risk_figures_and_bars_open_registers_of_exactly_that_many(frozen, client, project):
    from tests.dashboards.test_risk_figures import SPEC, register

    if sections.app_selectors("risk", "risk_project_summary") is None:
        pytest.skip("no risk app")
    register(project, SPEC)
    client.force_login(UserFactory(role=Role.CR_MANAGER, projects=[project]))
    page = client.get(reverse("dashboards:project-dashboard", args=[project.code]) + "?period=30d")
    (section,) = [s for s in page.context["data"]["sections"] if s["key"] == "risk"]
    register_url = reverse("risk:item-list")
    checked = []
    for f in section["figures"]:
        if f["url"].startswith(register_url):
            assert client.get(f["url"]).context["page"].paginator.count == f["value"], f["key"]
            checked.append(f["key"])
    for chart in section["charts"]:
        for row in chart["rows"]:
            assert client.get(row["link"]).context["page"].paginator.count == row["values"][0], row["label"]
    assert checked == ["open_high", "open", "overdue"]


def defect_total(client, url) -> int:
    """The total the defect list shows (its paginator, and the same number in the page's HTML)."""
    response = client.get(url)
    assert response.status_code == 200, url
    total = response.context["page"].paginator.count
    shown = re.search(r'class="muted list-total" data-total="(\d+)"', response.content.decode())
    assert shown and int(shown.group(1)) == total, url
    return total


def test_every_defect_figure_kpi_and_bar_opens_a_list_of_exactly_that_many(frozen, client, project, other_project):
    """Open, overdue, grades, awaiting review, the on-time KPI's base and every bar of both charts;
    the age buckets' edges (30/31 and 90/91 days) and another project's defects included."""
    from defects.models import Defect
    from tests.dashboards.test_defect_figures import TODAY, rows

    if sections.app_selectors("defects", "defect_project_summary") is None:
        pytest.skip("no defects app")
    assert NOW.date() == TODAY
    rows(project)
    rows(other_project)
    # Ages on the bucket edges, open and closed, graded and not.
    for i, (age, status, grade) in enumerate(
        [(30, "reported", ""), (31, "under_review", ""), (90, "graded", "B"), (91, "closed", "A"), (91, "rectifying", "B")],
        start=50,
    ):
        Defect.objects.create(
            project=project,
            series="SJ",
            number=i,
            code=f"SJ{i:02d}",
            title=f"边界{i}",
            description="…",
            source="warranty",
            found_on=TODAY - dt.timedelta(days=age),
            status=status,
            grade=grade,
            due_on=TODAY - dt.timedelta(days=1) if status in Defect.CHASED_STATUSES else None,
        )
    client.force_login(UserFactory(role=Role.CR_MANAGER, projects=[project, other_project]))
    page = client.get(reverse("dashboards:project-dashboard", args=[project.code]) + "?period=90d")
    (section,) = [s for s in page.context["data"]["sections"] if s["key"] == "defects"]
    index = reverse("defects:index")
    checked = []
    for f in section["figures"]:
        if f["url"].split("?")[0] == index:
            assert f["value"], f["key"]
            assert defect_total(client, f["url"]) == f["value"], f["key"]
            checked.append(f["key"])
    assert checked == ["open", "overdue", "grade_a", "grade_b", "ungraded"]
    (k,) = section["kpis"]
    assert k["key"] == "defect_on_time" and k["den"]
    assert defect_total(client, k["url"]) == k["den"]
    bars = {}
    for chart in section["charts"]:
        for row in chart["rows"]:
            assert row["link"], (chart["id"], row["label"])
            assert defect_total(client, row["link"]) == row["values"][0], (chart["id"], row["label"])
            bars[chart["id"]] = bars.get(chart["id"], 0) + 1
    assert bars == {"chart-defect-status": 7, "chart-defect-age": 3}
    (age_chart,) = [c for c in section["charts"] if c["id"] == "chart-defect-age"]
    assert [r["values"][0] for r in age_chart["rows"]] == [4, 4, 2]


def test_group_defect_kpi_opens_the_list_behind_its_base(frozen, client, project, other_project):
    from tests.dashboards.test_defect_figures import SPEC, rows

    if sections.app_selectors("defects", "defect_project_summary") is None:
        pytest.skip("no defects app")
    rows(project)
    rows(other_project, SPEC[:3])
    client.force_login(UserFactory(role=Role.GROUP_CENTRE))
    data = client.get(reverse("dashboards:group-dashboard") + "?period=30d").context["data"]
    seen = 0
    for row in data["rows"]:
        for k in row["kpis"]:
            if k["key"] == "defect_on_time":
                assert k["den"] and defect_total(client, k["url"]) == k["den"], row["project"]["code"]
                seen += 1
    assert seen == 2
