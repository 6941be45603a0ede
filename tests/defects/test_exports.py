"""Excel exports of the defect list and of the review-meeting list: the page's own filters and
project scope, every row (not one page), formula text escaped, a constant number of queries.
Neither list carries customer data (no phone, no ID number), so nothing is masked by role: the
test checks that no customer's phone or ID number can reach either file."""

from datetime import date

import pytest
from django.test import Client

from defects import views
from defects.models import Defect, ReviewMeeting
from estates.models import Role
from tests.factories import UserFactory
from tests.xlsx_support import workbook_rows

pytestmark = pytest.mark.django_db
DEFECTS = "/defects/export.xlsx"
MEETINGS = "/defects/meetings/export.xlsx"




def export(client, url, query="") -> tuple[list, list[dict]]:
    rows = workbook_rows(client.get(f"{url}?{query}" if query else url))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def other_defect(project, **kw):
    return Defect.objects.create(
        project=project,
        series="SJ",
        number=99,
        code="SJ99",
        title="别的项目的缺陷",
        description="…",
        source="warranty",
        found_on=date(2026, 5, 1),
        **kw,
    )


@pytest.fixture
def mixed(graded, make_defect, other_project, skylight_tags):
    a = graded("A", due_on=date(2026, 6, 1), tags=skylight_tags)  # graded, chased, overdue
    b = make_defect(title='=HYPERLINK("http://x","点我")', found_on=date(2026, 3, 1), location="+1-2")
    other_defect(other_project)
    return {"a": a, "b": b}


# --- Defect list -------------------------------------------------------------------------------------


def test_defect_export_has_chinese_headers_and_the_pages_rows(mixed, staff_client):
    header, rows = export(staff_client, DEFECTS)
    assert header[:4] == ["编码", "项目编号", "项目", "缺陷问题"]
    assert sorted(r["编码"] for r in rows) == sorted([mixed["a"].code, mixed["b"].code])
    assert "别的项目的缺陷" not in str(rows)
    by_code = {r["编码"]: r for r in rows}
    a = by_code[mixed["a"].code]
    assert a["等级"] == "A" and a["状态"] == "已定级" and a["责任部门"] == mixed["a"].responsible_department.name
    assert a["超时"] == "是" and a["标签"] == "天窗、木材、TA户型"


def test_defect_export_applies_exactly_the_pages_filters(mixed, staff_client):
    for query in (
        "grade=A",
        "open=true",
        "graded=false",
        "chased=true",
        "overdue=true",
        "found_to=2026-03-01",
        "search=HYPERLINK",
        "status=reported",
        "grade=Z",
        "ordering=-code",
    ):
        page = staff_client.get(f"/defects/?{query}").context["page"]
        _header, rows = export(staff_client, DEFECTS, query)
        assert [r["编码"] for r in rows] == [d.code for d in page], query


def test_defect_export_escapes_formula_text(mixed, staff_client):
    _header, rows = export(staff_client, DEFECTS, "graded=false")
    (row,) = rows
    assert row["缺陷问题"] == '\'=HYPERLINK("http://x","点我")'
    assert row["部位"] == "'+1-2"


def test_defect_export_holds_every_row_not_one_page(staff_client, make_defect):
    for _ in range(55):
        make_defect()
    _header, rows = export(staff_client, DEFECTS)
    assert len(rows) == 55


def test_defect_export_is_capped(mixed, staff_client, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_MAX_ROWS", 1)
    rows = workbook_rows(staff_client.get(DEFECTS))
    assert len(rows) == 3 and "1" in rows[2][0]


def test_defect_export_query_count_is_constant(staff_client, make_defect, skylight_tags, django_assert_max_num_queries):
    make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(20) as small:
        workbook_rows(staff_client.get(DEFECTS + "?open=true"))
    for _ in range(30):
        make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(workbook_rows(staff_client.get(DEFECTS + "?open=true"))) == 32


def test_the_list_page_links_the_export_with_its_query(mixed, staff_client):
    assert 'href="/defects/export.xlsx"' in staff_client.get("/defects/").content.decode()
    html = staff_client.get("/defects/?grade=A&open=true").content.decode()
    assert 'href="/defects/export.xlsx?grade=A&amp;open=true"' in html
    assert "下载 Excel" in html


# --- Review meetings ---------------------------------------------------------------------------------


def test_meeting_export_lists_the_pages_meetings_only(mixed, staff_client, other_project):
    ReviewMeeting.objects.create(project=other_project, held_on=date(2026, 5, 11), minutes="别的项目的会议")
    mine = ReviewMeeting.objects.get(project=mixed["a"].project)
    header, rows = export(staff_client, MEETINGS)
    assert header[:4] == ["会议编号", "会议日期", "项目编号", "项目"]
    assert [r["会议编号"] for r in rows] == [m.pk for m in staff_client.get("/defects/meetings/").context["page"]] == [mine.pk]
    (row,) = rows
    assert row["决议缺陷数"] == 1 and row["会议纪要"] == "评审纪要" and "王工" in row["参会人员"]
    assert "别的项目的会议" not in str(rows)


def test_meeting_export_escapes_formula_text(mixed, staff_client):
    ReviewMeeting.objects.filter(project=mixed["a"].project).update(minutes="@SUM(A1)")
    _header, (row,) = export(staff_client, MEETINGS)
    assert row["会议纪要"] == "'@SUM(A1)"


def test_meeting_export_query_count_is_constant(graded, staff_client, django_assert_max_num_queries):
    graded("A")
    with django_assert_max_num_queries(20) as small:
        workbook_rows(staff_client.get(MEETINGS))
    for _ in range(10):
        graded("B")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(workbook_rows(staff_client.get(MEETINGS))) == 12


def test_the_meeting_page_links_the_export(mixed, staff_client):
    html = staff_client.get("/defects/meetings/").content.decode()
    assert 'href="/defects/meetings/export.xlsx"' in html and "下载 Excel" in html


# --- Access ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [DEFECTS, MEETINGS])
def test_anonymous_is_refused(url, mixed):
    response = Client().get(url)
    assert response.status_code in (302, 401, 403)
    assert "spreadsheetml" not in response.get("Content-Type", "")


@pytest.mark.parametrize("url", [DEFECTS, MEETINGS])
def test_a_user_of_another_project_sees_none_of_these_rows(url, mixed, other_project):
    outsider = UserFactory(role=Role.CR_STAFF, projects=[other_project])
    client = Client()
    client.force_login(outsider)
    _header, rows = export(client, url)
    assert mixed["a"].code not in [r.get("编码") for r in rows]
    assert "屋面天窗渗水" not in str(rows) and "评审纪要" not in str(rows)
