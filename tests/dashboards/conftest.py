import pytest

from tests.browser.conftest import browser_page  # noqa: F401 - the shared chromium fixture, for test_browser.py


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Staff factories hash a password per user; a fast hasher keeps this directory quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
