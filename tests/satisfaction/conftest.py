"""Fixtures of the satisfaction tests: owners whose 3-month survey is due today, and a sent invitation."""

import itertools
from datetime import date

import pytest

from estates.models import Role
from satisfaction import rules, services
from satisfaction.models import Invitation, Wave
from tests.factories import ContractFactory, CustomerFactory, UserFactory

_emails = itertools.count(1)


def handover_for(wave_code: str, due: date) -> date:
    """A handover date whose ``wave_code`` invitation falls due on ``due``."""
    wave = Wave.objects.get(code=wave_code)
    return rules.add_months(due, -wave.offset_months)


def make_contract(project, *, handover_on, owners=1, **kwargs):
    customers = [CustomerFactory(email=f"owner{next(_emails)}@example.com") for _ in range(owners)]
    return ContractFactory(unit__building__project=project, handover_on=handover_on, customers=customers, **kwargs)


@pytest.fixture
def due_contract(project):
    """A contract in ``project`` whose handover-3m survey falls due today."""
    from django.utils import timezone

    return make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))


@pytest.fixture
def invitation(due_contract) -> Invitation:
    """A sent handover-3m invitation of ``due_contract``'s owner."""
    services.daily_run()
    return Invitation.objects.select_related("wave", "template").get(contract=due_contract, wave__code="handover-3m")


@pytest.fixture
def cr_staff_other(other_project):
    return UserFactory(username="staff_b", role=Role.CR_STAFF, projects=[other_project])


def answers_all(*, overall=5, recommend=10, repurchase="1", **extra) -> dict:
    """A complete set of answers to the owner-standard template."""
    base = {
        "overall": overall,
        "quality": 4,
        "design": 4,
        "sales": 5,
        "property": 3,
        "service": 4,
        "issues": ["leak"],
        "recommend": recommend,
        "repurchase": repurchase,
        "contact": "phone",
        "comment": "很好",
    }
    return base | extra


@pytest.fixture
def seeded(db):
    """The seeded templates and waves, again: a transactional test's flush removes migration data."""
    import importlib

    from django.apps import apps

    importlib.import_module("satisfaction.migrations.0002_seed_templates_waves").seed(apps, None)
