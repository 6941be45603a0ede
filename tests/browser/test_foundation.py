import pytest

from estates.models import Role
from tests.browser_support import shot
from tests.factories import ContractFactory, CustomerFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_logs_in_and_opens_project_and_customer_pages(browser_page, live_server, project):
    UserFactory(username="li", role=Role.CR_STAFF, projects=[project], first_name="李客服")
    unit = UnitFactory(building__project=project, number="3-1502")
    customer = CustomerFactory(name="张伟", phone="13812345678")
    ContractFactory(unit=unit, customers=[customer])
    page = browser_page

    page.goto(f"{live_server.url}/projects/")
    assert "/accounts/login/" in page.url
    shot(page, "foundation-login")
    assert page.locator("button[type=submit]").first.inner_text() == "登录"
    page.fill("#id_username", "li")
    page.fill("#id_password", "pass-Touchstone-1")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/projects/")
    assert page.locator("h1").inner_text() == "项目"
    page.click(f"text={project.code}")
    page.wait_for_url(f"**/projects/{project.code}/")
    assert "3-1502" in page.content()
    shot(page, "foundation-project")

    page.goto(f"{live_server.url}/customers/?q=张伟")
    page.click("text=张伟")
    page.wait_for_url("**/customers/*/")
    assert "13812345678" in page.content()  # customer-relations staff call owners back
    assert customer.id_number not in page.content()  # but do not see the ID number
    shot(page, "foundation-customer")
    assert page.console_errors == []


def test_language_switch_to_english(browser_page, live_server, project):
    UserFactory(username="li", role=Role.CR_STAFF, projects=[project])
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert page.locator("button[type=submit]").first.inner_text() == "Log in"
