"""Complaints per 100 households by segment (the segments page): complaints filed in the period by
customers of the segment / the segment's households × 100, aggregated in the database through the
complaints selector, equal to a count made independently from the rows."""

import json
import re
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint
from estates import selectors as estates_selectors
from segments import selectors, services
from segments.models import CustomerSegment, Segment
from tests.complaints.conftest import _rules_seeded  # noqa: F401 - autouse: the SLA policies complaints need
from tests.complaints.factories import file_complaint
from tests.segments.conftest import buyer_in

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START, END = date(2026, 3, 1), date(2026, 5, 31)


def at(day: date, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI)


def file_at(time_machine, moment, project, actor, customer=None, **kw):
    time_machine.move_to(moment, tick=False)
    if customer is None:
        kw.setdefault("contact_name", "路人")
        kw.setdefault("contact_phone", "13700000000")
    return file_complaint(project=project, actor=actor, customer=customer, **kw)


def classified(project, n, **facts):
    customers = [buyer_in(project, **facts) for _ in range(n)]
    services.customer_segments_recompute(customer_ids=[c.pk for c in customers])
    return customers


@pytest.fixture
def population(project, other_project, staff, time_machine):
    """Households in four segments plus unclassified ones, and complaints in and out of the period."""
    time_machine.move_to(at(START - timedelta(days=30)), tick=False)
    affluent = classified(project, 2, income_band="high")
    education = classified(project, 4, children_ages=[7])
    young = classified(project, 5)
    classified(project, 3, income_band="low")  # pragmatic: households, no complaints
    unclassified = [buyer_in(project) for _ in range(2)]  # never recomputed: no segment
    elsewhere = classified(other_project, 2, income_band="high")  # another project's affluent owners
    for moment, customer in [
        (at(START, 0, 0, 0), affluent[0]),  # the first second of the period
        (at(START + timedelta(days=3)), affluent[0]),
        (at(END, 23, 59, 59), affluent[1]),  # the last second
        (at(END + timedelta(days=1), 0, 0, 0), affluent[1]),  # the first second after it
        (at(START - timedelta(days=1), 23, 59, 59), education[0]),  # the last second before it
        (at(START + timedelta(days=10)), education[1]),
        (at(START + timedelta(days=20)), young[0]),
        (at(START + timedelta(days=21)), young[1]),
        (at(START + timedelta(days=22)), young[2]),
        (at(START + timedelta(days=23)), unclassified[0]),
        (at(START + timedelta(days=24)), None),  # a contact only
    ]:
        file_at(time_machine, moment, project, staff, customer)
    time_machine.move_to(at(START + timedelta(days=5)), tick=False)
    file_complaint(project=other_project, actor=None, customer=elsewhere[0], channel="hotline")
    return {"affluent": affluent, "elsewhere": elsewhere}


def independent(actor, project=None):
    """Count from the rows in Python: no grouping, no joins beyond the ids."""
    lo = at(START, 0, 0, 0)
    hi = at(END + timedelta(days=1), 0, 0, 0)
    customers = set(estates_selectors.customer_list(actor=actor, project=project).values_list("pk", flat=True))
    segment_of = dict(CustomerSegment.objects.filter(segment__isnull=False).values_list("customer_id", "segment__code"))
    visible = set(actor.projects.values_list("pk", flat=True)) if project is None else {project.pk}
    households, complaints = {}, {}
    for pk in customers:
        code = segment_of.get(pk)
        households[code] = households.get(code, 0) + 1
    for c in Complaint.objects.all():
        if c.project_id in visible and lo <= c.created_at < hi and c.customer_id is not None:
            code = segment_of.get(c.customer_id)
            complaints[code] = complaints.get(code, 0) + 1
    return households, complaints


def test_each_figure_equals_an_independent_count(population, staff):
    rates = selectors.segment_complaint_rates(actor=staff, start=START, end=END)
    households, complaints = independent(staff)
    for row in rates["rows"]:
        h, n = households.get(row["code"], 0), complaints.get(row["code"], 0)
        assert (row["households"], row["complaints"]) == (h, n), row["code"]
        assert row["per_100"] == (n * 100 / h if h else None)
    assert (rates["unclassified"]["households"], rates["unclassified"]["complaints"]) == (households[None], complaints[None])
    assert rates["total"]["complaints"] == sum(complaints.values())
    by_code = {r["code"]: r for r in rates["rows"]}
    # And by hand: affluent 2 households, 3 complaints in the period (its first second, a day, its last second).
    assert (by_code["affluent"]["complaints"], by_code["affluent"]["per_100"]) == (3, 150.0)
    assert (by_code["education_first"]["complaints"], by_code["education_first"]["per_100"]) == (1, 25.0)
    assert (by_code["young_professional"]["complaints"], by_code["young_professional"]["per_100"]) == (3, 60.0)
    assert (by_code["pragmatic"]["complaints"], by_code["pragmatic"]["per_100"]) == (0, 0.0)
    assert (by_code["health_elder"]["households"], by_code["health_elder"]["per_100"]) == (0, None)
    assert (rates["unclassified"]["complaints"], rates["without_customer"]) == (1, 1)


