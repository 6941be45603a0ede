"""The open-complaint tally (complaints/open_tally.py) behind the group dashboard's "open now"
figures equals a count taken in Python from the rows — after every kind of write (services, the
sweep's bulk write-back, bulk updates and deletes that bypass the services), between and after
compactions, at the overdue boundaries (due exactly now, earlier today, yesterday, tomorrow) — and
two compactions at once on PostgreSQL keep the sums."""

import datetime as dt
import threading
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from complaints import open_tally, rules, services
from complaints.escalation import complaints_sweep
from complaints.models import Complaint, ComplaintOpenTally, Severity
from tests.complaints.factories import file_complaint
from tests.factories import ProjectFactory

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def at(day: int, hour: int = 10, minute: int = 0, second: int = 0):
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=SH)


def python_counts(now) -> dict[int, Counter]:
    """Open, overdue, escalated and major complaints by project, from the rows with ``rules.is_overdue``."""
    out: dict[int, Counter] = {}
    for c in Complaint.objects.filter(status__in=Complaint.OPEN_STATUSES):
        row = out.setdefault(c.project_id, Counter())
        row["open"] += 1
        row["overdue"] += rules.is_overdue(
            status=c.status, first_response_due=c.first_response_due, resolution_due=c.resolution_due, now=now
        )
        row["escalated"] += c.escalation_level > 0
        row["major"] += c.severity == Severity.MAJOR
    return {pid: +row for pid, row in out.items()}


def tally_counts(now, project_ids=None) -> dict[int, Counter]:
    ids = project_ids or list(ProjectFactory._meta.model.objects.values_list("pk", flat=True))
    out: dict[int, Counter] = {}
    for row in open_tally.open_counts(ids, now=now):
        c = out.setdefault(row["project_id"], Counter())
        c["open"] += row["n"]
        c["overdue"] += row["overdue"]
        c["escalated"] += row["n"] if row["escalated"] else 0
        c["major"] += row["n"] if row["severity"] == Severity.MAJOR else 0
    return {pid: +row for pid, row in out.items()}


def stored_matches_rows(now):
    """The stored sums per key equal the rows' keys (days before yesterday may have been folded)."""
    fold_before = now.astimezone(UTC).date() - dt.timedelta(days=1)

    def folded(d: dict) -> Counter:
        out = Counter()
        for (pid, status, sev, esc, day), n in d.items():
            out[(pid, status, sev, esc, open_tally.PAST_DAY if day and day < fold_before else day)] += n
        return +out

    return folded(open_tally.sums()) == folded(open_tally.counted())


def life(projects, staff, manager):
    """Two weeks of work across projects, the clock moving; yields (label, now) after each step."""
    a_project, b_project = projects
    with time_machine.travel(at(2), tick=False) as clock:
        a = file_complaint(project=a_project, actor=staff)
        b = file_complaint(project=a_project, actor=staff, category="property")
        c = file_complaint(project=b_project, actor=staff, category="sales")
        yield "filed", timezone.now()
        services.complaint_respond(complaint=a, actor=staff, message="已联系业主")
        services.complaint_set_severity(complaint=b, actor=manager, severity=Severity.MAJOR, reason="媒体关注")
        yield "answered, one raised to major", timezone.now()
        clock.move_to(at(9))
        sweep = complaints_sweep()
        assert sweep.escalations > 0
        yield "the sweep escalated what is past due", timezone.now()
        b.refresh_from_db()
        services.complaint_respond(complaint=b, actor=staff, message="已联系")
        services.complaint_hold(complaint=b, actor=staff, reason="等待业主回复")
        yield "one on hold", timezone.now()
        a.refresh_from_db()
        services.complaint_resolve(complaint=a, actor=staff, resolution="已修复")
        yield "one resolved", timezone.now()
        clock.move_to(at(10))
        a.refresh_from_db()
        services.complaint_reopen(complaint=a, actor=staff, reason="又漏水了")
        b.refresh_from_db()
        services.complaint_resume(complaint=b, actor=staff)
        yield "reopened and resumed", timezone.now()
        Complaint.objects.filter(pk=c.pk).update(project=a_project, severity=Severity.HOT)  # a bulk write
        yield "a bulk move to another project", timezone.now()
        Complaint.objects.filter(pk=a.pk).update(resolution_due=at(30), first_response_due=None)
        yield "due times moved by hand", timezone.now()
        Complaint.objects.filter(pk=b.pk).delete()
        yield "one deleted", timezone.now()


@pytest.mark.django_db
def test_the_tally_equals_the_rows_after_every_kind_of_write(staff, manager, project, other_project):
    staff.projects.add(other_project)
    compactions = 0
    for label, now in life([project, other_project], staff, manager):
        assert tally_counts(now) == python_counts(now), label
        assert stored_matches_rows(now), label
        if label in ("the sweep escalated what is past due", "reopened and resumed"):
            open_tally.compact(now=now)
            compactions += 1
            assert tally_counts(now) == python_counts(now), f"{label}, compacted"
    assert compactions == 2


