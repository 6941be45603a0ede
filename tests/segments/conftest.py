import pytest

from estates.models import Role
from tests.factories import BuildingFactory, ContractFactory, CustomerFactory, ProjectFactory, UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The shared UserFactory hashes a password per user; the default hasher costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def buyer_in(project, **facts):
    defaults = {"children_ages": [], "elderly_living_in": False, "income_band": "mid", "age_band": "30_44", "household_size": 3}
    customer = CustomerFactory(**{**defaults, **facts})
    ContractFactory(unit=UnitFactory(building=BuildingFactory(project=project)), customers=[customer])
    return customer


@pytest.fixture
def buyer(project):
    return buyer_in(project, external_id="P-77", children_ages=[6])


@pytest.fixture
def other_buyer(other_project):
    return buyer_in(other_project, external_id="P-99")


@pytest.fixture
def tianjin(db):
    return ProjectFactory(code="TJ-HX", name="天津河西项目", city="天津", stage="investment")


@pytest.fixture
def manager_api(manager):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def group_client(client, group_user):
    client.force_login(group_user)
    return client


@pytest.fixture
def other_staff(other_project):
    return UserFactory(username="staff_b", role=Role.CR_STAFF, projects=[other_project])


def reseed(app_label: str, migration: str) -> None:
    """Run a seeding data migration again: transactional tests flush the database, seeds included."""
    import importlib

    from django.apps import apps

    importlib.import_module(f"{app_label}.migrations.{migration}").seed(apps, None)