def test_group_users_see_every_project_and_a_project_filter_narrows(population, group_user, project, other_project):
    everything = selectors.segment_complaint_rates(actor=group_user, start=START, end=END)
    affluent = next(r for r in everything["rows"] if r["code"] == "affluent")
    assert (affluent["households"], affluent["complaints"]) == (4, 4)
    only_other = selectors.segment_complaint_rates(actor=group_user, start=START, end=END, project=other_project)
    affluent = next(r for r in only_other["rows"] if r["code"] == "affluent")
    assert (affluent["households"], affluent["complaints"], affluent["per_100"]) == (2, 1, 50.0)


def test_staff_do_not_count_another_projects_complaints(population, staff):
    rates = selectors.segment_complaint_rates(actor=staff, start=START, end=END)
    assert next(r for r in rates["rows"] if r["code"] == "affluent")["households"] == 2  # not the other project's


def test_the_figures_take_a_fixed_number_of_queries(project, staff, time_machine):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.segment_complaint_rates(actor=staff, start=START, end=END)
        return len(ctx.captured_queries)

    few = classified(project, 1, income_band="high")
    file_at(time_machine, at(START + timedelta(days=1)), project, staff, few[0])
    first = queries()  # reads the actor's project ids once (cached on the actor)
    small = queries()
    for customer in classified(project, 6, children_ages=[3]) + classified(project, 4, income_band="low"):
        file_at(time_machine, at(START + timedelta(days=2)), project, staff, customer)
    assert (first, small, queries()) == (4, 3, 3)  # households by segment, the segments, complaints by segment


# --- the page ----------------------------------------------------------------------------------


def _chart(html):
    return json.loads(re.search(r'id="segment-complaint-chart-data"[^>]*>(.*?)</script>', html, re.S).group(1))


def test_the_page_shows_the_table_and_chart_in_chinese(population, staff_client):
    response = staff_client.get("/segments/", {"start": START.isoformat(), "end": END.isoformat()})
    html = response.content.decode()
    assert response.status_code == 200
    for label in (
        "每百户投诉数",
        ">户数</th>",
        ">投诉数</th>",
        ">每百户投诉</th>",
        "2026-03-01 至 2026-05-31",
        ">投诉期间</label>",
    ):
        assert label in html
    table = re.search(r'<table[^>]*id="segment-complaint-rates".*?</table>', html, re.S).group(0)
    affluent = re.search(r'<tr data-segment="affluent">(.*?)</tr>', table, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', affluent) == ["2", "3", "150.0"]
    assert "富贵之家" in affluent
    codes = list(Segment.objects.order_by("order", "code").values_list("code", flat=True))
    expected = {"affluent": 150.0, "education_first": 25.0, "young_professional": 60.0, "pragmatic": 0.0, "health_elder": None}
    data = _chart(html)
    assert data["values"] == [expected[c] for c in codes]
    assert data["series"] == "每百户投诉数"
    assert "1 条投诉没有客户档案" in html


def test_the_page_runs_the_same_queries_for_few_and_many_complaints(project, staff, staff_client, time_machine):
    customers = classified(project, 2, income_band="high")
    file_at(time_machine, at(START + timedelta(days=1)), project, staff, customers[0])
    params = {"start": START.isoformat(), "end": END.isoformat()}
    staff_client.get("/segments/", params)
    with CaptureQueriesContext(connection) as few:
        staff_client.get("/segments/", params)
    for customer in classified(project, 8, children_ages=[5]):
        file_at(time_machine, at(START + timedelta(days=3)), project, staff, customer)
        file_at(time_machine, at(START + timedelta(days=4)), project, staff, customer)
    with CaptureQueriesContext(connection) as many:
        staff_client.get("/segments/", params)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-06-01", "end": "2026-05-01"},
        {"start": "not a date"},
        {"end": "9999-12-31"},
        {"start": "0001-01-01"},
        {"start": "2000-01-01", "end": "2026-01-01"},
    ],
)
def test_a_bad_period_shows_an_error_and_the_last_365_days(staff_client, project, params, time_machine):
    time_machine.move_to(at(END), tick=False)
    response = staff_client.get("/segments/", params)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="period-errors"' in html
    assert f"{(END - timedelta(days=364)).isoformat()} 至 {END.isoformat()}" in html


def test_the_default_period_is_the_last_365_days(staff_client, project, time_machine):
    time_machine.move_to(at(END), tick=False)
    html = staff_client.get("/segments/").content.decode()
    assert "2025-06-01 至 2026-05-31" in html
    assert 'id="period-errors"' not in html
