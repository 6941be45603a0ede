"""Pages every user meets: login in both languages, login required everywhere, a strict CSP."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

# Paths that are public by design; everything else must send anonymous users to the login page.
# Owners open their survey by a signed token, without an account (satisfaction/s/<token>/).
PUBLIC_PREFIXES = ("accounts/", "i18n/", "healthz", "api/", "admin/", "static/", "satisfaction/s/")
DUMMY_ARGS = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000", "path": "x"}


def _page_paths(patterns=None, prefix=""):
    """Every URL pattern of the site, with dummy values for its converters."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        for name, converter in DUMMY_ARGS.items():
            route = re.sub(rf"<{name}:\w+>", converter, route)
        route = re.sub(r"<\w+>", "x", route)
        if isinstance(entry, URLResolver):
            yield from _page_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and not route.startswith("^"):
            yield prefix + route


PAGES = sorted({p for p in _page_paths() if not p.startswith(PUBLIC_PREFIXES)})


def test_the_site_has_the_foundation_pages():
    assert {"", "projects/", "projects/x/", "customers/", "customers/1/"} <= set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_users_are_sent_to_the_login_page(client, path):
    response = client.get(f"/{path}")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_login_page_is_in_chinese_by_default(client):
    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="zh-hans">' in page
    assert "登录" in page
    assert "用户名" in page
    assert "Log in" not in page


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="zh-hans">' in page
    assert "登录" in page


def test_an_unknown_language_cookie_falls_back_to_chinese(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    assert "登录" in client.get("/accounts/login/").content.decode()


def test_the_language_switch_turns_the_login_page_to_english(client):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()

    assert switched.status_code == 302
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Username" in page
    assert "登录" not in page


def test_the_language_switch_keeps_staff_pages_in_english(client, staff, project):
    client.force_login(staff)
    client.post("/i18n/setlang/", {"language": "en", "next": "/projects/"})

    page = client.get("/projects/").content.decode()

    assert "Projects" in page
    assert "Log out" in page


def test_staff_log_in_with_their_password(client, staff):
    response = client.post("/accounts/login/", {"username": "staff_a", "password": "pass-Touchstone-1"})

    assert response.status_code == 302
    assert client.get("/projects/").status_code == 200


def test_a_wrong_password_shows_the_error_in_chinese(client, staff):
    page = client.post("/accounts/login/", {"username": "staff_a", "password": "wrong"}).content.decode()

    assert "用户名或密码不正确" in page


def test_logout_is_a_post_and_ends_the_session(client, staff):
    client.force_login(staff)

    client.post("/accounts/logout/")

    assert client.get("/projects/").status_code == 302


def _script_src(csp: str) -> str:
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    return directives.get("script-src", directives["default-src"])


@pytest.fixture
def customer(project):
    return ContractFactory(unit__building__project=project).customers.get()


@pytest.mark.parametrize("path", ["/accounts/login/", "/projects/", "/projects/SZ-GG/", "/customers/", "customer"])
def test_pages_carry_a_csp_without_inline_script(client, staff, customer, path):
    client.force_login(staff)
    if path == "customer":
        path = f"/customers/{customer.pk}/"
    if path == "/accounts/login/":
        client.logout()

    response = client.get(path)

    assert response.status_code == 200
    script_src = _script_src(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"""(src|href)=["']https?://""", html), "asset from another host"


def test_security_headers_on_pages(client):
    response = client.get("/accounts/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
