"""The REST contract for complaints: paths, fields, status codes, filters, ordering, 409s, KPIs."""

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Complaint, ComplaintEvent, Revisit, Severity
from tests.complaints.factories import file_complaint, unit_in
from tests.factories import ContractFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"

BODY = {
    "project": "SZ-GG",
    "channel": "online",
    "category": "construction_quality",
    "title": "客厅墙面开裂",
    "description": "交房三个月，客厅墙面出现多条裂缝。",
}


def post(client, url, data=None, **headers):
    return client.post(url, data or {}, format="json", **headers)


# --- Filing ----------------------------------------------------------------------------------------


def test_file_returns_201_with_the_representation(api, project, clock):
    r = post(api, URL, BODY)
    assert r.status_code == 201
    body = r.json()
    assert {
        k: body[k]
        for k in ("project", "channel", "category", "severity", "status", "escalation_level", "reopen_count", "is_overdue")
    } == {
        "project": "SZ-GG",
        "channel": "online",
        "category": "construction_quality",
        "severity": "ordinary",
        "status": "received",
        "escalation_level": 0,
        "reopen_count": 0,
        "is_overdue": False,
    }
    assert body["first_response_due"] == "2026-03-03T10:00:00+08:00"
    assert body["reference"].startswith("TS260302-")
    assert [e["kind"] for e in body["events"]] == ["filed"]
    assert body["events"][0]["actor"] == "api:sales-a"
    for key in (
        "id",
        "unit",
        "assignee",
        "first_responded_at",
        "resolution_due",
        "resolved_at",
        "closed_at",
        "complainant_count",
        "title",
        "description",
    ):
        assert key in body


def test_info_system_first_response_is_4_hours(api, project, clock):
    r = post(api, URL, {**BODY, "channel": "info_system"})
    assert r.json()["first_response_due"] == "2026-03-02T14:00:00+08:00"


def test_file_with_unit_and_customer(api, project, clock):
    unit = unit_in(project, number="3-1502")
    customer = CustomerFactory(external_id="P-77")
    ContractFactory(unit=unit, customers=[customer])
    r = post(api, URL, {**BODY, "unit": "3-1502", "customer": "P-77", "complainant_count": 10, "lawsuit_filed": True})
    assert r.status_code == 201
    assert (r.json()["unit"], r.json()["customer"], r.json()["severity"]) == ("3-1502", "P-77", "major")


def test_file_with_contact(api, project, clock):
    r = post(api, URL, {**BODY, "contact": {"name": "王先生", "phone": "13800001111"}})
    assert r.json()["contact"] == {"name": "王先生", "phone": "138****1111"}


def test_script_in_description_is_returned_exactly(api, project, clock):
    text = "<script>alert(1)</script>"
    assert post(api, URL, {**BODY, "description": text}).json()["description"] == text


