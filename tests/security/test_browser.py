"""The locked login as a user sees it (chromium), with the strict CSP raising no console error."""

import os

import pytest

from tests.browser_support import shot
from tests.factories import UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_locked_login_says_so_plainly(browser_page, live_server, project, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    UserFactory(username="li")
    page = browser_page
    for password in ("wrong-1", "wrong-2", "wrong-3", "pass-Touchstone-1"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "li")
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    assert page.locator("[role=alert]").inner_text() == "失败次数过多：该账号在此地址已被锁定 15 分钟，请稍后再试。"
    shot(page, "trust-login-locked")
    assert page.console_errors == []
