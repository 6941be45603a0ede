"""The portfolio pages: project list and detail (milestones, units, buyers), customers."""

from datetime import date

import pytest

from estates.models import Contract, Milestone
from tests.factories import ContractFactory, CustomerFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_project_list_shows_the_staff_members_projects(staff_client, project):
    page = staff_client.get("/projects/").content.decode()

    assert "深圳光谷花园" in page
    assert "销售" in page  # the lifecycle stage, translated


def test_project_page_shows_milestones_units_and_buyers(staff_client, project):
    Milestone.objects.create(project=project, kind="topping_out", planned_on=date(2025, 9, 1), actual_on=date(2025, 9, 12))
    ContractFactory(unit__building__project=project, unit__number="3-1502",
                    customers=[CustomerFactory(name="张三"), CustomerFactory(name="李梅")])
    UnitFactory(building__project=project, number="3-1601")

    page = staff_client.get(f"/projects/{project.code}/").content.decode()

    assert "封顶" in page
    assert "2025-09-12" in page
    assert "3-1502" in page
    assert "3-1601" in page
    assert "张三" in page
    assert "李梅" in page


def test_project_page_leaves_out_buyers_of_cancelled_contracts(staff_client, project):
    ContractFactory(unit__building__project=project, status=Contract.Status.CANCELLED, customers=[CustomerFactory(name="退房人")])

    assert "退房人" not in staff_client.get(f"/projects/{project.code}/").content.decode()


def test_project_page_runs_a_constant_number_of_queries(staff_client, project, django_assert_max_num_queries):
    for _ in range(2):
        ContractFactory(unit__building__project=project)
    # Every app adds a panel to this page (risk, defects, touchpoints, satisfaction...): a fixed
    # number each, never one per unit or contract.
    with django_assert_max_num_queries(30) as few:
        staff_client.get(f"/projects/{project.code}/")
    for _ in range(20):
        ContractFactory(unit__building__project=project)

    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(f"/projects/{project.code}/")


def test_customer_list_runs_a_constant_number_of_queries(staff_client, project, django_assert_max_num_queries):
    for _ in range(2):
        ContractFactory(unit__building__project=project)
    with django_assert_max_num_queries(20) as few:
        staff_client.get("/customers/")
    for _ in range(20):
        ContractFactory(unit__building__project=project)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = staff_client.get("/customers/").content.decode()
    assert page.count("/customers/") >= 22


def test_customer_page_shows_contracts_and_household(staff_client, project):
    customer = CustomerFactory(name="张三", children_ages=[4, 9], elderly_living_in=True, income_band="high", household_size=5)
    ContractFactory(external_id="C-77", unit__building__project=project, unit__number="3-1502", customers=[customer])

    page = staff_client.get(f"/customers/{customer.pk}/").content.decode()

    assert "C-77" in page
    assert "3-1502" in page
    assert "4、9" in page
    assert "高收入" in page


def test_user_text_is_escaped(staff_client, project):
    customer = CustomerFactory(name="<script>alert(1)</script>")
    ContractFactory(unit__building__project=project, customers=[customer])

    page = staff_client.get(f"/customers/{customer.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_page_number_out_of_range_shows_the_last_page(staff_client, project):
    ContractFactory(unit__building__project=project)

    assert staff_client.get("/customers/", {"page": "999"}).status_code == 200
    assert staff_client.get("/customers/", {"page": "abc"}).status_code == 200


def test_a_missing_page_is_a_chinese_404_inside_the_shell(staff_client):
    response = staff_client.get("/projects/NO-SUCH/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