def test_idempotency_key_replays_the_first_response(api, project, clock):
    first = post(api, URL, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    second = post(api, URL, {**BODY, "title": "different"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1


def test_project_outside_the_clients_scope_is_403(api, project, other_project):
    r = post(api, URL, {**BODY, "project": "BJ-XY"})
    assert r.status_code == 403
    assert Complaint.objects.count() == 0


def test_project_outside_a_staff_members_scope_is_404(staff_api, project, other_project):
    r = post(staff_api, URL, {**BODY, "project": "BJ-XY"})
    assert r.status_code == 404
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"channel": "fax"}, "channel"),
        ({"category": "weather"}, "category"),
        ({"complainant_count": 0}, "complainant_count"),
        ({"complainant_count": 10**9}, "complainant_count"),
        ({"unit": "9-999"}, "unit"),
        ({"customer": "NOPE"}, "customer"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, project, change, field):
    r = post(api, URL, {**BODY, **change})
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0


def test_unit_of_another_project_is_400(api, project, other_project):
    unit_in(other_project, number="1-101")
    r = post(api, URL, {**BODY, "unit": "1-101"})
    assert (r.status_code, list(r.json())) == (400, ["unit"])


def test_no_token_is_401(project):
    assert APIClient().post(URL, BODY, format="json").status_code == 401


# --- Reading ---------------------------------------------------------------------------------------


def test_detail_of_another_projects_complaint_is_404(api, other_project, staff):
    c = file_complaint(project=other_project)
    assert api.get(f"{URL}{c.pk}/").status_code == 404
    assert post(api, f"{URL}{c.pk}/respond/", {"message": "x"}).status_code == 404


def test_list_shows_only_the_callers_projects(api, project, other_project):
    mine = file_complaint(project=project)
    file_complaint(project=other_project)
    assert [row["id"] for row in api.get(URL).json()["results"]] == [mine.pk]


def _many(project, n):
    # Each with its own customer, unit and assignee, so a relation loaded per row would show.
    from tests.factories import ContractFactory, UserFactory

    for i in range(n):
        contract = ContractFactory(unit__building__project=project)
        complaint = file_complaint(project=project, title=f"投诉{i}", customer=contract.customers.first(), unit=contract.unit)
        services.complaint_assign(complaint=complaint, actor=None, assignee=UserFactory(projects=[project]))


def test_list_query_count_is_constant(api, project, django_assert_max_num_queries):
    _many(project, 2)
    with django_assert_max_num_queries(6) as small:
        assert api.get(URL).status_code == 200
    _many(project, 18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get(URL).json()["results"]) == 20


def test_filters(api, project, clock):
    a = file_complaint(project=project, channel="hotline", category="property", title="电梯故障", complainant_count=3)
    b = file_complaint(project=project, channel="online", category="sales", title="车位承诺")
    services.complaint_respond(complaint=b, actor=None, message="x")

    def ids(query):
        r = api.get(URL + query)
        assert r.status_code == 200, r.json()
        return [row["id"] for row in r.json()["results"]]

    assert ids("?status=received") == [a.pk]
    assert ids("?severity=hot") == [a.pk]
    assert ids("?category=sales") == [b.pk]
    assert ids("?channel=hotline") == [a.pk]
    assert ids("?project=SZ-GG&ordering=created_at") == [a.pk, b.pk]
    assert ids("?search=电梯") == [a.pk]
    assert ids(f"?search={b.reference}") == [b.pk]
    assert ids("?created_after=2026-03-02T09:00:00%2B08:00") == [b.pk, a.pk]
    assert ids("?created_before=2026-03-01T00:00:00%2B08:00") == []
    assert ids("?overdue=true") == []
    clock.shift(timedelta(hours=3))  # hot hotline first response: 2 working hours
    assert ids("?overdue=true") == [a.pk]
    assert ids("?overdue=false") == [b.pk]


def test_ordering_by_severity_and_resolution_due(api, project, clock):
    low = file_complaint(project=project)
    high = file_complaint(project=project, lawsuit_filed=True)
    assert [r["id"] for r in api.get(URL + "?ordering=-severity").json()["results"]] == [high.pk, low.pk]
    assert [r["id"] for r in api.get(URL + "?ordering=resolution_due").json()["results"]] == [high.pk, low.pk]


@pytest.mark.parametrize("query", ["?ordering=title", "?status=open", "?severity=huge", "?overdue=maybe", "?created_after=soon"])
def test_unknown_filter_values_are_400(api, project, query):
    assert api.get(URL + query).status_code == 400


# --- Actions ---------------------------------------------------------------------------------------


def test_full_flow_over_the_api(api, project, clock):
    pk = post(api, URL, BODY).json()["id"]
    steps = [
        ("respond", {"message": "您好，我们已安排工程师上门"}, "in_progress"),
        ("hold", {"reason": "等待业主约定时间"}, "on_hold"),
        ("resume", {}, "in_progress"),
        ("resolve", {"resolution": "已修补并重新粉刷"}, "resolved"),
        ("revisit", {"satisfied": True, "score": 5, "note": "满意"}, "resolved"),
        ("close", {}, "closed"),
    ]
    for action, data, expected in steps:
        r = post(api, f"{URL}{pk}/{action}/", data)
        assert (action, r.status_code, r.json()["status"]) == (action, 200, expected)
    kinds = [e["kind"] for e in r.json()["events"]]
    assert kinds == ["filed", "responded", "held", "resumed", "resolved", "revisited", "closed"]


def test_action_not_allowed_is_409_and_changes_nothing(api, project, clock):
    pk = post(api, URL, BODY).json()["id"]
    r = post(api, f"{URL}{pk}/resolve/", {"resolution": "x"})
    assert r.status_code == 409
    assert list(r.json()) == ["detail"]
    assert Complaint.objects.get(pk=pk).status == "received"
    assert ComplaintEvent.objects.filter(complaint_id=pk).count() == 1


@pytest.mark.parametrize("action", ["hold", "resume", "close", "revisit", "reopen"])
def test_conflicts_on_a_received_complaint(api, project, action, clock):
    pk = post(api, URL, BODY).json()["id"]
    data = {"reason": "r", "satisfied": True, "score": 3}
    assert post(api, f"{URL}{pk}/{action}/", data).status_code == 409


def test_action_on_a_closed_complaint_is_409(api, project, clock):
    c = file_complaint(project=project)
    services.complaint_respond(complaint=c, actor=None, message="x")
    services.complaint_resolve(complaint=c, actor=None, resolution="x")
    services.complaint_revisit(complaint=c, actor=None, satisfied=True, score=4)
    services.complaint_close(complaint=c, actor=None)
    for action, data in (("respond", {"message": "x"}), ("hold", {"reason": "x"}), ("resolve", {"resolution": "x"})):
        assert post(api, f"{URL}{c.pk}/{action}/", data).status_code == 409


def test_close_without_revisit_is_409(api, project, clock):
    c = file_complaint(project=project)
    services.complaint_respond(complaint=c, actor=None, message="x")
    services.complaint_resolve(complaint=c, actor=None, resolution="x")
    assert post(api, f"{URL}{c.pk}/close/").status_code == 409
    assert Complaint.objects.get().status == "resolved"


def test_revisit_score_7_is_400(api, project, clock):
    c = file_complaint(project=project)
    services.complaint_respond(complaint=c, actor=None, message="x")
    services.complaint_resolve(complaint=c, actor=None, resolution="x")
    r = post(api, f"{URL}{c.pk}/revisit/", {"satisfied": True, "score": 7})
    assert (r.status_code, list(r.json())) == (400, ["score"])
    assert Revisit.objects.count() == 0


def test_reopen_raises_to_important(api, project, clock):
    c = file_complaint(project=project)
    services.complaint_respond(complaint=c, actor=None, message="x")
    services.complaint_resolve(complaint=c, actor=None, resolution="x")
    body = post(api, f"{URL}{c.pk}/reopen/", {"reason": "又开裂了"}).json()
    assert (body["status"], body["severity"], body["reopen_count"]) == ("in_progress", "important", 1)


def test_assign_by_username(api, project, staff, clock):
    c = file_complaint(project=project)
    assert post(api, f"{URL}{c.pk}/assign/", {"assignee": "staff_a"}).json()["assignee"] == "staff_a"
    r = post(api, f"{URL}{c.pk}/assign/", {"assignee": "nobody"})
    assert (r.status_code, list(r.json())) == (400, ["assignee"])


def test_escalate_and_set_severity(staff_api, project, staff, clock):
    c = file_complaint(project=project)
    assert post(staff_api, f"{URL}{c.pk}/escalate/", {"reason": "业主要求见经理"}).json()["escalation_level"] == 1
    r = post(staff_api, f"{URL}{c.pk}/set-severity/", {"severity": "hot", "reason": "x"})
    assert r.status_code == 409  # handler role may not set severity
    manager_api = APIClient()
    manager_api.force_authenticate(UserFactory(role="cr_manager", projects=[project]))
    assert (
        post(manager_api, f"{URL}{c.pk}/set-severity/", {"severity": "hot", "reason": "可能引发媒体曝光"}).json()["severity"]
        == "hot"
    )


# --- KPIs ------------------------------------------------------------------------------------------


def test_kpis_follow_the_contract_definitions(api, project, other_project, clock):
    def done(satisfied, late=False):
        c = file_complaint(project=project, title=f"投诉 {Complaint.objects.count()} 号", contact_name="同一业主")
        if late:
            clock.shift(timedelta(hours=25))
        services.complaint_respond(complaint=c, actor=None, message="x")
        services.complaint_resolve(complaint=c, actor=None, resolution="x")
        if satisfied is not None:
            services.complaint_revisit(complaint=c, actor=None, satisfied=satisfied, score=5 if satisfied else 2)
            services.complaint_close(complaint=c, actor=None)
        return c

    done(True)
    done(True)
    done(False)
    done(None, late=True)  # answered after 25 h: not on time; no revisit
    file_complaint(project=project, title="另一个问题", contact_name="同一业主")  # filed, still open
    file_complaint(project=other_project)  # outside scope
    r = api.get(URL + "kpis/?project=SZ-GG&from=2026-03-01&to=2026-03-31")
    assert r.status_code == 200
    body = r.json()
    assert (body["satisfaction_rate"], body["on_time_rate"], body["closure_rate"], body["revisit_rate"]) == (
        0.6667,
        0.75,
        0.6,
        0.75,
    )
    assert body["targets"] == {"satisfaction_rate": 0.8, "on_time_rate": 0.9, "closure_rate": 1.0, "revisit_rate": 1.0}
    assert body["by_category"]["construction_quality"] == {"filed": 5, "closed": 3}
    assert body["by_severity"]["ordinary"] == {"filed": 5, "closed": 3}


def test_kpis_are_null_with_nothing_to_measure(api, project):
    body = api.get(URL + "kpis/?from=2020-01-01&to=2020-01-31").json()
    assert [body[k] for k in ("satisfaction_rate", "on_time_rate", "closure_rate", "revisit_rate")] == [None, None, None, None]


def test_kpis_bad_dates_are_400_and_foreign_project_404(api, project, other_project):
    assert api.get(URL + "kpis/?from=2026-03-31&to=2026-03-01").status_code == 400
    assert api.get(URL + "kpis/?from=someday").status_code == 400
    assert api.get(URL + "kpis/?project=BJ-XY").status_code == 404


def test_schema_describes_the_complaint_endpoints(api, staff_client):
    schema = staff_client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/complaints/",
        "/api/v1/complaints/{id}/respond/",
        "/api/v1/complaints/kpis/",
        "/api/v1/complaints/{id}/close/",
    ):
        assert path in schema


def test_kpi_selector_runs_a_fixed_number_of_queries(project, staff, django_assert_num_queries):
    from complaints.selectors import complaint_kpis

    file_complaint(project=project)
    staff._touchstone_project_ids = [project.pk]
    with django_assert_num_queries(3):
        complaint_kpis(actor=staff, project=project, start=date(2026, 1, 1), end=date(2026, 12, 31))


def test_severity_rank_is_stored(project):
    assert file_complaint(project=project, media_exposed=True).severity == Severity.MAJOR


def test_project_summary_counts_in_two_queries(project, staff, clock, django_assert_num_queries):
    from complaints.selectors import complaint_project_summary

    file_complaint(project=project, title="一", category="sales")
    file_complaint(project=project, title="二", lawsuit_filed=True)
    clock.shift(timedelta(days=2))
    staff._touchstone_project_ids = [project.pk]
    with django_assert_num_queries(2):
        summary = complaint_project_summary(actor=staff, project=project)
    assert (summary["total"], summary["open"], summary["overdue"]) == (2, 2, 2)
    assert summary["by_category"]["sales"] == 1
    assert summary["by_severity"]["major"] == 1
    assert summary["by_status"]["received"] == 2
