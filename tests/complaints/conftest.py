import pytest
import time_machine
from django.db import connection

from estates.models import Role
from tests.factories import UserFactory

# Monday 2026-03-02 10:00 in Shanghai: a plain working day, far from holidays.
MONDAY_10 = "2026-03-02T10:00:00+08:00"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def city_manager(project, other_project):
    """A customer-relations manager of another project in the same city as ``project``."""
    from tests.factories import ProjectFactory

    sibling = ProjectFactory(code="SZ-NS", name="深圳南山花园", city=project.city)
    return UserFactory(username="city_mgr", role=Role.CR_MANAGER, projects=[sibling])


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The shared user factory hashes a password per user; PBKDF2 would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _rules_seeded(request):
    """The SLA policies, calendar, ladder and limits come from a data migration; a transactional
    test anywhere in the session flushes them, so put them back before each database test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    request.getfixturevalue("transactional_db" if transactional else "db")
    import importlib

    from django.apps import apps

    from complaints.models import SlaPolicy

    if not SlaPolicy.objects.exists():
        importlib.import_module("complaints.migrations.0002_seed_policies").seed(apps, None)
