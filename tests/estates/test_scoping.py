"""Project scope and personal-data masking, in pages and in the API alike."""

import pytest
from rest_framework.test import APIClient

from estates.models import Role
from tests.factories import ContractFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PHONE, PHONE_MASKED = "13812345678", "138****5678"
ID_NUMBER, ID_MASKED = "11010519491231002X", "110***********002X"


@pytest.fixture
def customer_a(project):
    customer = CustomerFactory(name="张三", phone=PHONE, id_number=ID_NUMBER)
    ContractFactory(external_id="C-A", unit__building__project=project, unit__number="3-1502", customers=[customer])
    return customer


@pytest.fixture
def customer_b(other_project):
    """A customer whose only contract is in project B."""
    customer = CustomerFactory(name="李四")
    ContractFactory(external_id="C-B", unit__building__project=other_project, unit__number="9-0901", customers=[customer])
    return customer


def logged_in(client, user):
    client.force_login(user)
    return client


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- scope: pages -------------------------------------------------------------------------------


def test_staff_of_a_get_404_for_project_b_page(client, staff, other_project):
    assert logged_in(client, staff).get(f"/projects/{other_project.code}/").status_code == 404


def test_staff_of_a_get_404_for_a_customer_only_in_b(client, staff, customer_b):
    assert logged_in(client, staff).get(f"/customers/{customer_b.pk}/").status_code == 404


def test_the_404_page_is_the_same_for_a_missing_and_a_foreign_project(client, staff, other_project):
    logged_in(client, staff)

    assert client.get(f"/projects/{other_project.code}/").content == client.get("/projects/NOPE/").content


def test_staff_of_a_see_only_project_a_in_lists(client, staff, project, other_project, customer_a, customer_b):
    logged_in(client, staff)

    projects = client.get("/projects/").content.decode()
    customers = client.get("/customers/").content.decode()

    assert project.name in projects
    assert other_project.name not in projects
    assert "张三" in customers
    assert "李四" not in customers


def test_a_customer_in_both_projects_shows_only_the_contract_in_scope(client, staff, other_project, customer_a):
    ContractFactory(external_id="C-B-2", unit__building__project=other_project, customers=[customer_a])

    page = logged_in(client, staff).get(f"/customers/{customer_a.pk}/").content.decode()

    assert "C-A" in page
    assert "C-B-2" not in page


def test_group_centre_sees_every_project_and_customer(client, group_user, project, other_project, customer_a, customer_b):
    logged_in(client, group_user)

    assert client.get(f"/projects/{other_project.code}/").status_code == 200
    assert client.get(f"/customers/{customer_b.pk}/").status_code == 200
    assert client.get(f"/customers/{customer_a.pk}/").status_code == 200


def test_staff_without_projects_see_nothing(client, other_project, customer_b):
    loner = UserFactory(role=Role.CR_STAFF)
    logged_in(client, loner)

    assert client.get(f"/customers/{customer_b.pk}/").status_code == 404
    assert "李四" not in client.get("/customers/").content.decode()


def test_an_inactive_assignment_change_takes_effect(client, staff, other_project, customer_b):
    staff.projects.add(other_project)

    assert logged_in(client, staff).get(f"/customers/{customer_b.pk}/").status_code == 200


# --- scope: API ---------------------------------------------------------------------------------


def test_staff_of_a_get_404_for_project_b_objects_in_the_api(staff, other_project, customer_b):
    api = api_as(staff)

    assert api.get(f"/api/v1/projects/{other_project.code}/").status_code == 404
    assert api.get(f"/api/v1/customers/{customer_b.pk}/").status_code == 404
    assert api.get("/api/v1/units/").json()["count"] == 0


def test_api_client_of_a_gets_404_for_project_b_objects(api, other_project, customer_b):
    assert api.get(f"/api/v1/projects/{other_project.code}/").status_code == 404
    assert api.get(f"/api/v1/customers/{customer_b.pk}/").status_code == 404
    assert api.get("/api/v1/customers/").json()["count"] == 0


