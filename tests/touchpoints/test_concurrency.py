"""Two staff answering the same A-point at the same moment (PostgreSQL only)."""

import threading

import pytest
from django.db import connection

from touchpoints import services
from touchpoints.models import FollowUp, PointCheck, SensitivityPoint

from .conftest import reseed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_issue_answers_at_once_keep_one_check_and_one_follow_up(project, staff, manager):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    reseed("touchpoints", "0002_seed_catalogue")
    point = SensitivityPoint.objects.get(code="SAL-02-1")
    barrier, errors = threading.Barrier(2), []

    def answer(actor, evidence):
        from django.db import connections

        try:
            barrier.wait()
            services.point_check_record(actor=actor, project=project, point=point, status="issue", evidence=evidence)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(u, f"由{u.username}发现")) for u in (staff, manager)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert PointCheck.objects.filter(project=project, point=point).count() == 1
    assert FollowUp.objects.filter(project=project).count() == 1
    from risk.models import RiskItem

    assert RiskItem.objects.filter(project=project, origin="touchpoints").count() == 1
