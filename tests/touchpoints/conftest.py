import pytest

from estates.models import Role
from tests.factories import BuildingFactory, ContractFactory, CustomerFactory, UnitFactory, UserFactory


@pytest.fixture
def buyer(project):
    customer = CustomerFactory(name="张三", external_id="P-77")
    ContractFactory(unit=UnitFactory(building=BuildingFactory(project=project)), customers=[customer])
    return customer


@pytest.fixture
def other_buyer(other_project):
    customer = CustomerFactory(name="李四", external_id="P-99")
    ContractFactory(unit=UnitFactory(building=BuildingFactory(project=other_project)), customers=[customer])
    return customer


@pytest.fixture
def group_client(client, group_user):
    client.force_login(group_user)
    return client


@pytest.fixture
def other_staff(other_project):
    return UserFactory(username="staff_b", role=Role.CR_STAFF, projects=[other_project])


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The shared UserFactory hashes a password per user; the default hasher costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def reseed(app_label: str, migration: str) -> None:
    """Run a seeding data migration again: transactional tests flush the database, seeds included."""
    import importlib

    from django.apps import apps

    importlib.import_module(f"{app_label}.migrations.{migration}").seed(apps, None)


@pytest.fixture
def seeded_catalogue():
    reseed("touchpoints", "0002_seed_catalogue")

