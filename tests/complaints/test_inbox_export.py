"""The inbox's new filters (open, escalated, dates) and its Excel export: the page's filters and
scope, personal data masked by role, formula injection escaped, a constant number of queries."""

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from complaints.models import Complaint, Revisit
from estates.models import Role
from tests.complaints.factories import file_complaint
from tests.factories import CustomerFactory, UserFactory
from tests.xlsx_support import workbook_rows

pytestmark = pytest.mark.django_db
EXPORT = "/complaints/export.xlsx"
PHONE = "13912345678"
ID_NUMBER = "440305199001011234"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client




def export(client, query="") -> tuple[list, list[dict]]:
    rows = workbook_rows(client.get(f"{EXPORT}?{query}" if query else EXPORT))
    header = rows[0]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


@pytest.fixture
def mixed(project, other_project, clock):
    """Complaints in every state in ``project`` and one in another project."""
    owner = CustomerFactory(name="王业主", phone=PHONE, id_number=ID_NUMBER)
    received = file_complaint(project=project, title="电梯停运", customer=owner, contact_name="王业主", contact_phone=PHONE)
    escalated = file_complaint(project=project, title="外墙渗水")
    Complaint.objects.filter(pk=escalated.pk).update(escalation_level=2, status="in_progress")
    done = file_complaint(project=project, title="车位纠纷", category="sales")
    resolved_at = dt.datetime(2026, 2, 20, 15, tzinfo=dt.UTC)
    Complaint.objects.filter(pk=done.pk).update(
        status="closed", resolved_at=resolved_at, created_at=dt.datetime(2026, 2, 10, 1, tzinfo=dt.UTC)
    )
    Revisit.objects.create(complaint=done, satisfied=True, score=5, created_at=resolved_at + dt.timedelta(days=1))
    file_complaint(project=other_project, title="别的项目的投诉", contact_phone="13800000000")
    return {"received": received, "escalated": escalated, "done": done}


def titles(client, query):
    return sorted(r["c"].title for r in client.get(f"/complaints/?{query}").context["rows"])


# --- Filters -----------------------------------------------------------------------------------------


def test_open_escalated_and_date_filters(mixed, staff_client):
    assert titles(staff_client, "open=yes") == ["外墙渗水", "电梯停运"]
    assert titles(staff_client, "open=no") == ["车位纠纷"]
    assert titles(staff_client, "escalated=yes") == ["外墙渗水"]
    assert titles(staff_client, "escalated=no") == ["电梯停运", "车位纠纷"]
    assert titles(staff_client, "filed_from=2026-02-10&filed_to=2026-02-10") == ["车位纠纷"]
    assert titles(staff_client, "filed_from=2026-03-02") == ["外墙渗水", "电梯停运"]
    assert titles(staff_client, "resolved_from=2026-02-20&resolved_to=2026-02-20") == ["车位纠纷"]
    assert titles(staff_client, "resolved_to=2026-02-19") == []
    assert titles(staff_client, "revisited_from=2026-02-21&revisited_to=2026-02-21") == ["车位纠纷"]
    assert titles(staff_client, "revisited_from=2026-02-22") == []


def test_filter_bar_shows_the_new_filters_in_chinese(mixed, staff_client):
    html = staff_client.get("/complaints/").content.decode()
    for label in ("是否未结", "仅未结", "仅已升级", "受理日期自", "受理日期至", "处理完成自", "回访日期自"):
        assert label in html, label
    assert 'type="date" name="filed_from"' in html
    assert 'href="/complaints/export.xlsx"' in html
    filtered = staff_client.get("/complaints/?open=yes&escalated=yes").content.decode()
    assert 'href="/complaints/export.xlsx?open=yes&amp;escalated=yes"' in filtered


