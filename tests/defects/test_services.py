from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from defects import services
from defects.models import (
    Defect,
    DefectEvent,
    HandbookEntry,
    MeetingDecision,
    PreventionChecklistItem,
    ReviewMeeting,
)
from estates.models import Role
from estates.workflow import AuthorityExceeded, InvalidTransition
from tests.factories import DepartmentFactory, ProjectFactory, UnitFactory, UserFactory

from .conftest import FEASIBLE

S = Defect.Status
pytestmark = pytest.mark.django_db


def kinds(defect):
    return list(defect.events.values_list("kind", flat=True))


# ---------------------------------------------------------------- codes


def test_codes_are_numbered_per_project_and_series(make_defect, other_project, staff):
    first, second = make_defect(), make_defect()
    other = make_defect(series="JF")
    assert [first.code, second.code, other.code] == ["SJ01", "SJ02", "JF01"]


def test_codes_restart_in_another_project(make_defect, other_project, group_user):
    make_defect()
    elsewhere = make_defect(actor=group_user, project=other_project, owner=None)
    assert elsewhere.code == "SJ01"


def test_create_writes_a_created_event(make_defect, staff):
    defect = make_defect()
    event = defect.events.get()
    assert (event.kind, event.actor, event.status_after) == (DefectEvent.Kind.CREATED, staff, S.REPORTED)


def test_create_refuses_units_of_another_project(make_defect, other_project):
    foreign = UnitFactory(building__project=other_project)
    with pytest.raises(ValidationError) as exc:
        make_defect(units=[foreign])
    assert "units" in exc.value.message_dict
    assert Defect.objects.count() == 0


def test_create_refuses_due_before_found(make_defect):
    with pytest.raises(ValidationError) as exc:
        make_defect(due_on=date(2026, 4, 30))
    assert "due_on" in exc.value.message_dict
    assert Defect.objects.count() == 0


def test_create_refuses_bad_series(make_defect):
    with pytest.raises(ValidationError):
        make_defect(series="s-1")
    assert Defect.objects.count() == 0


def test_bulk_from_inspection_creates_one_defect_per_row(staff, project):
    unit = UnitFactory(building__project=project, unit_type="TA")
    created = services.defects_create_from_inspection(
        actor=staff, project=project, source=Defect.Source.HANDOVER, found_on=date(2026, 6, 1),
        rows=[{"title": "门框变形", "description": "入户门框变形", "unit": unit}, {"title": "墙面空鼓", "description": "客厅墙面空鼓"}],
    )
    assert [d.code for d in created] == ["SJ01", "SJ02"]
    assert list(created[0].units.all()) == [unit]


def test_bulk_from_inspection_is_all_or_nothing(staff, project):
    with pytest.raises(ValidationError):
        services.defects_create_from_inspection(
            actor=staff, project=project, source=Defect.Source.HANDOVER, found_on=date(2026, 6, 1),
            rows=[{"title": "门框变形", "description": "入户门框变形"}, {"title": "", "description": "无标题"}],
        )
    assert Defect.objects.count() == 0


# ---------------------------------------------------------------- review meeting


def test_meeting_grades_each_defect_and_records_feasibility(make_defect, staff, project, eng_head):
    defect = make_defect()
    meeting = services.meeting_record(
        actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff, eng_head], minutes="纪要",
        decisions=[services.DecisionInput(defect=defect, grade="A", construction_capacity=FEASIBLE,
                                          technical_feasibility=MeetingDecision.Feasibility.LIMITED, schedule_feasibility=FEASIBLE)],
    )
    defect.refresh_from_db()
    assert (defect.status, defect.grade) == (S.GRADED, "A")
    decision = meeting.decisions.get()
    assert decision.technical_feasibility == MeetingDecision.Feasibility.LIMITED
    assert kinds(defect) == ["created", "submitted", "graded"]


def test_meeting_without_the_department_head_is_refused(make_defect, staff, project, eng_head):
    defect = make_defect()
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff], minutes="纪要",
            decisions=[services.DecisionInput(defect=defect, grade="A", construction_capacity=FEASIBLE,
                                              technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)],
        )
    assert "王工" in " ".join(exc.value.message_dict["attendees"])
    defect.refresh_from_db()
    assert (defect.status, defect.grade, ReviewMeeting.objects.count()) == (S.REPORTED, "", 0)


