"""Staff pages: inbox, intake, complaint page and its actions, cases, clusters, reports, KPIs, panel."""

from datetime import date, timedelta

import pytest
from django.test import Client

from complaints import services
from complaints.models import Case, Complaint, ComplaintEvent
from complaints.reports import weekly_report_build
from tests.complaints.factories import file_complaint, unit_in
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def login(user):
    client = Client()
    client.force_login(user)
    return client


# --- Inbox -----------------------------------------------------------------------------------------


def test_inbox_lists_counts_and_highlights_overdue(staff_client, project, clock):
    file_complaint(project=project, title="电梯停运", lawsuit_filed=True)
    file_complaint(project=project, title="门窗渗水", channel="info_system")
    clock.shift(timedelta(hours=5))
    r = staff_client.get("/complaints/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "电梯停运" in html and "门窗渗水" in html
    assert r.context["counts"] == {"total": 2, "overdue": 2, "major": 1, "hot": 0, "important": 0, "ordinary": 1}
    assert [row["overdue"] for row in r.context["rows"]] == [True, True]
    assert html.count('<tr class="overdue">') == 2
    assert 'class="countdown" data-due="2026-03-02T14:00:00+08:00"' in html


def test_inbox_filters(staff_client, project, clock):
    file_complaint(project=project, title="电梯停运", category="property")
    file_complaint(project=project, title="车位纠纷", category="sales")
    r = staff_client.get("/complaints/?category=sales")
    assert [row["c"].title for row in r.context["rows"]] == ["车位纠纷"]
    r = staff_client.get("/complaints/?q=电梯")
    assert [row["c"].title for row in r.context["rows"]] == ["电梯停运"]


def test_inbox_query_count_is_constant(staff_client, project, django_assert_max_num_queries):
    for i in range(2):
        file_complaint(project=project, title=f"问题{i}")
    with django_assert_max_num_queries(20) as small:
        staff_client.get("/complaints/")
    for i in range(18):
        file_complaint(project=project, title=f"更多问题{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = staff_client.get("/complaints/")
    assert len(r.context["rows"]) == 20


def test_inbox_shows_only_the_staffs_projects(staff_client, project, other_project):
    file_complaint(project=other_project, title="别的项目")
    assert "别的项目" not in staff_client.get("/complaints/").content.decode()


def _django_widget(widget):
    """The stock Django widget a lean one stands for, with the same attributes and choices."""
    from django import forms

    from complaints.forms import LeanDateInput, LeanSelect

    if isinstance(widget, LeanSelect):
        return forms.Select(attrs=dict(widget.attrs), choices=widget.choices)
    if isinstance(widget, LeanDateInput):
        return forms.DateInput(attrs={**widget.attrs, "type": widget.input_type}, format=widget.format)
    return forms.TextInput(attrs=dict(widget.attrs))


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"project": "SZ-GG", "status": "in_progress", "severity": "3", "filed_from": "2026-03-01", "q": "电梯"},
        {"status": "bogus", "severity": "9", "filed_from": "notadate", "q": '<script>"x"</script>&'},
        {"overdue": "yes", "assignee": "none", "open": "no", "escalated": "yes", "revisited_to": "2026-02-28"},
    ],
)
def test_inbox_filter_form_renders_as_djangos_widgets(data, project):
    """The filter form writes its HTML in Python: byte for byte what Django's templates write
    (ids, selected option, values, aria-invalid on errors, escaping), including a project whose
    name needs escaping."""
    from complaints.forms import InboxFilterForm
    from tests.factories import ProjectFactory

    odd = ProjectFactory(code="X&<1>", name='<b>"花园"</b> & co')
    form = InboxFilterForm(data, projects=[project, odd])
    form.is_valid()
    for bound in form:
        assert str(bound) == bound.as_widget(widget=_django_widget(bound.field.widget)), bound.name
    assert "&lt;b&gt;&quot;花园&quot;&lt;/b&gt; &amp; co" in str(form["project"])