@pytest.mark.django_db
def test_overdue_at_the_boundaries_due_now_earlier_today_yesterday_and_tomorrow(staff, project):
    """A complaint is overdue from the instant after its due time (``rules.is_overdue``): the tally
    counts rows due before today (UTC) from its keys and the ones due today live."""
    with time_machine.travel(at(2), tick=False):
        complaint = file_complaint(project=project, actor=staff)
        services.complaint_respond(complaint=complaint, actor=staff, message="处理中")  # in progress: resolution due only
    due = at(12, 15)  # 07:00 UTC on 12 March
    Complaint.objects.filter(pk=complaint.pk).update(resolution_due=due)
    cases = [
        (due - dt.timedelta(days=1), 0),  # the day before
        (due - dt.timedelta(microseconds=1), 0),
        (due, 0),  # due exactly now: not yet overdue
        (due + dt.timedelta(microseconds=1), 1),  # later the same day: counted live
        (due.astimezone(UTC).replace(hour=23, minute=59, second=59), 1),
        (due + dt.timedelta(days=1), 1),  # the next day: from the tally's keys
        (due + dt.timedelta(days=40), 1),
    ]
    for now, overdue in cases:
        assert tally_counts(now)[project.pk]["overdue"] == overdue, now
        assert python_counts(now)[project.pk]["overdue"] == overdue, now
        open_tally.compact(now=now)  # folding never changes a figure
        assert tally_counts(now)[project.pk]["overdue"] == overdue, f"{now}, compacted"


@pytest.mark.django_db
def test_received_counts_from_the_earlier_due_time_and_on_hold_never(staff, project):
    with time_machine.travel(at(2), tick=False):
        unanswered = file_complaint(project=project, actor=staff)
        held = file_complaint(project=project, actor=staff)
        services.complaint_respond(complaint=held, actor=staff, message="已联系")
        services.complaint_hold(complaint=held, actor=staff, reason="等待业主")
    first, resolution = at(3), at(20)
    Complaint.objects.filter(pk=unanswered.pk).update(first_response_due=first, resolution_due=resolution)
    Complaint.objects.filter(pk=held.pk).update(first_response_due=at(2, 11), resolution_due=at(2, 12))
    for now, overdue in [(first, 0), (first + dt.timedelta(seconds=1), 1), (at(25), 1)]:
        assert tally_counts(now)[project.pk] == Counter(open=2, overdue=overdue), now
        assert python_counts(now)[project.pk] == Counter(open=2, overdue=overdue), now
    # Without a first-response due time, the resolution due time decides.
    Complaint.objects.filter(pk=unanswered.pk).update(first_response_due=None)
    assert tally_counts(first + dt.timedelta(seconds=1))[project.pk]["overdue"] == 0
    assert tally_counts(resolution + dt.timedelta(seconds=1))[project.pk]["overdue"] == 1


@pytest.mark.django_db
def test_compaction_folds_to_a_few_rows_and_rebuild_gives_the_same_figures(staff, project):
    with time_machine.travel(at(2), tick=False):
        for _ in range(6):
            file_complaint(project=project, actor=staff)
    now = at(20)
    before = tally_counts(now)
    deltas = ComplaintOpenTally.objects.count()
    assert deltas >= 6  # at least one per filing
    result = open_tally.compact(now=now)
    assert result == {"skipped": False, "rows": deltas}
    assert ComplaintOpenTally.objects.count() == 1  # one key: the past days folded together
    assert ComplaintOpenTally.objects.get().overdue_day == open_tally.PAST_DAY
    assert tally_counts(now) == before == python_counts(now)
    assert open_tally.compact(now=now)["rows"] == 1  # idempotent
    assert ComplaintOpenTally.objects.count() == 1
    open_tally.rebuild()
    assert open_tally.sums() == open_tally.counted()
    assert tally_counts(now) == before


@pytest.mark.django_db
def test_the_group_dashboard_reads_the_tally(staff, project, group_user):
    from crm_site.dashboards import periods, selectors

    with time_machine.travel(at(2), tick=False):
        for _ in range(3):
            file_complaint(project=project, actor=staff)
    ComplaintOpenTally.objects.all().delete()  # the dashboard's "open" now comes only from the tally
    with time_machine.travel(at(20), tick=False):
        period = periods.resolve("30d", today=dt.date(2026, 3, 20))
        data = selectors.group_dashboard_build(actor=group_user, projects=[project], period=period, today=period.end)
    row = next(r for r in data["rows"] if r["project"]["code"] == project.code)
    assert row["sections"]["complaints"]["counts"]["open"] == 0
    open_tally.rebuild()
    with time_machine.travel(at(20), tick=False):
        data = selectors.group_dashboard_build(actor=group_user, projects=[project], period=period, today=period.end)
    assert data["rows"][0]["sections"]["complaints"]["counts"]["open"] == 3
    assert data["rows"][0]["sections"]["complaints"]["counts"]["overdue"] == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_compactions_at_once_keep_the_sums(postgres_only, staff, manager):
    projects = ProjectFactory.create_batch(2)
    staff.projects.add(*projects)
    manager.projects.add(*projects)
    for _label, _now in life(projects, staff, manager):
        pass
    now = at(20)
    expected = python_counts(now)
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(open_tally.compact(now=now))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r["skipped"] for r in results) in ([False, False], [False, True])
    assert tally_counts(now) == expected
    assert stored_matches_rows(now)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_truncating_the_complaints_empties_the_tally(postgres_only, staff, project):
    file_complaint(project=project, actor=staff)
    assert ComplaintOpenTally.objects.exists()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE complaints_complaint CASCADE")
    assert open_tally.sums() == {}