def test_meeting_needs_a_head_for_every_responsible_department(make_defect, staff, project, eng_head, design_dept):
    a = make_defect()
    b = make_defect(responsible_department=design_dept)
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff, eng_head], minutes="纪要",
            decisions=[services.DecisionInput(defect=d, grade="B", construction_capacity=FEASIBLE, technical_feasibility=FEASIBLE,
                                              schedule_feasibility=FEASIBLE) for d in (a, b)],
        )
    assert "万创设计" in " ".join(exc.value.message_dict["attendees"])
    assert Defect.objects.filter(status=S.REPORTED).count() == 2


def test_head_of_another_project_does_not_count(make_defect, staff, project, other_project, engineering):
    defect = make_defect()
    UserFactory(role=Role.DEPARTMENT_HEAD, department=engineering, projects=[project], first_name="张总")
    outsider = UserFactory(role=Role.DEPARTMENT_HEAD, department=engineering, projects=[other_project])
    with pytest.raises(ValidationError):
        services.meeting_record(
            actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff, outsider], minutes="纪要",
            decisions=[services.DecisionInput(defect=defect, grade="A", construction_capacity=FEASIBLE,
                                              technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)],
        )
    assert ReviewMeeting.objects.count() == 0


def test_meeting_refuses_a_grade_other_than_a_or_b(make_defect, staff, project, eng_head):
    defect = make_defect()
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff, eng_head], minutes="纪要",
            decisions=[services.DecisionInput(defect=defect, grade="C", construction_capacity=FEASIBLE,
                                              technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)],
        )
    assert "grade" in exc.value.message_dict
    assert ReviewMeeting.objects.count() == 0 and MeetingDecision.objects.count() == 0


def test_a_graded_defect_cannot_be_graded_again(graded, staff, project, eng_head):
    defect = graded("A")
    with pytest.raises(InvalidTransition):
        services.meeting_record(
            actor=staff, project=project, held_on=date(2026, 5, 11), attendees=[staff, eng_head], minutes="纪要",
            decisions=[services.DecisionInput(defect=defect, grade="B", construction_capacity=FEASIBLE,
                                              technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)],
        )
    defect.refresh_from_db()
    assert (defect.grade, ReviewMeeting.objects.count()) == ("A", 1)


# ---------------------------------------------------------------- A path


def run_a_path_to_accepted(defect, *, dept_user, staff):
    services.defect_draft_measures(defect=defect, actor=dept_user, measures="更换铝合金天窗", prevention="天窗避免用木材")
    services.defect_complete_rectification(defect=defect, actor=dept_user)
    services.defect_accept(defect=defect, actor=dept_user)
    defect.refresh_from_db()
    return defect


def test_a_path_runs_to_closed_with_cost(graded, eng_staff, staff):
    defect = graded("A")
    run_a_path_to_accepted(defect, dept_user=eng_staff, staff=staff)
    services.defect_verify(defect=defect, actor=staff)
    services.defect_record_cost(defect=defect, actor=staff, cost=Decimal("168000.00"))
    defect.refresh_from_db()
    assert (defect.status, defect.actual_cost) == (S.CLOSED, Decimal("168000.00"))
    assert kinds(defect) == [
        "created", "submitted", "graded", "measures_drafted", "rectified", "accepted", "verified", "handbook", "cost_recorded",
    ]


def test_verification_creates_the_handbook_entry_once(graded, eng_staff, staff, skylight_tags):
    defect = graded("A", tags=skylight_tags)
    run_a_path_to_accepted(defect, dept_user=eng_staff, staff=staff)
    services.defect_verify(defect=defect, actor=staff)
    services.defect_verify(defect=defect, actor=staff)  # a double click
    entry = HandbookEntry.objects.get()
    assert (entry.code, entry.grade, entry.prevention) == ("SJ01", "A", "天窗避免用木材")
    assert set(entry.tags.all()) == set(skylight_tags)
    assert kinds(defect).count("verified") == 1