def test_inbox_rows_link_and_escape(staff_client, project, clock):
    from django.urls import reverse
    from django.utils.text import Truncator

    c = file_complaint(project=project, title="<img src=x onerror=alert(1)>" + "长" * 60)
    r = staff_client.get("/complaints/")
    html = r.content.decode()
    row = r.context["rows"][0]
    assert row["href"] == reverse("complaints:detail", kwargs={"pk": c.pk})
    assert f'<a href="{row["href"]}">' in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert row["title"] == Truncator(c.title).chars(40) and len(row["title"]) == 40
    assert row["category"] == c.get_category_display() and row["status"] == c.get_status_display()


# --- Complaint page --------------------------------------------------------------------------------


def test_other_projects_complaint_is_404(staff_client, other_project):
    c = file_complaint(project=other_project)
    assert staff_client.get(f"/complaints/{c.pk}/").status_code == 404
    assert staff_client.post(f"/complaints/{c.pk}/respond/", {"message": "x"}).status_code == 404
    assert Complaint.objects.get().status == "received"


def test_description_is_escaped(staff_client, project):
    c = file_complaint(project=project, description="<script>alert('x')</script>")
    html = staff_client.get(f"/complaints/{c.pk}/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_page_shows_one_form_per_allowed_action(staff_client, project):
    c = file_complaint(project=project)
    names = [a["name"] for a in staff_client.get(f"/complaints/{c.pk}/").context["actions"]]
    assert names == ["respond", "assign", "escalate", "set-severity"]


def test_action_form_moves_the_complaint(staff_client, project, staff):
    c = file_complaint(project=project)
    r = staff_client.post(f"/complaints/{c.pk}/respond/", {"message": "您好"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.assignee) == ("in_progress", staff)


def test_action_with_bad_input_shows_form_errors_and_writes_nothing(staff_client, project):
    c = file_complaint(project=project)
    r = staff_client.post(f"/complaints/{c.pk}/respond/", {"message": ""})
    assert r.status_code == 400
    assert "respond" in [a["name"] for a in r.context["actions"] if a["form"].errors]
    assert ComplaintEvent.objects.count() == 1


def test_action_not_allowed_is_a_message_not_a_change(staff_client, project):
    c = file_complaint(project=project)
    r = staff_client.post(f"/complaints/{c.pk}/hold/", {"reason": "x"}, follow=True)
    assert r.status_code == 200
    assert [m.level_tag for m in r.context["messages"]] == ["error"]
    assert Complaint.objects.get().status == "received"


def test_unknown_action_is_404(staff_client, project):
    c = file_complaint(project=project)
    assert staff_client.post(f"/complaints/{c.pk}/explode/").status_code == 404


def test_revisit_score_seven_is_a_form_error(staff_client, project, staff):
    c = file_complaint(project=project)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    services.complaint_resolve(complaint=c, actor=staff, resolution="x")
    r = staff_client.post(f"/complaints/{c.pk}/revisit/", {"satisfied": "yes", "score": "7"})
    assert r.status_code == 400
    assert c.revisits.count() == 0


# --- Intake ----------------------------------------------------------------------------------------


def test_intake_finds_the_customer_by_phone_and_unit(staff_client, project):
    unit = unit_in(project, number="5-0801")
    customer = CustomerFactory(name="李女士", phone="13912345678")
    ContractFactory(unit=unit, customers=[customer])
    by_phone = staff_client.get("/complaints/new/?find=13912345678")
    by_unit = staff_client.get("/complaints/new/?find=5-0801")
    assert [m["customer"] for m in by_phone.context["matches"]] == [customer]
    assert [m["customer"] for m in by_unit.context["matches"]] == [customer]
    assert [k.unit.number for k in by_unit.context["matches"][0]["contracts"]] == ["5-0801"]


def test_intake_files_a_hotline_complaint(staff_client, project, staff):
    unit = unit_in(project, number="5-0801")
    customer = CustomerFactory(name="李女士")
    ContractFactory(unit=unit, customers=[customer])
    r = staff_client.post(
        "/complaints/new/",
        {
            "project": "SZ-GG",
            "customer": customer.pk,
            "unit": "5-0801",
            "contact_name": "李女士",
            "channel": "hotline",
            "category": "construction_quality",
            "title": "阳台渗水",
            "description": "下雨后阳台积水",
            "complainant_count": 1,
        },
    )
    c = Complaint.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/complaints/{c.pk}/"
    assert (c.customer, c.unit, c.channel, c.assignee) == (customer, unit, "hotline", staff)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"complainant_count": "0"}, "complainant_count"),
        ({"complainant_count": "1000000000"}, "complainant_count"),
        ({"category": "weather"}, "category"),
        ({"unit": "99-9999"}, "unit"),
        ({"contact_name": ""}, "contact_name"),
        ({"description": "x" * 5001}, "description"),
        ({"project": "BJ-XY"}, "project"),
    ],
)
def test_intake_bad_input_is_a_form_error(staff_client, project, other_project, change, field):
    data = {
        "project": "SZ-GG",
        "contact_name": "王先生",
        "channel": "hotline",
        "category": "other",
        "title": "t",
        "description": "d",
        "complainant_count": "1",
        **change,
    }
    r = staff_client.post("/complaints/new/", data)
    assert r.status_code == 400
    assert field in r.context["form"].errors
    assert Complaint.objects.count() == 0


