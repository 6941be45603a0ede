import importlib

import pytest

from tests.risk.factories import gm_for


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The shared UserFactory hashes a password per user; PBKDF2 made each test take ~1.5 s to set up.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def gm(project):
    return gm_for(project)


@pytest.fixture
def risk_catalogue(transactional_db):
    """Re-seed the checklists, factor types and departments after another test's flush.

    Transactional tests run on a flushed database, which loses migration 0002's data. The seed is
    idempotent (get_or_create / update_or_create), so this is safe on a database that has it.
    """
    from django.apps import apps

    importlib.import_module("risk.migrations.0002_seed_catalogues").seed(apps, None)