def test_inbox_queries_stay_constant_with_every_filter(mixed, staff_client, project, django_assert_max_num_queries):
    query = "open=yes&escalated=yes&filed_from=2026-01-01&filed_to=2026-03-02"
    done = "open=no&resolved_from=2026-01-01&resolved_to=2026-12-31&revisited_from=2026-01-01&revisited_to=2026-12-31"
    with django_assert_max_num_queries(20) as small:
        assert len(staff_client.get(f"/complaints/?{query}").context["rows"]) == 1
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(staff_client.get(f"/complaints/?{done}").context["rows"]) == 1
    for i in range(15):
        c = file_complaint(project=project, title=f"更多{i}")
        Complaint.objects.filter(pk=c.pk).update(escalation_level=1)
        Revisit.objects.create(complaint=c, satisfied=True, score=4, created_at=c.created_at)
    Complaint.objects.filter(title__startswith="更多").update(status="closed", resolved_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(staff_client.get("/complaints/?escalated=yes&filed_to=2026-03-02").context["rows"]) == 16
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(staff_client.get(f"/complaints/?{done}").context["rows"]) == 16


def test_a_list_longer_than_the_cap_is_not_counted_row_by_row(mixed, staff_client, monkeypatch):
    """Group-wide lists of every complaint ever filed stop counting at COUNT_CAP (bounded
    counting); anything up to the cap is exact."""
    from complaints import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    response = staff_client.get("/complaints/")
    assert response.context["capped"] is True
    assert response.context["counts"]["total"] == 3  # cap + 1: "more than 2"
    assert response.context["counts"]["major"] is None
    html = response.content.decode()
    assert 'data-total="2+"' in html and "超过 2 条投诉" in html
    exact = staff_client.get("/complaints/?open=yes")
    assert exact.context["capped"] is False
    assert exact.context["counts"]["total"] == 2 and exact.context["counts"]["ordinary"] is not None


# --- Export ------------------------------------------------------------------------------------------


def test_export_applies_the_pages_filters_and_scope(mixed, staff_client):
    _header, rows = export(staff_client)
    assert sorted(r["标题"] for r in rows) == ["外墙渗水", "电梯停运", "车位纠纷"]  # not the other project's
    _header, rows = export(staff_client, "open=yes&escalated=yes")
    assert [r["标题"] for r in rows] == ["外墙渗水"]
    assert rows[0]["升级级别"] == 2
    _header, rows = export(staff_client, "category=sales&filed_from=2026-02-10&filed_to=2026-02-10")
    assert [(r["标题"], r["状态"]) for r in rows] == [("车位纠纷", "已关闭")]


def test_export_for_the_group_centre_covers_every_project_but_a_project_filter_narrows_it(mixed, group_user, other_project):
    client = login(group_user)
    assert len(export(client)[1]) == 4
    assert [r["标题"] for r in export(client, f"project={other_project.code}")[1]] == ["别的项目的投诉"]


def test_export_naming_another_projects_code_lists_none_of_its_rows(mixed, staff_client, other_project):
    """Not a choice of the filter form (as on the page): the filter is dropped, the scope stays."""
    _header, rows = export(staff_client, f"project={other_project.code}")
    assert rows and {r["项目编号"] for r in rows} == {"SZ-GG"}


@pytest.mark.parametrize(
    ("role", "phone", "id_number"),
    [
        (Role.CR_STAFF, PHONE, "440***********1234"),
        (Role.CR_MANAGER, PHONE, ID_NUMBER),
        (Role.PROJECT_MANAGER, "139****5678", "440***********1234"),
    ],
)
def test_export_masks_phones_and_id_numbers_by_role_as_the_pages_do(mixed, project, role, phone, id_number):
    client = login(UserFactory(role=role, projects=[project]))
    (row,) = [r for r in export(client)[1] if r["标题"] == "电梯停运"]
    assert (row["电话"], row["身份证号"]) == (phone, id_number)
    # The complaint page shows the same phone to the same reader.
    page = client.get(reverse("complaints:detail", args=[mixed["received"].pk])).content.decode()
    assert phone in page
    if phone != PHONE:
        assert PHONE not in page


def test_export_escapes_text_that_a_spreadsheet_would_run_as_a_formula(project, staff_client, clock):
    payloads = ['=HYPERLINK("http://evil.example","点这里")', "+86 139", "-1+1", "@SUM(A1:A2)"]
    for i, text in enumerate(payloads):
        file_complaint(project=project, title=text, contact_name=f"{text[:1]}张{i}", contact_phone="+8613912345678")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(staff_client.get(EXPORT).streaming_content)))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    title_col, name_col, phone_col = header.index("标题"), header.index("来电人姓名"), header.index("电话")
    seen = []
    for row in sheet.iter_rows(min_row=2):
        for col in (title_col, name_col, phone_col):
            cell = row[col]
            assert cell.data_type == "s", cell.value  # text, never a formula
            assert cell.value[:1] not in "=+-@", cell.value
        seen.append(row[title_col].value)
    assert sorted(seen) == sorted("'" + p for p in payloads)


def test_export_query_count_does_not_grow_with_rows(project, staff_client, clock, django_assert_max_num_queries):
    file_complaint(project=project, title="一条")
    with django_assert_max_num_queries(20) as small:
        response = staff_client.get(f"{EXPORT}?open=yes")
        b"".join(response.streaming_content)
    owner = CustomerFactory()
    for i in range(25):
        file_complaint(project=project, title=f"更多{i}", customer=owner)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = staff_client.get(f"{EXPORT}?open=yes")
        assert len(workbook_rows(response)) == 27


def test_export_needs_a_login(client):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/login" in response["Location"]
