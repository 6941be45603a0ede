"""Helpers for the portfolio tests: a valid sync record and row counts of everything the sync writes."""

import copy

import pytest

from estates.models import Building, Contract, Customer, Project, Unit
from tests.factories import make_id_number

SYNC_URL = "/api/v1/sync/contracts/"


def sync_record(n: int, *, project_code: str = "SZ-GG", project_name: str = "深圳光谷花园", city: str = "深圳") -> dict:
    """A valid contract record numbered ``n`` (its own unit and buyer), as a sales system sends it."""
    return {
        "external_id": f"C-{n}",
        "project": {"code": project_code, "name": project_name, "city": city},
        "unit": {"building": str(n % 10 + 1), "number": f"{n % 10 + 1}-{n:04d}", "area_m2": 89.5},
        "customers": [
            {
                "external_id": f"P-{n}",
                "name": f"业主{n}",
                "phone": f"139{n:08d}",
                "id_number": make_id_number(n),
                "household": {"children_ages": [6], "elderly": False, "income_band": "mid"},
            }
        ],
        "signed_on": "2025-03-01",
        "handover_on": "2026-06-30",
    }


def sync_batch(start: int, count: int, **kwargs) -> list[dict]:
    return [sync_record(n, **kwargs) for n in range(start, start + count)]


def row_counts() -> dict[str, int]:
    return {
        "projects": Project.objects.count(),
        "buildings": Building.objects.count(),
        "units": Unit.objects.count(),
        "customers": Customer.objects.count(),
        "contracts": Contract.objects.count(),
        "links": Contract.customers.through.objects.count(),
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.4 s per factory user; these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def record():
    """A factory of fresh record dicts (deep copies, safe to mutate)."""
    return lambda n=1, **kw: copy.deepcopy(sync_record(n, **kw))
