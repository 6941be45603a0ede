"""The dashboards' daily complaint counts (complaints/rollups.py) equal a fresh count from the rows —
after refreshes, between them (changed days counted live), after a rebuild — as complaints are
filed, answered, resolved, revisited, reopened and closed on different days; the refresh is
idempotent, and two at once on PostgreSQL leave one correct result."""

import datetime as dt
import threading
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from complaints import rollups, services
from complaints.models import Complaint, ComplaintDayCount, ComplaintDayDirty, Revisit
from complaints.rollup_models import COUNT_FIELDS
from tests.complaints.factories import file_complaint
from tests.factories import ProjectFactory

SH = ZoneInfo("Asia/Shanghai")
DIMS = ("project", "day", "category", "severity")
START, END = dt.date(2026, 2, 20), dt.date(2026, 3, 31)


def fresh(project_ids=None, start=START, end=END) -> dict:
    """Every count by (project, local day, category, severity), counted in Python from the rows."""
    out = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    revisited = set(Revisit.objects.values_list("complaint_id", flat=True))

    def bucket(c, at):
        day = at.astimezone(SH).date()
        if start <= day <= end and (project_ids is None or c.project_id in project_ids):
            return out[(c.project_id, day, c.category, c.severity)]
        return None

    for c in Complaint.objects.all():
        if (b := bucket(c, c.created_at)) is not None:
            b["filed"] += 1
            b["closed"] += c.status == "closed"
        if c.resolved_at and (b := bucket(c, c.resolved_at)) is not None:
            b["resolved"] += 1
            b["on_time"] += bool(
                c.first_responded_at and c.first_responded_at <= c.first_response_due and c.resolved_at <= c.resolution_due
            )
            b["revisited"] += c.pk in revisited
    for r in Revisit.objects.select_related("complaint"):
        if (b := bucket(r.complaint, r.created_at)) is not None:
            b["revisits"] += 1
            b["satisfied"] += r.satisfied
    return {k: v for k, v in out.items() if any(v.values())}


def read(project_ids, start=START, end=END) -> dict:
    rows = rollups.complaint_day_counts(project_ids=project_ids, start=start, end=end, group_by=DIMS)
    return {tuple(r[d] for d in DIMS): {f: r[f] for f in COUNT_FIELDS} for r in rows if any(r[f] for f in COUNT_FIELDS)}


def stored() -> dict:
    return {
        (r.project_id, r.day, r.category, r.severity): {f: getattr(r, f) for f in COUNT_FIELDS}
        for r in ComplaintDayCount.objects.all()
        if any(getattr(r, f) for f in COUNT_FIELDS)
    }


def at(day: int, hour: int = 10):
    return dt.datetime(2026, 3, day, hour, tzinfo=SH)


def life(project, staff):
    """A fortnight of work, moving the clock day by day; yields after each day."""
    with time_machine.travel(at(2), tick=False) as clock:
        a = file_complaint(project=project, actor=staff)
        b = file_complaint(project=project, actor=staff, category="property")
        services.complaint_respond(complaint=a, actor=staff, message="已联系业主")
        yield "filed"
        clock.move_to(at(3, 23))  # late evening: 15:00 UTC, the local day differs from the UTC one
        c = file_complaint(project=project, actor=staff, category="sales")
        services.complaint_resolve(complaint=a, actor=staff, resolution="已修复")
        yield "resolved late in the evening"
        clock.move_to(at(5))
        services.complaint_revisit(complaint=a, actor=staff, satisfied=True, score=5)  # moves day 3's "revisited"
        services.complaint_close(complaint=a, actor=staff)  # moves day 2's "closed"
        services.complaint_respond(complaint=b, actor=staff, message="处理中")
        yield "revisited and closed two days later"
        clock.move_to(at(9))
        services.complaint_reopen(complaint=a, actor=staff, reason="又漏水了")  # day 3 loses its resolution
        services.complaint_resolve(complaint=b, actor=staff, resolution="已处理")
        services.complaint_respond(complaint=c, actor=staff, message="已联系")
        yield "reopened"
        clock.move_to(at(12))
        services.complaint_resolve(complaint=a, actor=staff, resolution="彻底修复")
        services.complaint_revisit(complaint=b, actor=staff, satisfied=False, score=2)
        Complaint.objects.filter(pk=c.pk).update(severity=2)  # a bulk write bypassing the services
        yield "resolved again, a bulk severity change"
        clock.move_to(at(13))
        Revisit.objects.filter(complaint=b).delete()
        yield "a follow-up call deleted"


@pytest.mark.django_db
def test_counts_equal_a_fresh_count_between_and_after_refreshes(staff, project, other_project):
    rollups.rollups_rebuild()
    ids = [project.pk, other_project.pk]
    for step, _label in enumerate(life(project, staff)):
        file_complaint(project=other_project, actor=staff)
        assert read(ids) == fresh(ids), f"live, {_label}"
        if step % 2:
            rollups.rollups_refresh()
            assert ComplaintDayDirty.objects.count() == 0
            assert read(ids) == fresh(ids), f"after refresh, {_label}"
    assert read(ids) == fresh(ids)
    rollups.rollups_refresh()
    assert stored() == fresh(start=dt.date.min, end=dt.date.max)  # the rollup alone is exact once refreshed


