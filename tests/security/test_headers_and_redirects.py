"""CSP without inline script on every HTML page, no open redirects, and a clean deploy check."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from estates.models import Role
from tests.factories import UserFactory

from .routes import all_routes, is_public, list_routes, object_routes, registered_factories

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


def _script_src(csp: str) -> str:
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    return directives.get("script-src", directives.get("default-src", ""))


def _page_urls(project):
    urls = [r.path for r in list_routes() if not r.is_api]
    urls += [reverse(r.name, kwargs=registered_factories()[r.name](project)) for r in object_routes()
             if not r.is_api and r.name in registered_factories()]
    urls += [r.path for r in all_routes() if is_public(r) and not r.is_api and not r.kwargs and r.name != "logout"]
    return urls


def _assert_strict_page(response, url):
    csp = response.get("Content-Security-Policy", "")
    assert csp, url
    assert "'unsafe-inline'" not in _script_src(csp) and "'unsafe-eval'" not in _script_src(csp), url
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp, url
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body), (url, INLINE_SCRIPT.search(body).group(0))
    assert not HANDLER_ATTRIBUTE.search(body), (url, HANDLER_ATTRIBUTE.search(body).group(0))
    assert not STYLE_ATTRIBUTE.search(body), (url, STYLE_ATTRIBUTE.search(body).group(0))
    assert not JS_URL.search(body), url


def test_every_html_page_has_a_csp_without_inline_script_and_obeys_it(project):
    client = Client()
    client.force_login(UserFactory(role=Role.CR_MANAGER, projects=[project]))
    checked = 0
    for url in _page_urls(project):
        response = client.get(url, follow=True)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            _assert_strict_page(response, url)
            checked += 1
    assert checked >= 5


def test_the_login_page_has_the_strict_csp(db):
    _assert_strict_page(Client().get("/accounts/login/"), "/accounts/login/")


def test_every_admin_page_carries_a_csp_without_inline_script(admin_client):
    for route in all_routes():
        if route.is_admin and not route.kwargs:
            response = admin_client.get(route.path)
            if response["Content-Type"].startswith("text/html"):
                assert "'unsafe-inline'" not in _script_src(response["Content-Security-Policy"]), route.path


def test_error_pages_carry_the_csp_too(staff_client):
    response = staff_client.get("/customers/2000000000/")
    assert response.status_code == 404
    assert "script-src 'self'" in response["Content-Security-Policy"]


EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example", "\\\\evil.example",
        "javascript:alert(1)", " https://evil.example"]


@pytest.mark.parametrize("target", EVIL)
def test_login_never_redirects_off_site(staff, target):
    response = Client().post(f"/accounts/login/?next={target}", {"username": staff.username, "password": "pass-Touchstone-1",
                                                                  "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("target", EVIL)
def test_set_language_never_redirects_off_site(db, target):
    response = Client().post("/i18n/setlang/", {"language": "en", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_keeps_an_on_site_next(staff):
    response = Client().post("/accounts/login/", {"username": staff.username, "password": "pass-Touchstone-1",
                                                   "next": "/customers/"})
    assert response["Location"] == "/customers/"


@pytest.mark.slow
def test_manage_py_check_deploy_passes_with_production_settings(tmp_path):
    # Only what a production host has: no test-run variables (DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests).
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(TOUCHSTONE_ENV="production", SECRET_KEY="trust-check-" + "x7Kq2" * 12, ALLOWED_HOSTS="touchstone.example",
               TOUCHSTONE_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
