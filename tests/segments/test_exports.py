"""The parcel assessments' Excel export: the page's scope (every assessment, not only the newest 50
the page shows), Chinese headers, formula text escaped, a constant number of queries, login
required. Parcels carry no personal data (nothing to mask)."""


import pytest
from django.test import Client

from segments import services
from segments.fixtures.seed import TIANJIN_PARCEL
from segments.models import ParcelAssessment
from tests.xlsx_support import workbook_rows

pytestmark = pytest.mark.django_db
EXPORT = "/segments/parcels/export.xlsx"
ATTRIBUTES = TIANJIN_PARCEL




def export(client) -> list[dict]:
    rows = workbook_rows(client.get(EXPORT))
    assert rows[0][0] == "地块编号"
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def assess(user, project, name, **kwargs):
    return services.parcel_assess(actor=user, project=project, name=name, attribute_codes=ATTRIBUTES, **kwargs)


@pytest.fixture
def parcels(staff, group_user, project, other_project):
    return {
        "mine": assess(staff, project, "天津河西地块", location="河西区"),
        "older": assess(staff, project, "南开地块"),
        "other": assess(group_user, other_project, "别的项目的地块"),
    }


def test_export_lists_the_pages_parcels_in_scope(parcels, staff_client, project):
    rows = export(staff_client)
    page = [p.pk for p in staff_client.get("/segments/parcels/").context["parcels"]]
    assert [r["地块编号"] for r in rows] == page == [parcels["older"].pk, parcels["mine"].pk]
    row = rows[1]
    assert (row["地块"], row["项目编号"], row["项目"], row["地块位置"]) == ("天津河西地块", project.code, project.name, "河西区")
    assert row["最适合"] and row["评估人"]


def test_export_for_the_group_centre_covers_every_project(parcels, group_user):
    client = Client()
    client.force_login(group_user)
    assert sorted(r["地块编号"] for r in export(client)) == sorted(p.pk for p in parcels.values())


def test_export_has_every_parcel_not_only_the_pages_50(staff, staff_client, project, django_assert_max_num_queries):
    assess(staff, project, "第一块")
    with django_assert_max_num_queries(12) as small:
        assert len(export(staff_client)) == 1
    n = len(small.captured_queries)  # read now: the connection's query log is bounded
    for i in range(54):
        assess(staff, project, f"地块{i}")
    assert len(staff_client.get("/segments/parcels/").context["parcels"]) == 50
    with django_assert_max_num_queries(n):
        assert len(export(staff_client)) == 55


def test_export_escapes_formula_text(staff, staff_client, project):
    assess(staff, project, '=HYPERLINK("http://evil.example","x")', location="+86", note="@SUM(A1)")
    (row,) = export(staff_client)
    assert (row["地块"], row["地块位置"], row["备注"]) == ('\'=HYPERLINK("http://evil.example","x")', "'+86", "'@SUM(A1)")


def test_the_page_has_the_button(staff_client):
    html = staff_client.get("/segments/parcels/").content.decode()
    assert f'href="{EXPORT}"' in html and "下载 Excel" in html


def test_export_needs_a_login(client):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert ParcelAssessment.objects.count() == 0