def test_verifying_an_unrectified_defect_is_refused(graded, eng_staff, staff):
    defect = graded("A")
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="整改", prevention="预防")
    with pytest.raises(InvalidTransition):
        services.defect_verify(defect=defect, actor=staff)
    defect.refresh_from_db()
    assert (defect.status, defect.verified_at, HandbookEntry.objects.count()) == (S.RECTIFYING, None, 0)


def test_only_customer_service_verifies(graded, eng_staff, staff):
    defect = run_a_path_to_accepted(graded("A"), dept_user=eng_staff, staff=staff)
    with pytest.raises(AuthorityExceeded):
        services.defect_verify(defect=defect, actor=eng_staff)
    defect.refresh_from_db()
    assert defect.status == S.ACCEPTED


def test_rejected_verification_goes_back_to_rectifying_with_the_reason(graded, eng_staff, staff):
    defect = run_a_path_to_accepted(graded("A", due_on=date(2026, 6, 1)), dept_user=eng_staff, staff=staff)
    services.defect_reject_verification(defect=defect, actor=staff, reason="雨后复查仍渗水", due_on=date(2026, 7, 1))
    defect.refresh_from_db()
    assert (defect.status, defect.rejection_count, defect.due_on, defect.rectified_at) == (S.RECTIFYING, 1, date(2026, 7, 1), None)
    event = defect.events.last()
    assert (event.kind, event.detail, event.status_before, event.status_after) == (
        "verification_rejected", "雨后复查仍渗水", S.ACCEPTED, S.RECTIFYING,
    )


def test_rejection_needs_a_reason(graded, eng_staff, staff):
    defect = run_a_path_to_accepted(graded("A"), dept_user=eng_staff, staff=staff)
    with pytest.raises(ValidationError):
        services.defect_reject_verification(defect=defect, actor=staff, reason="  ")
    defect.refresh_from_db()
    assert (defect.status, defect.rejection_count) == (S.ACCEPTED, 0)


def test_rejecting_twice_is_a_conflict(graded, eng_staff, staff):
    defect = run_a_path_to_accepted(graded("A"), dept_user=eng_staff, staff=staff)
    services.defect_reject_verification(defect=defect, actor=staff, reason="仍渗水")
    with pytest.raises(InvalidTransition):
        services.defect_reject_verification(defect=defect, actor=staff, reason="仍渗水")
    defect.refresh_from_db()
    assert defect.rejection_count == 1


def test_department_can_refuse_its_own_work(graded, eng_staff, staff):
    defect = graded("A")
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="整改", prevention="预防")
    services.defect_complete_rectification(defect=defect, actor=eng_staff)
    services.defect_refuse_acceptance(defect=defect, actor=eng_staff, reason="密封胶未干")
    defect.refresh_from_db()
    assert defect.status == S.RECTIFYING


def test_completing_twice_is_a_no_op(graded, eng_staff):
    defect = graded("A")
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="整改", prevention="预防")
    services.defect_complete_rectification(defect=defect, actor=eng_staff)
    services.defect_complete_rectification(defect=defect, actor=eng_staff)
    assert kinds(defect).count("rectified") == 1


def test_a_grade_a_defect_is_not_reported_to_the_gm_office(graded, eng_staff):
    defect = graded("A")
    with pytest.raises(InvalidTransition):
        services.defect_report_to_gm(defect=defect, actor=eng_staff)
    defect.refresh_from_db()
    assert defect.status == S.GRADED


# ---------------------------------------------------------------- B path


def test_b_path_drafts_measures_reports_to_gm_and_enters_the_handbook(graded, eng_staff, staff):
    defect = graded("B")
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="调整节点做法", prevention="节点按工程标准设计")
    defect.refresh_from_db()
    assert defect.status == S.GRADED
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    services.defect_close(defect=defect, actor=staff)
    defect.refresh_from_db()
    assert defect.status == S.CLOSED
    assert HandbookEntry.objects.get().grade == "B"
    assert kinds(defect) == ["created", "submitted", "graded", "measures_drafted", "reported_to_gm", "handbook", "closed"]