def test_group_centre_sees_everything_in_the_api(group_user, customer_a, customer_b):
    api = api_as(group_user)

    assert api.get("/api/v1/projects/").json()["count"] == 2
    assert api.get("/api/v1/customers/").json()["count"] == 2
    assert api.get("/api/v1/units/").json()["count"] == 2


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "phone", "id_number"),
    [
        (Role.CR_STAFF, PHONE, ID_MASKED),
        (Role.PROJECT_MANAGER, PHONE_MASKED, ID_MASKED),
        (Role.DEPARTMENT_HEAD, PHONE_MASKED, ID_MASKED),
        (Role.CR_MANAGER, PHONE, ID_NUMBER),
        (Role.ADMIN, PHONE, ID_NUMBER),
    ],
)
def test_masking_by_role_on_the_customer_page(client, project, customer_a, role, phone, id_number):
    user = UserFactory(role=role, projects=[project])

    page = logged_in(client, user).get(f"/customers/{customer_a.pk}/").content.decode()

    assert phone in page
    assert id_number in page
    if phone == PHONE_MASKED:
        assert PHONE not in page
    if id_number == ID_MASKED:
        assert ID_NUMBER not in page


@pytest.mark.parametrize(
    ("role", "phone", "id_number"),
    [
        (Role.CR_STAFF, PHONE, ID_MASKED),
        (Role.PROJECT_MANAGER, PHONE_MASKED, ID_MASKED),
        (Role.CR_MANAGER, PHONE, ID_NUMBER),
    ],
)
def test_masking_by_role_in_the_api(project, customer_a, role, phone, id_number):
    api = api_as(UserFactory(role=role, projects=[project]))

    detail = api.get(f"/api/v1/customers/{customer_a.pk}/").json()
    listed = api.get("/api/v1/customers/").json()["results"][0]

    assert (detail["phone"], detail["id_number"]) == (phone, id_number)
    assert (listed["phone"], listed["id_number"]) == (phone, id_number)


def test_project_manager_sees_masked_phone_in_the_customer_list(client, project_manager, customer_a):
    page = logged_in(client, project_manager).get("/customers/").content.decode()

    assert PHONE_MASKED in page
    assert PHONE not in page


def test_api_clients_see_masked_data_unless_allowed(api, customer_a):
    body = api.get(f"/api/v1/customers/{customer_a.pk}/").json()

    assert (body["phone"], body["id_number"]) == (PHONE_MASKED, ID_MASKED)


# --- customer search ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["张三", "张", "13812345678", "5678", "3-1502", "1502"])
def test_customer_search_by_name_phone_or_unit(client, staff, customer_a, query):
    CustomerFactory(name="王五")  # no contract: never listed
    neighbour = CustomerFactory(name="赵六", phone="13999999999")
    ContractFactory(unit__building__project=customer_a.contracts.get().project, customers=[neighbour])

    page = logged_in(client, staff).get("/customers/", {"q": query}).content.decode()

    assert "张三" in page
    assert "赵六" not in page
    assert "王五" not in page


def test_customer_search_never_finds_a_customer_out_of_scope(client, staff, customer_a, customer_b):
    page = logged_in(client, staff).get("/customers/", {"q": "9-0901"}).content.decode()

    assert "李四" not in page


def test_a_nul_character_in_the_search_is_ignored(client, staff, api, customer_a):
    page = logged_in(client, staff).get("/customers/", {"q": "张\x00三"})
    listed = api.get("/api/v1/customers/", {"search": "\x00"})

    assert page.status_code == 200
    assert "张三" in page.content.decode()
    assert listed.json()["count"] == 1


def test_customer_search_through_the_api(api, customer_a):
    body = api.get("/api/v1/customers/", {"search": "3-1502"}).json()

    assert [c["name"] for c in body["results"]] == ["张三"]
