"""Every periodic job is safe twice at once (threads on PostgreSQL) and a killed database
connection mid-sweep leaves nothing half done.

``COVERED`` names, for each task in beat's schedule, the test that runs it twice concurrently;
a new periodic job fails ``test_every_periodic_job_has_a_concurrency_test`` until it has one.
"""

import threading
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection
from django.db.utils import InterfaceError

from complaints.models import Complaint, ComplaintEvent, Escalation, WeeklyReport
from crm_site.celery import collect_beat_schedule
from estates.models import Notification, OutboxEvent

COVERED = {
    "crm_site.tasks.heartbeat": "no effect besides a log line",
    "estates.outbox_drain": "tests/reliability/test_outbox_and_webhooks.py::test_two_drains_at_once_make_one_delivery_per_event_and_subscription",
    "estates.webhook_deliveries_send": "tests/reliability/test_outbox_and_webhooks.py::test_two_drains_at_once_make_one_delivery_per_event_and_subscription",
    "estates.login_throttles_prune": "a DELETE of expired rows: idempotent by construction",
    "estates.notifications_email_pending": "test_two_pending_mail_runs_at_once_send_each_notification_once",
    "complaints.sweep": "tests/complaints/test_tasks.py::test_two_sweeps_at_once_escalate_each_complaint_once",
    "complaints.weekly_report": "test_two_weekly_report_runs_at_once_build_and_announce_once",
    "complaints.rollups_refresh": "tests/complaints/test_rollups.py::test_two_refreshes_at_once_leave_one_correct_result",
    "complaints.open_tally_compact": "tests/complaints/test_open_tally.py::test_two_compactions_at_once_keep_the_sums",
    "satisfaction.tallies_compact": "tests/satisfaction/test_tallies.py::test_two_compactions_at_once_keep_the_sums",
    "risk.daily_reminders": "tests/risk/test_tasks.py::test_two_sweeps_at_once_escalate_once",
    "defects.chase_overdue": "tests/defects/test_tasks.py::test_two_sweeps_at_once_notify_once",
    "satisfaction.daily_run": "tests/satisfaction/test_tasks.py::test_two_runs_at_once_invite_and_send_each_owner_exactly_once, "
    "tests/satisfaction/test_complaint_surveys.py::test_two_runs_at_once_survey_each_closed_complaint_once, "
    "test_periodic_jobs_twice.py::test_two_daily_runs_at_once_remind_each_owner_once_and_expire_each_invitation_once",
    "crm_site.tasks.monthly_reports_build_due": "test_periodic_jobs_twice.py::test_two_monthly_report_runs_at_once_store_one_report_per_project_and_notify_once",
    "defects.refresh_prevention_checklists": "no notification; unique (project, entry) + ignore_conflicts (idempotent by constraint)",
}


def test_every_periodic_job_has_a_concurrency_test():
    scheduled = {entry["task"] for entry in collect_beat_schedule().values()}
    assert sorted(scheduled - COVERED.keys()) == []


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture
def complaint_rules(transactional_db, settings):
    import importlib

    from django.apps import apps

    from complaints.models import SlaPolicy

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not SlaPolicy.objects.exists():  # a transactional test flushes the seeded policies
        importlib.import_module("complaints.migrations.0002_seed_policies").seed(apps, None)


def twice_at_once(job) -> list[Exception]:
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            job()
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_weekly_report_runs_at_once_build_and_announce_once(postgres_only, complaint_rules, project, manager):
    from complaints import tasks
    from tests.complaints.factories import file_complaint

    with time_machine.travel("2026-03-02T10:00:00+08:00", tick=False):
        file_complaint(project=project)

    def job():
        with time_machine.travel("2026-03-09T07:30:00+08:00", tick=False):
            tasks.complaints_weekly_report()

    assert twice_at_once(job) == []
    assert WeeklyReport.objects.filter(week_start=date(2026, 3, 2)).count() == 1
    assert Notification.objects.filter(kind="complaint_weekly_report", recipient=manager).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pending_mail_runs_at_once_send_each_notification_once(postgres_only, project, manager, settings):
    from estates import tasks
    from estates.notifications import notify

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel("2026-03-02T10:00:00+08:00", tick=False):
        for i in range(5):
            notify(recipients=[manager], kind="test", title=f"t{i}", dedupe_key=f"k{i}")
    mail.outbox.clear()  # the after-commit sends ran in this test (no broker): forget them
    Notification.objects.update(emailed_at=None)  # as if the broker had lost them

    def job():
        with time_machine.travel("2026-03-02T10:05:00+08:00", tick=False):
            tasks.notifications_email_pending()

    assert twice_at_once(job) == []
    assert sorted(m.subject for m in mail.outbox) == [f"t{i}" for i in range(5)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_mid_sweep_leaves_no_partial_escalation(
    postgres_only, complaint_rules, project, manager, monkeypatch
):
    """pg_terminate_backend from another connection while a batch is being written: the sweep
    raises, the batch's transaction is gone (no escalation, event, outbox row or level), and the
    next run (beat's next minute, or a retry) escalates each complaint exactly once."""
    from complaints import escalation
    from tests.complaints.factories import file_complaint

    with time_machine.travel("2026-03-02T10:00:00+08:00", tick=False):
        ids = [file_complaint(project=project, channel="online").pk for _ in range(4)]
    OutboxEvent.objects.all().delete()
    real_save_batch = escalation._save_batch
    killed = []

    def save_then_die(*args, **kwargs):
        real_save_batch(*args, **kwargs)  # the batch's rows are written (uncommitted) ...
        if not killed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            killer = threading.Thread(target=_terminate, args=(pid,))
            killer.start()
            killer.join()
            killed.append(pid)  # ... and the connection dies before the notices and the commit

    monkeypatch.setattr(escalation, "_save_batch", save_then_die)
    with time_machine.travel("2026-03-03T10:01:00+08:00", tick=False), pytest.raises((OperationalError, InterfaceError)):
        escalation.complaints_sweep()
    connection.close()
    assert killed
    assert Escalation.objects.filter(complaint_id__in=ids).count() == 0
    assert ComplaintEvent.objects.filter(kind="escalated").count() == 0
    assert OutboxEvent.objects.count() == 0
    assert set(Complaint.objects.filter(pk__in=ids).values_list("escalation_level", flat=True)) == {0}
    monkeypatch.setattr(escalation, "_save_batch", real_save_batch)
    with time_machine.travel("2026-03-03T10:02:00+08:00", tick=False):
        escalation.complaints_sweep()
    assert Escalation.objects.filter(complaint_id__in=ids).count() == 4
    assert OutboxEvent.objects.filter(event="complaint.escalated").count() == 4
    assert set(Complaint.objects.filter(pk__in=ids).values_list("escalation_level", flat=True)) == {1}


def _terminate(pid: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        connection.close()
