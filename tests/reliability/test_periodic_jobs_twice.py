"""The last two periodic jobs of the registry (tests/reliability/test_periodic_jobs.py::COVERED), run
twice at once on PostgreSQL (threads, each with its own connection): exactly one effect each.

- ``satisfaction.daily_run``: its plan and send phases are proved by
  tests/satisfaction/test_tasks.py::test_two_runs_at_once_invite_and_send_each_owner_exactly_once;
  here the remind and expire phases: each owner is reminded once (one event, one e-mail) and each
  invitation expires once.
- ``crm_site.tasks.monthly_reports_build_due``: two runs at once (the builds they queue run in the
  same threads) store one report per project and notify each manager once.
"""

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from estates.models import Notification, Role
from tests.factories import ProjectFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def twice_at_once(job) -> list[Exception]:
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            job()
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


# --- satisfaction.daily_run: remind and expire ------------------------------------------------------


@pytest.fixture
def seeded_waves():
    import importlib

    from django.apps import apps

    importlib.import_module("satisfaction.migrations.0002_seed_templates_waves").seed(apps, None)


def test_two_daily_runs_at_once_remind_each_owner_once_and_expire_each_invitation_once(seeded_waves):
    from satisfaction import rules, services
    from satisfaction.models import Event, Invitation
    from tests.satisfaction.test_tasks import _bulk_due_contracts

    n = 120
    start = timezone.now().replace(hour=9, minute=30, second=0, microsecond=0)
    project = ProjectFactory(code="TWICE")
    _bulk_due_contracts(project, n, rules.add_months(timezone.localdate(start), -3))
    with time_machine.travel(start, tick=False):
        services.daily_run(now=start, batch_size=25)
    assert Invitation.objects.filter(status="sent").count() == n

    def run_on(day):
        def job():
            with time_machine.travel(day, tick=False):
                services.daily_run(now=day, batch_size=25)

        return job

    # A week later the first reminder is due: two runs at once remind each owner exactly once.
    mail.outbox.clear()
    week = start + timedelta(days=7)
    assert twice_at_once(run_on(week)) == []
    reminded = Counter(Event.objects.filter(kind="reminded").values_list("invitation_id", flat=True))
    assert len(reminded) == n and set(reminded.values()) == {1}
    assert set(Invitation.objects.values_list("reminder_count", flat=True)) == {1}
    assert len(mail.outbox) == n  # one reminder e-mail per owner, none twice
    assert len({m.to[0] for m in mail.outbox}) == n

    # After the window closes: two runs at once expire each invitation exactly once.
    late = start + timedelta(days=45)
    assert twice_at_once(run_on(late)) == []
    expired = Counter(Event.objects.filter(kind="expired").values_list("invitation_id", flat=True))
    assert len(expired) == n and set(expired.values()) == {1}
    assert set(Invitation.objects.values_list("status", flat=True)) == {"expired"}


# --- crm_site.tasks.monthly_reports_build_due -----------------------------------------------------


def test_two_monthly_report_runs_at_once_store_one_report_per_project_and_notify_once(settings):
    from crm_site import tasks
    from crm_site.models import MonthlyReport

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the queued builds run in the job's own thread
    projects = [ProjectFactory(code=f"MR-{i}", name=f"月报{i}") for i in range(3)]
    managers = [UserFactory(username=f"mr_mgr_{i}", role=Role.CR_MANAGER, projects=[p]) for i, p in enumerate(projects)]

    def job():
        with time_machine.travel("2026-04-01T08:00:00+08:00", tick=False):
            tasks.monthly_reports_build_due()

    assert twice_at_once(job) == []
    assert MonthlyReport.objects.count() == len(projects)
    assert sorted(MonthlyReport.objects.values_list("project__code", flat=True)) == [p.code for p in projects]
    assert set(MonthlyReport.objects.values_list("month", flat=True)) == {date(2026, 3, 1)}
    for manager in managers:
        assert Notification.objects.filter(kind="monthly_report", recipient=manager).count() == 1
    assert not MonthlyReport.objects.filter(notified_at__isnull=True).exists()

    # And a third run the same day finds nothing due.
    with time_machine.travel("2026-04-01T14:00:00+08:00", tick=False):
        assert tasks.monthly_reports_build_due() == 0
