import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Staff factories hash a password per user; a fast hasher keeps this directory quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
