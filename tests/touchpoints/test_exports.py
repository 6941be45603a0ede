"""The touchpoint catalogue's Excel export: the page's stage and grade filters, the same rows as the
page, Chinese headers, formula text escaped, a constant number of queries, login required. The
catalogue is shared by every project (no project data, nothing personal to mask)."""

import io

import openpyxl
import pytest

from tests.xlsx_support import workbook_rows
from touchpoints.models import SensitivityPoint, Touchpoint

pytestmark = pytest.mark.django_db
EXPORT = "/touchpoints/export.xlsx"




def export(client, query="") -> list[dict]:
    rows = workbook_rows(client.get(f"{EXPORT}?{query}" if query else EXPORT))
    assert rows[0][:2] == ["触点编号", "阶段"]
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def page_points(client, query="") -> list[tuple[str, str]]:
    response = client.get(f"/touchpoints/?{query}")
    return sorted((tp.code, p.code) for tp in response.context["touchpoints"] for p in tp.points.all())


def test_export_lists_the_pages_rows_with_its_filters(staff_client):
    rows = export(staff_client)
    assert rows, "the seeded catalogue is exported"
    assert sorted((r["触点编号"], r["敏感点编号"]) for r in rows) == page_points(staff_client)
    active = SensitivityPoint.objects.filter(is_active=True, touchpoint__is_active=True).count()
    assert len(rows) == active
    stage = Touchpoint.objects.filter(is_active=True).values_list("stage", flat=True).first()
    for query in (f"stage={stage}", "grade=A", f"stage={stage}&grade=B"):
        rows = export(staff_client, query)
        assert sorted((r["触点编号"], r["敏感点编号"]) for r in rows) == page_points(staff_client, query), query
    assert {r["等级"] for r in export(staff_client, "grade=A")} == {"A"}


def test_inactive_records_are_not_exported(staff_client):
    point = SensitivityPoint.objects.filter(is_active=True).first()
    SensitivityPoint.objects.filter(pk=point.pk).update(is_active=False)
    assert point.code not in {r["敏感点编号"] for r in export(staff_client)}


def test_an_invalid_filter_exports_no_rows(staff_client):
    assert staff_client.get("/touchpoints/?stage=nonsense").status_code == 400
    assert export(staff_client, "stage=nonsense") == []


def test_the_page_has_the_button_carrying_its_query(staff_client):
    assert 'href="/touchpoints/export.xlsx"' in staff_client.get("/touchpoints/").content.decode()
    html = staff_client.get("/touchpoints/?stage=&grade=A").content.decode()
    assert 'href="/touchpoints/export.xlsx?stage=&amp;grade=A"' in html
    assert "下载 Excel" in html


def test_export_escapes_text_that_a_spreadsheet_would_run_as_a_formula(staff_client):
    point = SensitivityPoint.objects.filter(is_active=True, touchpoint__is_active=True).first()
    SensitivityPoint.objects.filter(pk=point.pk).update(name='=HYPERLINK("http://evil.example","x")', standard="@SUM(A1)")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(staff_client.get(EXPORT).streaming_content)))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    name_col, std_col = header.index("敏感点"), header.index("达标标准")
    (row,) = [r for r in sheet.iter_rows(min_row=2) if r[header.index("敏感点编号")].value == point.code]
    assert row[name_col].data_type == "s" and row[name_col].value == '\'=HYPERLINK("http://evil.example","x")'
    assert row[std_col].value == "'@SUM(A1)"


def test_export_query_count_does_not_grow_with_rows(staff_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as small:
        rows = export(staff_client, "grade=C")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(export(staff_client)) > len(rows)


def test_export_needs_a_login(client):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/login" in response["Location"]