def test_b_cannot_be_reported_without_measures(graded, eng_staff):
    defect = graded("B")
    with pytest.raises(InvalidTransition):
        services.defect_report_to_gm(defect=defect, actor=eng_staff)
    assert HandbookEntry.objects.count() == 0


def test_b_defect_never_enters_rectification(graded, eng_staff):
    defect = graded("B")
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="预防")
    with pytest.raises(InvalidTransition):
        services.defect_complete_rectification(defect=defect, actor=eng_staff)


def test_measures_need_prevention_text(graded, eng_staff):
    defect = graded("A")
    with pytest.raises(ValidationError):
        services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="")
    defect.refresh_from_db()
    assert (defect.status, defect.measures) == (S.GRADED, "")


# ---------------------------------------------------------------- prevention


def test_handbook_entry_reaches_matching_projects_in_design(graded, eng_staff, staff, skylight_tags):
    in_design = ProjectFactory(stage="design")
    in_sales = ProjectFactory(stage="sales")
    unmatched = ProjectFactory(stage="design")
    services.project_tags_set(project=in_design, actor=staff, tags=skylight_tags[:1])
    services.project_tags_set(project=in_sales, actor=staff, tags=skylight_tags[:1])
    defect = graded("B", tags=skylight_tags)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="天窗避免用木材")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    assert list(PreventionChecklistItem.objects.values_list("project_id", flat=True)) == [in_design.pk]
    assert not PreventionChecklistItem.objects.filter(project=unmatched).exists()


def test_tagging_a_project_later_pulls_in_existing_lessons_once(graded, eng_staff, staff, skylight_tags):
    defect = graded("B", tags=skylight_tags)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="预防")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    new = ProjectFactory(stage="construction")
    assert services.project_tags_set(project=new, actor=staff, tags=skylight_tags) == 1
    assert services.project_tags_set(project=new, actor=staff, tags=skylight_tags) == 0
    assert PreventionChecklistItem.objects.filter(project=new).count() == 1


def test_ticking_a_lesson_needs_evidence(graded, eng_staff, staff, skylight_tags):
    new = ProjectFactory(stage="design")
    services.project_tags_set(project=new, actor=staff, tags=skylight_tags)
    defect = graded("B", tags=skylight_tags)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="预防")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    item = PreventionChecklistItem.objects.get()
    with pytest.raises(ValidationError):
        services.prevention_item_tick(item=item, actor=staff, status="applied", evidence="")
    item.refresh_from_db()
    assert item.status == "open"
    services.prevention_item_tick(item=item, actor=staff, status="applied", evidence="图纸 A-301 天窗节点改为铝合金")
    item.refresh_from_db()
    assert (item.status, item.ticked_by) == ("applied", staff)


def test_update_writes_an_event_naming_the_fields(make_defect, staff):
    defect = make_defect()
    services.defect_update(defect=defect, actor=staff, location="屋面", households_affected=56)
    event = defect.events.last()
    assert event.kind == "updated"
    services.defect_update(defect=defect, actor=staff, location="屋面")
    assert defect.events.filter(kind="updated").count() == 1


def test_department_without_head_blocks_the_meeting(make_defect, staff, project):
    orphan = DepartmentFactory(code="defect_test_orphan", name="成本部")
    defect = make_defect(responsible_department=orphan, owner=None)
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff], minutes="纪要",
            decisions=[services.DecisionInput(defect=defect, grade="A", construction_capacity=FEASIBLE,
                                              technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)],
        )
    assert "成本部" in " ".join(exc.value.message_dict["attendees"])


def _in_threads(n, fn):
    import threading

    from django.db import connection

    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reports_at_once_get_different_codes(make_defect):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL concurrency")
    results, errors = _in_threads(3, lambda: make_defect().code)
    assert errors == []
    assert sorted(results) == ["SJ01", "SJ02", "SJ03"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_double_verification_at_once_verifies_once(graded, eng_staff, staff):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking")
    defect = run_a_path_to_accepted(graded("A"), dept_user=eng_staff, staff=staff)
    _results, errors = _in_threads(2, lambda: services.defect_verify(defect=defect, actor=staff))
    assert errors == []
    assert (defect.events.filter(kind="verified").count(), HandbookEntry.objects.count()) == (1, 1)