# --- Cases, clusters, reports, KPIs, panel ---------------------------------------------------------


def test_case_write_and_search(project, group_user):
    c = file_complaint(project=project, lawsuit_filed=True)
    client = login(group_user)
    r = client.post(
        f"/complaints/{c.pk}/case/",
        {"title": "业主起诉案例", "background": "b", "causes": "c", "handling": "h", "lessons": "教训"},
    )
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/complaints/cases/{case.pk}/"
    assert [x.pk for x in client.get("/complaints/cases/?q=教训").context["page"]] == [case.pk]


def test_case_of_another_project_is_404(staff_client, other_project, group_user):
    c = file_complaint(project=other_project, lawsuit_filed=True)
    case = services.case_write(complaint=c, actor=group_user, title="t", background="b", causes="c", handling="h", lessons="l")
    assert staff_client.get(f"/complaints/cases/{case.pk}/").status_code == 404


def test_clusters_page_lists_the_warning(staff_client, project, staff):
    for i in range(3):
        file_complaint(project=project, title="小区东门道闸经常坏", contact_name=f"业主{i}")
    r = staff_client.get("/complaints/clusters/")
    assert [cl.complainant_count for cl in r.context["page"]] == [3]
    cluster = r.context["page"][0]
    detail = staff_client.get(f"/complaints/clusters/{cluster.pk}/")
    assert len(detail.context["members"]) == 3


def test_cluster_of_another_project_is_404(staff_client, other_project):
    c = file_complaint(project=other_project)
    assert staff_client.get(f"/complaints/clusters/{c.cluster_id}/").status_code == 404


def test_reports_for_the_group_centre_only(staff_client, group_user, project, clock):
    file_complaint(project=project)
    weekly_report_build(week_start=date(2026, 3, 2))
    client = login(group_user)
    assert client.get("/complaints/reports/").status_code == 200
    assert client.get("/complaints/reports/2026-03-02/").status_code == 200
    xlsx = client.get("/complaints/reports/2026-03-02/xlsx/")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert staff_client.get("/complaints/reports/").status_code == 404
    assert client.get("/complaints/reports/not-a-date/").status_code == 404


def test_kpis_page(staff_client, project, clock):
    file_complaint(project=project)
    r = staff_client.get("/complaints/kpis/?from=2026-03-01&to=2026-03-31")
    assert r.status_code == 200
    assert r.context["summary"]["total"] == 1


def test_customer_page_panel_lists_the_customers_complaints(staff_client, project, other_project):
    unit = unit_in(project)
    customer = CustomerFactory()
    ContractFactory(unit=unit, customers=[customer])
    ContractFactory(unit=unit_in(other_project), customers=[customer])  # owns in both (filing checks it)
    mine = file_complaint(project=project, customer=customer, title="我的投诉")
    file_complaint(project=other_project, customer=customer, title="别处投诉")
    html = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert mine.reference in html
    assert "别处投诉" not in html
