"""Shared helpers of the security suite."""

from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

# Rows a refused request may legitimately write: the security event itself, sessions, throttles.
BOOKKEEPING = {"estates.securityevent", "estates.loginthrottle", "sessions.session", "crm_site.idempotencyrecord",
               "crm_site.heartbeat"}


def database_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in BOOKKEEPING and not model._meta.proxy
    }


@pytest.fixture
def login_paths():
    return {resolve_url(settings.LOGIN_URL), reverse("admin:login")}


def redirect_path(response) -> str:
    return urlsplit(response.get("Location", "")).path


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The matrix creates a user per route: PBKDF2 would make the suite ten times slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Personal data in logs: capture the whole run (see log_capture.py) ---------------------------
from . import log_capture  # noqa: E402

log_capture.install()


def pytest_sessionfinish(session, exitstatus):
    found = log_capture.leaks()
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"PERSONAL DATA IN LOGS ({len(found)} lines), e.g. {found[:3]}", red=True)
        session.exitstatus = 1
