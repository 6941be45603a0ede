import pytest

from tests.browser.conftest import browser_page  # noqa: F401 - the shared Playwright fixture, for test_browser
from tests.risk.factories import gm_for


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The shared UserFactory hashes a password per user; PBKDF2 made each test take ~1.5 s to set up.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def gm(project):
    return gm_for(project)
