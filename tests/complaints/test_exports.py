"""Excel exports of the case library and the group-complaint warnings: the page's search, threshold
and scope, every page of it, formula text escaped, a constant number of queries, no file without a
login. (Neither list shows phones or ID numbers: nothing to mask.)"""

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from complaints import services
from complaints.models import GroupCluster
from tests.complaints.factories import file_complaint
from tests.factories import BuildingFactory, UserFactory
from tests.xlsx_support import workbook_rows

pytestmark = pytest.mark.django_db
CASES = "/complaints/cases/export.xlsx"
CLUSTERS = "/complaints/clusters/export.xlsx"
FORMULAS = ['=HYPERLINK("http://evil.example","点这里")', "+86 139", "-1+1", "@SUM(A1:A2)"]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client




def export(client, path, query="") -> list[dict]:
    rows = workbook_rows(client.get(f"{path}?{query}" if query else path))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def write_case(project, author, title, lessons="l"):
    complaint = file_complaint(project=project, lawsuit_filed=True)
    return services.case_write(
        complaint=complaint, actor=author, title=title, background="b", causes="c", handling="h", lessons=lessons
    )


def cluster(project, count, *, building=None, signature="", minutes=0):
    at = timezone.now() - dt.timedelta(minutes=minutes)
    return GroupCluster.objects.create(
        project=project,
        category="construction_quality",
        building=building,
        signature=signature,
        complainant_count=count,
        first_at=at - dt.timedelta(days=3),
        last_at=at,
    )


def assert_text_escaped(response, column: str, expected: list[str]):
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    col = [c.value for c in sheet[1]].index(column)
    seen = []
    for row in sheet.iter_rows(min_row=2):
        cell = row[col]
        assert cell.data_type == "s", cell.value  # text, never a formula
        assert cell.value[:1] not in "=+-@", cell.value
        seen.append(cell.value)
    assert sorted(seen) == sorted("'" + p for p in expected)


# --- Cases --------------------------------------------------------------------------------------------


@pytest.fixture
def cases(project, other_project, group_user, clock):
    return {
        "lift": write_case(project, group_user, "电梯困人案例", lessons="维保合同要写明响应时间"),
        "wall": write_case(project, group_user, "外墙渗水案例"),
        "other": write_case(other_project, group_user, "别的项目的案例"),
    }


def test_case_export_applies_the_pages_search_and_scope(cases, staff_client):
    rows = export(staff_client, CASES)
    assert sorted(r["标题"] for r in rows) == ["外墙渗水案例", "电梯困人案例"]  # not the other project's
    assert [r["标题"] for r in export(staff_client, CASES, "q=维保")] == ["电梯困人案例"]
    (row,) = export(staff_client, CASES, "q=电梯")
    assert row["案例编号"] == cases["lift"].pk and row["项目编号"] == "SZ-GG"
    assert row["投诉"] == cases["lift"].complaint.reference and row["经验教训"] == "维保合同要写明响应时间"
    assert export(staff_client, CASES, "q=别的项目") == []


def test_case_export_for_the_group_centre_covers_every_project_and_every_page(project, group_user, clock):
    for i in range(30):
        write_case(project, group_user, f"案例{i:02d}")
    client = login(group_user)
    assert len(client.get("/complaints/cases/").context["page"].object_list) == 25
    assert len(export(client, CASES)) == 30


def test_case_export_escapes_text_that_a_spreadsheet_would_run_as_a_formula(project, group_user, staff_client, clock):
    for text in FORMULAS:
        write_case(project, group_user, text)
    assert_text_escaped(staff_client.get(CASES), "标题", FORMULAS)


def test_case_export_query_count_does_not_grow_with_rows(project, group_user, staff_client, clock, django_assert_max_num_queries):
    write_case(project, group_user, "一个案例")
    with django_assert_max_num_queries(20) as small:
        assert len(workbook_rows(staff_client.get(CASES))) == 2
    for i in range(12):
        write_case(project, UserFactory(), f"更多案例{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(workbook_rows(staff_client.get(CASES))) == 14


def test_case_list_has_the_download_button_with_its_search(cases, staff_client):
    assert 'href="/complaints/cases/export.xlsx"' in staff_client.get("/complaints/cases/").content.decode()
    html = staff_client.get("/complaints/cases/?q=lift").content.decode()
    assert 'href="/complaints/cases/export.xlsx?q=lift"' in html and "下载 Excel" in html


# --- Group-complaint clusters -------------------------------------------------------------------------


def test_cluster_export_lists_the_pages_warnings_in_the_pages_order(project, other_project, staff_client, clock):
    building = BuildingFactory(project=project, name="3栋")
    big = cluster(project, 10, building=building)
    hot = cluster(project, 3, signature="小区东门道闸经常坏")
    cluster(project, 1, signature="一个人的投诉")  # below the page's threshold
    cluster(other_project, 5, signature="别的项目")
    page = [cl.pk for cl in staff_client.get("/complaints/clusters/").context["page"]]
    rows = export(staff_client, CLUSTERS)
    assert [r["预警编号"] for r in rows] == page == [big.pk, hot.pk]
    assert [(r["楼栋或内容"], r["不同投诉人"], r["项目编号"]) for r in rows] == [
        ("3栋", 10, "SZ-GG"),
        ("小区东门道闸经常坏", 3, "SZ-GG"),
    ]
    assert rows[0]["专业分类"] == "工程质量"
    assert 'href="/complaints/clusters/export.xlsx"' in staff_client.get("/complaints/clusters/").content.decode()


def test_cluster_export_for_the_group_centre_covers_every_project_and_every_page(project, other_project, group_user, clock):
    for i in range(28):
        cluster(project if i % 2 else other_project, 2 + i % 4, signature=f"内容{i}", minutes=i)
    client = login(group_user)
    assert len(client.get("/complaints/clusters/").context["page"].object_list) == 25
    assert len(export(client, CLUSTERS)) == 28


def test_cluster_export_escapes_text_that_a_spreadsheet_would_run_as_a_formula(project, staff_client, clock):
    for i, text in enumerate(FORMULAS):
        cluster(project, 3, signature=text, minutes=i)
    assert_text_escaped(staff_client.get(CLUSTERS), "楼栋或内容", FORMULAS)


def test_cluster_export_query_count_does_not_grow_with_rows(project, staff_client, clock, django_assert_max_num_queries):
    cluster(project, 3, building=BuildingFactory(project=project))
    with django_assert_max_num_queries(20) as small:
        assert len(workbook_rows(staff_client.get(CLUSTERS))) == 2
    for i in range(15):
        cluster(project, 4, building=BuildingFactory(project=project), minutes=i + 1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(workbook_rows(staff_client.get(CLUSTERS))) == 17


@pytest.mark.parametrize("path", [CASES, CLUSTERS])
def test_exports_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response["Location"]
