"""The sweep: breaches found through the indexes, one escalation per (complaint, level), tiers
raised by age, constant query count, safe twice and concurrently; the weekly report job."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services, tasks
from complaints.escalation import complaints_sweep
from complaints.models import Complaint, Escalation, Severity, WeeklyReport
from estates.models import Notification
from tests.complaints.factories import file_complaint

pytestmark = pytest.mark.django_db


def test_first_response_breach_escalates_once_and_notifies(project, staff, manager, clock):
    c = file_complaint(project=project, actor=staff, channel="online")
    clock.shift(timedelta(hours=24, minutes=1))
    result = complaints_sweep()
    c.refresh_from_db()
    assert (result.escalations, c.escalation_level, c.first_response_breached) == (1, 1, True)
    assert Escalation.objects.get().reason == "first_response"
    assert Notification.objects.filter(recipient=manager, kind="complaint_escalated").count() == 1
    assert c.events.filter(kind="escalated").count() == 1


def test_nothing_is_due_one_minute_before(project, staff, clock):
    file_complaint(project=project, actor=staff, channel="online")
    clock.shift(timedelta(hours=23, minutes=59))
    assert complaints_sweep().escalations == 0
    assert Escalation.objects.count() == 0


def test_sweep_repeated_is_a_no_op(project, staff, manager, clock):
    file_complaint(project=project, actor=staff, channel="online")
    clock.shift(timedelta(hours=25))
    complaints_sweep()
    again = complaints_sweep()
    assert (again.complaints, again.escalations) == (0, 0)
    assert Escalation.objects.count() == 1
    assert Notification.objects.filter(kind="complaint_escalated").count() == 1


def test_task_delivered_twice_escalates_once(project, staff, clock):
    file_complaint(project=project, actor=staff, channel="online")
    clock.shift(timedelta(hours=25))
    tasks.complaints_sweep()
    tasks.complaints_sweep()
    assert Escalation.objects.count() == 1


def test_resolution_breach_is_a_second_level(project, staff, clock):
    c = file_complaint(project=project, actor=staff, channel="online")
    clock.shift(timedelta(hours=25))
    complaints_sweep()
    services.complaint_respond(complaint=c, actor=staff, message="x")
    clock.shift(timedelta(days=4))  # the ordinary online resolution target is 120 clock hours
    complaints_sweep()
    assert list(Escalation.objects.order_by("level").values_list("level", "reason")) == [(1, "first_response"), (2, "resolution")]


def test_six_days_23_hours_unresolved_stays_ordinary(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    clock.shift(timedelta(days=6, hours=23))
    complaints_sweep()
    c.refresh_from_db()
    assert c.severity == Severity.ORDINARY


def test_seven_days_unresolved_becomes_hot(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    clock.shift(timedelta(days=7, minutes=1))
    complaints_sweep()
    c.refresh_from_db()
    assert c.severity == Severity.HOT
    assert c.events.filter(kind="severity_raised").count() == 1


def test_a_month_unresolved_becomes_major(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    clock.shift(timedelta(days=30, minutes=1))
    complaints_sweep()
    c.refresh_from_db()
    assert c.severity == Severity.MAJOR


def test_hold_time_does_not_count_towards_hot(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    services.complaint_hold(complaint=c, actor=staff, reason="等待第三方检测")
    clock.shift(timedelta(days=2))
    services.complaint_resume(complaint=c, actor=staff)
    clock.shift(timedelta(days=6, hours=23))  # 8 days 23 h since filing, 6 days 23 h counted
    complaints_sweep()
    c.refresh_from_db()
    assert c.severity == Severity.ORDINARY
    clock.shift(timedelta(hours=1, minutes=1))
    complaints_sweep()
    c.refresh_from_db()
    assert c.severity == Severity.HOT


def test_complaint_on_hold_is_not_swept(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    services.complaint_hold(complaint=c, actor=staff, reason="等待")
    clock.shift(timedelta(days=40))
    assert complaints_sweep().complaints == 0
    c.refresh_from_db()
    assert (c.severity, c.escalation_level) == (Severity.ORDINARY, 0)


def test_tier_never_falls_when_swept(project, staff, manager, clock):
    c = file_complaint(project=project, actor=staff, lawsuit_filed=True)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    clock.shift(timedelta(days=8))
    complaints_sweep()
    c.refresh_from_db()
    assert c.severity == Severity.MAJOR


def test_escalation_stops_at_the_top_of_the_ladder(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    for _ in range(3):
        services.complaint_escalate(complaint=c, actor=staff, reason="x")
    clock.shift(timedelta(days=2))
    complaints_sweep()
    c.refresh_from_db()
    assert (c.escalation_level, c.first_response_breached) == (3, True)
    assert Escalation.objects.count() == 3


def _filler(project, n, now):
    """Open complaints that are not due, created in bulk (the sweep must not look at them)."""
    later = now + timedelta(days=3)
    Complaint.objects.bulk_create(
        [
            Complaint(
                project=project,
                reference=f"FILL-{i}",
                channel="online",
                category="other",
                title="t",
                description="d",
                occurred_at=now,
                status="in_progress",
                first_response_due=later,
                resolution_due=later,
                hot_at=later + timedelta(days=4),
                major_at=later + timedelta(days=27),
                complainant_key=f"anon:f{i}",
            )
            for i in range(n)
        ]
    )


def _sweep_queries(project, staff, clock, open_count):
    for _ in range(3):
        file_complaint(project=project, actor=staff, channel="info_system")
    _filler(project, open_count, timezone.now())
    clock.shift(timedelta(hours=5))
    with CaptureQueriesContext(connection) as ctx:
        result = complaints_sweep()
    assert result.escalations == 3
    return len(ctx.captured_queries)


def test_sweep_query_count_does_not_grow_with_open_complaints(project, staff, manager, clock):
    small = _sweep_queries(project, staff, clock, 10)
    Complaint.objects.all().delete()
    Escalation.objects.all().delete()
    Notification.objects.all().delete()
    large = _sweep_queries(project, staff, clock, 1000)
    assert small == large


def test_sweep_batch_costs_the_same_for_3_and_15_due(project, staff, manager, clock):
    """A batch costs the same whatever is due in it, notifications included (sent as one batch)."""
    counts = []
    for n in (3, 15):
        Complaint.objects.all().delete()
        for _ in range(n):
            file_complaint(project=project, actor=staff, channel="info_system")
        clock.shift(timedelta(hours=5))
        with CaptureQueriesContext(connection) as ctx:
            complaints_sweep()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def _due_rows(project, n, now, *, assignee=None, kind="resolution"):
    """``n`` in-progress complaints that have just become due: their resolution time has passed
    (kind "resolution"), or they are eight days old and not yet hot (kind "hot")."""
    later = now + timedelta(days=3)
    rows = []
    for i in range(n):
        filed = now - timedelta(days=8) if kind == "hot" else now - timedelta(days=2)
        rows.append(
            Complaint(
                project=project,
                reference=f"DUE-{kind}-{i}",
                channel="online",
                category="other",
                title="t",
                description="d",
                occurred_at=filed,
                status="in_progress",
                assignee=assignee,
                first_responded_at=filed + timedelta(hours=1),
                first_response_due=filed + timedelta(hours=24),
                resolution_due=now - timedelta(minutes=1) if kind == "resolution" else later,
                resolution_breached=kind == "hot",
                hot_at=now - timedelta(minutes=1) if kind == "hot" else later,
                major_at=later + timedelta(days=20),
                complainant_key=f"anon:{kind}{i}",
            )
        )
    created = Complaint.objects.bulk_create(rows)
    # created_at is set on insert: put the filing time where the kind needs it.
    Complaint.objects.filter(pk__in=[c.pk for c in created]).update(created_at=now - timedelta(days=8 if kind == "hot" else 2))
    return created


@pytest.mark.parametrize("kind", ["resolution", "hot"])
def test_sweep_query_count_is_independent_of_the_number_due(project, staff, manager, clock, kind):
    """10 or 600 due: the same queries (one claim, one INSERT per table, one UPDATE for every row
    written back, the notifications), on SQLite as on PostgreSQL. "hot" also re-derives due times."""
    from django.core.cache import cache

    counts = {}
    for n in (10, 600):
        Complaint.objects.all().delete()
        Escalation.objects.all().delete()
        Notification.objects.all().delete()
        cache.clear()  # both runs build the SLA book (or neither would)
        _due_rows(project, n, timezone.now(), assignee=staff, kind=kind)
        with CaptureQueriesContext(connection) as ctx:
            result = complaints_sweep()
        assert (result.complaints, result.escalations, result.batches) == (n, n, 1)
        counts[n] = len(ctx.captured_queries)
        assert Escalation.objects.count() == n
        assert Notification.objects.filter(kind="complaint_escalated", recipient=staff).count() == n
    # BEGIN, claim, projects, handlers, ladder, staff + their projects, [SLA book (3), holds],
    # INSERT escalations, events, outbox, one UPDATE, notifications INSERT + SELECT, COMMIT.
    assert counts[10] == counts[600] <= 18, counts
    if kind == "hot":
        # The re-derived due times were written back row by row, each its own values.
        from complaints import sla

        sample = Complaint.objects.order_by("pk")[::97]
        book = sla.SlaBook()
        for c in sample:
            assert (c.severity, c.escalation_level) == (Severity.HOT, 1)
            expected = Complaint.objects.get(pk=c.pk)
            sla.apply_due_times(expected, book=book, holds=[])
            assert (c.policy_id, c.resolution_due, c.major_at) == (expected.policy_id, expected.resolution_due, expected.major_at)
            assert c.policy.severity == Severity.HOT


def test_nothing_due_is_one_query(project, staff, clock):
    file_complaint(project=project, actor=staff)
    with CaptureQueriesContext(connection) as ctx:
        result = complaints_sweep()
    assert result.complaints == 0
    selects = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1
    assert len(ctx.captured_queries) <= 3  # with BEGIN and COMMIT where the backend logs them


def test_sweep_larger_than_a_batch_takes_several(project, staff, manager, clock):
    _due_rows(project, 25, timezone.now(), assignee=staff)
    result = complaints_sweep(batch_size=10)
    assert (result.escalations, result.batches) == (25, 3)
    assert complaints_sweep().complaints == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_complaint_once(project, staff, manager, postgres_only):
    import time_machine

    with time_machine.travel("2026-03-02T10:00:00+08:00", tick=False):
        ids = [file_complaint(project=project, actor=staff, channel="info_system").pk for _ in range(40)]
    errors = []
    barrier = threading.Barrier(2)

    def run():
        try:
            with time_machine.travel("2026-03-02T15:00:00+08:00", tick=False):
                barrier.wait()
                complaints_sweep(batch_size=7)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Escalation.objects.filter(complaint_id__in=ids).count() == 40
    assert set(Escalation.objects.values_list("level", flat=True)) == {1}
    assert Notification.objects.filter(kind="complaint_escalated", recipient=manager).count() == 40
    assert set(Complaint.objects.filter(pk__in=ids).values_list("escalation_level", flat=True)) == {1}


# --- Weekly report ---------------------------------------------------------------------------------


def test_weekly_report_is_built_once_and_announced(project, staff, manager, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_respond(complaint=c, actor=staff, message="x")
    clock.shift(timedelta(days=7))  # Monday 9 March: last week is 2 – 8 March
    first = tasks.complaints_weekly_report()
    second = tasks.complaints_weekly_report()
    report = WeeklyReport.objects.get()
    assert first == second == report.pk
    assert report.week_start == date(2026, 3, 2)
    assert report.data["overall"]["counts"]["filed"] == 1
    assert [p["code"] for p in report.data["projects"]] == ["SZ-GG"]
    assert Notification.objects.filter(kind="complaint_weekly_report", recipient=manager).count() == 1


def test_weekly_report_as_excel(project, staff, clock):
    from io import BytesIO

    from openpyxl import load_workbook

    from complaints.reports import weekly_report_build, weekly_report_xlsx

    file_complaint(project=project, actor=staff)
    report = weekly_report_build(week_start=date(2026, 3, 2))
    book = load_workbook(BytesIO(weekly_report_xlsx(report)))
    assert book.sheetnames == ["汇总", "项目"]
    projects = book.worksheets[1]
    assert projects.cell(row=2, column=1).value == "深圳光谷花园 (SZ-GG)"
    assert projects.cell(row=2, column=3).value == 1