@pytest.mark.django_db
def test_only_the_actors_projects_and_the_period_are_counted(staff, project, other_project):
    for _label in life(project, staff):
        file_complaint(project=other_project, actor=staff)
    rollups.rollups_refresh()
    assert read([project.pk], dt.date(2026, 3, 3), dt.date(2026, 3, 9)) == fresh(
        {project.pk}, dt.date(2026, 3, 3), dt.date(2026, 3, 9)
    )
    assert read([]) == {}


@pytest.mark.django_db
def test_refresh_is_idempotent_and_rebuild_gives_the_same_rows(staff, project):
    for _label in life(project, staff):
        pass
    first = rollups.rollups_refresh()
    assert first["marks"] > 0
    table = stored()
    again = rollups.rollups_refresh()
    assert again == {"skipped": False, "marks": 0, "days": 0}
    assert stored() == table
    rollups.rollups_rebuild()
    assert stored() == table == fresh(start=dt.date.min, end=dt.date.max)


@pytest.mark.django_db
def test_the_migration_marked_nothing_and_a_filing_marks_its_day(staff, project):
    assert ComplaintDayDirty.objects.count() == 0
    with time_machine.travel(at(4, 7), tick=False):  # 07:00 in Shanghai is the day before in UTC
        file_complaint(project=project, actor=staff)
    assert set(ComplaintDayDirty.objects.values_list("project_id", "day")) == {(project.pk, dt.date(2026, 3, 3))}
    assert read([project.pk])[(project.pk, dt.date(2026, 3, 4), "construction_quality", 0)]["filed"] == 1


@pytest.mark.django_db
def test_dashboard_figures_follow_a_change_without_a_refresh(staff, project, group_user):
    from crm_site.dashboards import periods, selectors

    with time_machine.travel(at(2), tick=False):
        complaint = file_complaint(project=project, actor=staff)
        services.complaint_respond(complaint=complaint, actor=staff, message="好")
        services.complaint_resolve(complaint=complaint, actor=staff, resolution="好")
    rollups.rollups_refresh()
    period = periods.resolve("30d", today=dt.date(2026, 3, 10))

    def revisit_kpi():
        data = selectors.project_dashboard_build(actor=group_user, project=project, period=period, today=period.end)
        return next((k["num"], k["den"]) for k in data["kpis"] if k["key"] == "complaint_revisit")

    assert revisit_kpi() == (0, 1)
    with time_machine.travel(at(6), tick=False):
        services.complaint_revisit(complaint=complaint, actor=staff, satisfied=True, score=5)
    assert revisit_kpi() == (1, 1)  # day 2 is dirty: counted live
    rollups.rollups_refresh()
    assert revisit_kpi() == (1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_leave_one_correct_result(postgres_only, staff):
    projects = ProjectFactory.create_batch(3)
    for p in projects:
        for _label in life(p, staff):
            pass
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(rollups.rollups_refresh())
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
    assert sum(r["marks"] for r in results) > 0
    assert ComplaintDayDirty.objects.count() == 0
    assert stored() == fresh(start=dt.date.min, end=dt.date.max)
    rollups.rollups_refresh()
    assert stored() == fresh(start=dt.date.min, end=dt.date.max)


@pytest.mark.django_db
def test_many_scattered_changed_days_still_give_exact_figures(staff, project, monkeypatch):
    """When the worker has fallen behind, readers widen the dirty days to one range per project,
    and the refresh works through them a few windows per statement: same figures."""
    monkeypatch.setattr(rollups, "WINDOWS_PER_STATEMENT", 1)
    for step, _label in enumerate(life(project, staff)):
        assert read([project.pk]) == fresh({project.pk}), _label
        if step == 2:
            rollups.rollups_refresh()
    rollups.rollups_refresh()
    assert stored() == fresh(start=dt.date.min, end=dt.date.max)


@pytest.mark.django_db
def test_due_times_of_open_complaints_mark_nothing_but_of_resolved_ones_do(staff, project):
    """The sweep and due-time recomputation move open complaints' due times, which no count reads;
    a resolved complaint's due times decide "on time", so a change to them is counted."""
    with time_machine.travel(at(2), tick=False):
        open_one = file_complaint(project=project, actor=staff)
        done = file_complaint(project=project, actor=staff)
        services.complaint_respond(complaint=done, actor=staff, message="好")
        services.complaint_resolve(complaint=done, actor=staff, resolution="好")
    rollups.rollups_refresh()
    Complaint.objects.filter(pk=open_one.pk).update(resolution_due=at(20), first_response_due=at(20))
    assert ComplaintDayDirty.objects.count() == 0
    Complaint.objects.filter(pk=done.pk).update(resolution_due=at(1))  # now resolved late
    assert ComplaintDayDirty.objects.count() > 0
    assert read([project.pk]) == fresh({project.pk})
    assert sum(v["on_time"] for v in read([project.pk]).values()) == 0
