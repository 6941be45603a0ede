import threading
from datetime import date

import pytest
import time_machine
from django.db import connection

from defects import services, tasks
from defects.models import DefectChase
from estates.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def rectifying(graded, eng_staff):
    defect = graded("A")
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="整改", prevention="预防", due_on=date(2026, 6, 1))
    return defect


def test_nothing_is_chased_on_the_due_date(rectifying):
    assert tasks.chase_overdue(today="2026-06-01") == 0
    assert Notification.objects.count() == 0


def test_the_day_after_the_due_date_the_owner_is_reminded(rectifying, eng_staff, eng_head):
    assert tasks.chase_overdue(today="2026-06-02") == 1
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.dedupe_key) == (eng_staff, "defect_reminder", f"defects:{rectifying.pk}:reminder:2026-06-01")
    assert rectifying.events.last().kind == "reminded"


def test_reminding_is_idempotent(rectifying):
    tasks.chase_overdue(today="2026-06-02")
    assert tasks.chase_overdue(today="2026-06-02") == 0
    assert tasks.chase_overdue(today="2026-06-03") == 0
    assert Notification.objects.count() == 1
    assert rectifying.events.filter(kind="reminded").count() == 1


def test_escalation_reaches_the_department_head_three_days_late(rectifying, eng_staff, eng_head):
    tasks.chase_overdue(today="2026-06-03")
    assert not Notification.objects.filter(recipient=eng_head).exists()
    assert tasks.chase_overdue(today="2026-06-04") == 1
    note = Notification.objects.get(recipient=eng_head)
    assert note.kind == "defect_escalation"
    assert tasks.chase_overdue(today="2026-06-10") == 0


def test_a_missed_run_reminds_and_escalates_at_once(rectifying, eng_staff, eng_head):
    assert tasks.chase_overdue(today="2026-06-20") == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"eng_staff", "eng_head"}


def test_a_new_due_date_is_chased_afresh(rectifying, eng_staff):
    tasks.chase_overdue(today="2026-06-02")
    services.defect_update(defect=rectifying, actor=eng_staff, due_on=date(2026, 6, 15))
    assert tasks.chase_overdue(today="2026-06-10") == 0
    assert tasks.chase_overdue(today="2026-06-16") == 1
    assert Notification.objects.count() == 2


def test_completed_rectification_is_not_chased(rectifying, eng_staff):
    services.defect_complete_rectification(defect=rectifying, actor=eng_staff)
    services.defect_accept(defect=rectifying, actor=eng_staff)
    assert tasks.chase_overdue(today="2026-06-20") == 0
    assert DefectChase.objects.count() == 0


def test_default_day_is_the_local_date(rectifying):
    # 2026-06-01 17:00 UTC is already 2 June in Shanghai.
    with time_machine.travel("2026-06-01T17:00:00+00:00", tick=False):
        assert tasks.chase_overdue() == 1


def test_refresh_task_adds_lessons_to_projects_that_entered_design(graded, eng_staff, staff, skylight_tags):
    from defects.models import PreventionChecklistItem, ProjectTag
    from tests.factories import ProjectFactory

    later = ProjectFactory(stage="sales")
    ProjectTag.objects.create(project=later, tag=skylight_tags[0])
    defect = graded("B", tags=skylight_tags)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="预防")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    assert PreventionChecklistItem.objects.count() == 0
    later.stage = "design"
    later.save(update_fields=["stage"])
    assert tasks.refresh_prevention_checklists() == 1
    assert tasks.refresh_prevention_checklists() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_notify_once(rectifying, eng_staff, eng_head):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking")
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(tasks.chase_overdue(today="2026-06-20"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 2
    assert Notification.objects.count() == 2
    assert DefectChase.objects.count() == 2


def test_beat_schedule_runs_the_chase_daily():
    from crm_site.celery import collect_beat_schedule

    schedule = collect_beat_schedule()
    assert schedule["defects-chase-overdue"]["task"] == "defects.chase_overdue"
    assert schedule["defects-refresh-prevention"]["task"] == "defects.refresh_prevention_checklists"


def test_without_an_owner_the_reminder_goes_to_the_department_head(graded, eng_staff, eng_head):
    defect = graded("A", owner=None)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="整改", prevention="预防", due_on=date(2026, 6, 1))
    tasks.chase_overdue(today="2026-06-02")
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [("eng_head", "defect_reminder")]
