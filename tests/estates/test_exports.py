"""Excel exports of the project and customer lists: the page's search and scope, every page of it,
phones and ID numbers masked by role as the pages mask them, formula text escaped, a constant
number of queries, no file without a login."""

import io

import openpyxl
import pytest
from django.test import Client

from estates.models import Building, Role
from tests.factories import BuildingFactory, ContractFactory, CustomerFactory, UnitFactory, UserFactory
from tests.xlsx_support import workbook_rows

pytestmark = pytest.mark.django_db
CUSTOMERS = "/customers/export.xlsx"
PROJECTS = "/projects/export.xlsx"
PHONE = "13912345678"
ID_NUMBER = "440305199001011234"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client




def export(client, path, query="") -> list[dict]:
    rows = workbook_rows(client.get(f"{path}?{query}" if query else path))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def sold(project, customer, number=None):
    building, _new = Building.objects.get_or_create(project=project, name="1栋")
    unit = UnitFactory(building=building, **({"number": number} if number else {}))
    return ContractFactory(unit=unit, customers=[customer])


@pytest.fixture
def owners(project, other_project):
    wang = CustomerFactory(name="王业主", phone=PHONE, id_number=ID_NUMBER, children_ages=[6, 9], elderly_living_in=True)
    li = CustomerFactory(name="李业主", income_band="high")
    stranger = CustomerFactory(name="外盘业主", phone="13800000000")
    sold(project, wang, number="8-1801")
    sold(project, li)
    sold(other_project, stranger)
    return {"wang": wang, "li": li, "stranger": stranger}


# --- Customers ----------------------------------------------------------------------------------------


def test_customer_export_applies_the_pages_search_and_scope(owners, staff_client):
    rows = export(staff_client, CUSTOMERS)
    assert [r["姓名"] for r in rows] == ["李业主", "王业主"]  # the page's order; not the other project's buyer
    assert rows[0]["客户编号"] == owners["li"].pk
    assert [r["姓名"] for r in export(staff_client, CUSTOMERS, "q=王")] == ["王业主"]
    assert [r["姓名"] for r in export(staff_client, CUSTOMERS, "q=8-1801")] == ["王业主"]
    assert export(staff_client, CUSTOMERS, "q=外盘") == []  # another project's customer is not found by name
    wang = export(staff_client, CUSTOMERS, "q=王")[0]
    assert wang["子女年龄"] == "6、9" and wang["家有老人"] == "是"


def test_customer_export_lists_every_page_not_only_the_first(project, staff_client):
    for i in range(60):
        sold(project, CustomerFactory(name=f"业主甲{i:02d}"))
    assert len(staff_client.get("/customers/").context["customers"].object_list) == 50
    assert len(export(staff_client, CUSTOMERS)) == 60


def test_customer_export_for_the_group_centre_covers_every_project(owners, group_user):
    assert sorted(r["姓名"] for r in export(login(group_user), CUSTOMERS)) == ["外盘业主", "李业主", "王业主"]


@pytest.mark.parametrize(
    ("role", "phone", "id_number"),
    [
        (Role.CR_STAFF, PHONE, "440***********1234"),
        (Role.CR_MANAGER, PHONE, ID_NUMBER),
        (Role.PROJECT_MANAGER, "139****5678", "440***********1234"),
    ],
)
def test_customer_export_masks_phones_and_id_numbers_by_role_as_the_pages_do(owners, project, role, phone, id_number):
    client = login(UserFactory(role=role, projects=[project]))
    (row,) = export(client, CUSTOMERS, "q=王")
    assert (row["电话"], row["身份证号"]) == (phone, id_number)
    page = client.get("/customers/?q=王").content.decode()
    assert phone in page
    detail = client.get(f"/customers/{owners['wang'].pk}/").content.decode()
    assert id_number in detail
    if phone != PHONE:
        assert PHONE not in page
    if id_number != ID_NUMBER:
        assert ID_NUMBER not in detail


def test_customer_export_escapes_text_that_a_spreadsheet_would_run_as_a_formula(project, staff_client):
    payloads = ['=HYPERLINK("http://evil.example","点这里")', "+86 139", "-1+1", "@SUM(A1:A2)"]
    for text in payloads:
        sold(project, CustomerFactory(name=text, external_id=text))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(staff_client.get(CUSTOMERS).streaming_content)))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    name_col, ext_col = header.index("姓名"), header.index("外部编号")
    seen = []
    for row in sheet.iter_rows(min_row=2):
        for col in (name_col, ext_col):
            assert row[col].data_type == "s", row[col].value
            assert row[col].value[:1] not in "=+-@", row[col].value
        seen.append(row[name_col].value)
    assert sorted(seen) == sorted("'" + p for p in payloads)


def test_customer_export_query_count_does_not_grow_with_rows(project, staff_client, django_assert_max_num_queries):
    sold(project, CustomerFactory())
    with django_assert_max_num_queries(20) as small:
        assert len(workbook_rows(staff_client.get(f"{CUSTOMERS}?q=业主"))) == 2
    for _i in range(25):
        sold(project, CustomerFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(workbook_rows(staff_client.get(f"{CUSTOMERS}?q=业主"))) == 27


def test_customer_list_has_the_download_button_with_its_search(owners, staff_client):
    html = staff_client.get("/customers/").content.decode()
    assert 'href="/customers/export.xlsx"' in html and "下载 Excel" in html
    assert 'href="/customers/export.xlsx?q=%E7%8E%8B"' in staff_client.get("/customers/?q=王").content.decode()


# --- Projects -----------------------------------------------------------------------------------------


def test_project_export_lists_the_readers_projects_as_the_page_does(owners, project, other_project, staff_client, group_user):
    rows = export(staff_client, PROJECTS)
    assert [(r["编码"], r["项目名称"], r["城市"], r["房屋套数"]) for r in rows] == [("SZ-GG", "深圳光谷花园", "深圳", 2)]
    assert rows[0]["项目阶段"] == "销售"
    assert [r["编码"] for r in export(login(group_user), PROJECTS)] == ["BJ-XY", "SZ-GG"]  # city, code: the page's order
    html = staff_client.get("/projects/").content.decode()
    assert 'href="/projects/export.xlsx"' in html


def test_project_export_escapes_formula_text(staff_client, project):
    project.name = "=1+2"
    project.save()
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(staff_client.get(PROJECTS).streaming_content))).worksheets[0]
    assert sheet.cell(row=2, column=2).value == "'=1+2" and sheet.cell(row=2, column=2).data_type == "s"


def test_project_export_query_count_does_not_grow_with_rows(group_user, django_assert_max_num_queries):
    from tests.factories import ProjectFactory

    client = login(group_user)
    ProjectFactory()
    with django_assert_max_num_queries(20) as small:
        assert len(workbook_rows(client.get(PROJECTS))) == 2
    for _i in range(10):
        UnitFactory(building=BuildingFactory(project=ProjectFactory()))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(workbook_rows(client.get(PROJECTS))) == 12


@pytest.mark.parametrize("path", [CUSTOMERS, PROJECTS])
def test_exports_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response["Location"]
