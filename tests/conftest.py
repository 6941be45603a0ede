"""Fixtures every app's tests share. App-specific fixtures live in tests/<app>/conftest.py."""

import os

import pytest
from rest_framework.test import APIClient

from estates.models import Role
from tests.factories import ProjectFactory, UserFactory, api_client_with_key

IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(autouse=True)
def _locale_and_cache(settings):
    from django.core.cache import cache
    from django.utils import translation

    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture
def project(db):
    return ProjectFactory(code="SZ-GG", name="深圳光谷花园", city="深圳")


@pytest.fixture
def other_project(db):
    return ProjectFactory(code="BJ-XY", name="北京西苑", city="北京")


@pytest.fixture
def staff(project):
    return UserFactory(username="staff_a", role=Role.CR_STAFF, projects=[project])


@pytest.fixture
def manager(project):
    return UserFactory(username="manager_a", role=Role.CR_MANAGER, projects=[project])


@pytest.fixture
def project_manager(project):
    return UserFactory(username="pm_a", role=Role.PROJECT_MANAGER, projects=[project])


@pytest.fixture
def group_user(db):
    return UserFactory(username="group", role=Role.GROUP_CENTRE)


@pytest.fixture
def api_client_key(project):
    """(ApiClient, key) scoped to ``project``."""
    return api_client_with_key(name="sales-a", project_codes=[project.code])


@pytest.fixture
def api(api_client_key):
    """A DRF test client authenticated as the sales system of ``project``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_client_key[1]}")
    return client


@pytest.fixture
def staff_api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# --- Browser tests: one chromium launch for all of them (tests/browser_support.py) ------------------


@pytest.fixture
def chromium():
    """Debian's chromium, launched once for the test (a Playwright Browser); closed after it."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright's event loop
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A zh-CN page in Shanghai time, 1366×860, with ``page.console_errors``."""
    from tests.browser_support import new_page

    return new_page(chromium)


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium; outside CI they skip when it is missing."""
    import shutil

    if shutil.which("chromium") or IN_CI:
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CI=true) browser, worker and PostgreSQL tests may not skip: a skip there is a failure."""
    outcome = yield
    report = outcome.get_result()
    if not IN_CI or not report.skipped:
        return
    guarded = {"browser", "worker"} & set(item.keywords)
    if "postgres" in item.keywords and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        guarded.add("postgres")
    if guarded:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI although marked {sorted(guarded)}: {report.longrepr}"
