"""Filing and the workflow services: transitions, events, idempotency, authority, clusters, SLA."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from complaints import services
from complaints.models import (
    CalendarDay,
    Complaint,
    ComplaintEvent,
    Escalation,
    GroupCluster,
    Revisit,
    Severity,
    SlaPolicy,
    WorkCalendar,
)
from estates.models import Notification, Role
from estates.workflow import AuthorityExceeded, InvalidTransition
from tests.complaints.factories import file_complaint, unit_in
from tests.factories import BuildingFactory, CustomerFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def sh(*args):
    return datetime(*args, tzinfo=SH)


def kinds(complaint):
    return list(complaint.events.order_by("at", "pk").values_list("kind", flat=True))


def in_progress(project, staff, **kw):
    c = file_complaint(project=project, actor=staff, **kw)
    return services.complaint_respond(complaint=c, actor=staff, message="您好，已收到")


def resolved(project, staff, **kw):
    c = in_progress(project, staff, **kw)
    return services.complaint_resolve(complaint=c, actor=staff, resolution="已修复")


# --- Filing ----------------------------------------------------------------------------------------


def test_filing_online_sets_first_response_due_24h(project, staff, clock):
    c = file_complaint(project=project, actor=staff, channel="online")
    assert c.first_response_due == sh(2026, 3, 3, 10, 0)
    assert c.status == "received"
    assert c.reference.startswith("TS260302-")
    assert kinds(c) == ["filed"]


def test_filing_info_system_sets_first_response_due_4h(project, staff, clock):
    c = file_complaint(project=project, actor=staff, channel="info_system")
    assert c.first_response_due == sh(2026, 3, 2, 14, 0)


def test_filing_hotline_counts_working_hours(project, staff):
    import time_machine

    with time_machine.travel(sh(2026, 3, 6, 17, 50), tick=False):  # Friday 17:50
        c = file_complaint(project=project, actor=staff, channel="hotline")
    # 10 working minutes on Friday, the remaining 1 h 50 from Monday 09:00.
    assert c.first_response_due == sh(2026, 3, 9, 10, 50)


def test_ordinary_resolution_target_is_within_a_week(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    assert c.resolution_due < c.hot_at
    assert c.hot_at == sh(2026, 3, 9, 10, 0)
    assert c.major_at == sh(2026, 4, 1, 10, 0)


def test_filing_ten_people_is_major(project, staff, clock):
    assert file_complaint(project=project, actor=staff, complainant_count=10).severity == Severity.MAJOR


def test_filing_nine_people_is_hot(project, staff, clock):
    assert file_complaint(project=project, actor=staff, complainant_count=9).severity == Severity.HOT


def test_filing_hot_uses_the_faster_policy(project, staff, clock):
    c = file_complaint(project=project, actor=staff, complainant_count=3, channel="online")
    assert c.first_response_due == sh(2026, 3, 2, 14, 0)


def test_description_with_script_is_stored_exactly(project, staff, clock):
    text = "<script>alert('x')</script> 漏水"
    assert file_complaint(project=project, actor=staff, description=text).description == text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 201),
        ("description", "  "),
        ("description", "x" * 5001),
        ("channel", "fax"),
        ("category", "weather"),
        ("complainant_count", 0),
        ("complainant_count", 10**9),
    ],
)
def test_bad_filing_input_writes_nothing(project, staff, field, value):
    with pytest.raises(ValidationError) as exc:
        file_complaint(project=project, actor=staff, **{field: value})
    assert field in exc.value.message_dict
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0


def test_unit_of_another_project_is_refused(project, other_project, staff):
    with pytest.raises(ValidationError) as exc:
        file_complaint(project=project, actor=staff, unit=unit_in(other_project))
    assert list(exc.value.message_dict) == ["unit"]
    assert Complaint.objects.count() == 0


# --- Workflow --------------------------------------------------------------------------------------


def test_respond_moves_to_in_progress_and_names_the_responder(project, staff, clock):
    c = in_progress(project, staff)
    assert (c.status, c.assignee, c.first_responded_at) == ("in_progress", staff, sh(2026, 3, 2, 10, 0))
    assert kinds(c) == ["filed", "responded"]


def test_respond_twice_is_a_no_op(project, staff, clock):
    c = in_progress(project, staff)
    services.complaint_respond(complaint=c, actor=staff, message="again")
    assert kinds(c) == ["filed", "responded"]


def test_respond_on_closed_is_refused(project, staff, manager, clock):
    c = resolved(project, staff)
    services.complaint_revisit(complaint=c, actor=staff, satisfied=True, score=5)
    services.complaint_close(complaint=c, actor=staff)
    with pytest.raises(InvalidTransition):
        services.complaint_respond(complaint=c, actor=staff, message="x")
    c.refresh_from_db()
    assert c.status == "closed"


def test_hold_from_received_is_refused(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    with pytest.raises(InvalidTransition):
        services.complaint_hold(complaint=c, actor=staff, reason="等业主")
    c.refresh_from_db()
    assert c.status == "received"
    assert kinds(c) == ["filed"]


def test_resolve_from_received_is_refused(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    with pytest.raises(InvalidTransition):
        services.complaint_resolve(complaint=c, actor=staff, resolution="x")
    assert Complaint.objects.get().status == "received"


def test_resume_when_not_on_hold_is_refused(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    with pytest.raises(InvalidTransition):
        services.complaint_resume(complaint=c, actor=staff)


def test_hold_and_resume_push_due_times_back_by_the_held_time(project, staff, clock):
    c = in_progress(project, staff)
    due_before, hot_before = c.resolution_due, c.hot_at
    services.complaint_hold(complaint=c, actor=staff, reason="等待业主提供照片")
    clock.shift(timedelta(hours=5))
    c = services.complaint_resume(complaint=c, actor=staff)
    assert c.resolution_due == due_before + timedelta(hours=5)
    assert c.hot_at == hot_before + timedelta(hours=5)
    assert c.held_seconds == 5 * 3600
    assert kinds(c) == ["filed", "responded", "held", "resumed"]


def test_two_holds_are_both_excluded_recomputed_from_the_timeline(project, staff, clock):
    c = in_progress(project, staff)
    due_before = c.resolution_due
    for hours in (2, 3):
        services.complaint_hold(complaint=c, actor=staff, reason="等待")
        clock.shift(timedelta(hours=hours))
        c = services.complaint_resume(complaint=c, actor=staff)
        clock.shift(timedelta(hours=1))
    assert c.resolution_due == due_before + timedelta(hours=5)


def test_close_without_revisit_is_refused(project, staff, clock):
    c = resolved(project, staff)
    with pytest.raises(InvalidTransition):
        services.complaint_close(complaint=c, actor=staff)
    assert Complaint.objects.get().status == "resolved"


def test_revisit_score_out_of_range_is_refused(project, staff, clock):
    c = resolved(project, staff)
    with pytest.raises(ValidationError):
        services.complaint_revisit(complaint=c, actor=staff, satisfied=True, score=7)
    assert Revisit.objects.count() == 0


def test_revisit_on_in_progress_is_refused(project, staff, clock):
    c = in_progress(project, staff)
    with pytest.raises(InvalidTransition):
        services.complaint_revisit(complaint=c, actor=staff, satisfied=True, score=5)
    assert Revisit.objects.count() == 0


def test_full_flow_to_closed(project, staff, clock):
    c = resolved(project, staff)
    services.complaint_revisit(complaint=c, actor=staff, satisfied=True, score=5, note="满意")
    c = services.complaint_close(complaint=c, actor=staff)
    assert c.status == "closed"
    assert c.closed_at == sh(2026, 3, 2, 10, 0)
    assert kinds(c) == ["filed", "responded", "resolved", "revisited", "closed"]


def test_close_twice_is_a_no_op(project, staff, clock):
    c = resolved(project, staff)
    services.complaint_revisit(complaint=c, actor=staff, satisfied=True, score=4)
    services.complaint_close(complaint=c, actor=staff)
    services.complaint_close(complaint=c, actor=staff)
    assert kinds(c).count("closed") == 1


def test_reopen_raises_to_important_and_counts(project, staff, clock):
    c = resolved(project, staff)
    c = services.complaint_reopen(complaint=c, actor=staff, reason="又漏了")
    assert (c.status, c.severity, c.reopen_count, c.resolved_at) == ("in_progress", Severity.IMPORTANT, 1, None)
    assert kinds(c)[-2:] == ["reopened", "severity_raised"]


def test_reopen_keeps_a_higher_tier(project, staff, clock):
    c = resolved(project, staff, complainant_count=3)
    assert services.complaint_reopen(complaint=c, actor=staff, reason="x").severity == Severity.HOT


def test_reopen_in_received_is_refused(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    with pytest.raises(InvalidTransition):
        services.complaint_reopen(complaint=c, actor=staff, reason="x")


def test_assign_outside_the_project_is_refused(project, other_project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    outsider = UserFactory(projects=[other_project])
    with pytest.raises(ValidationError):
        services.complaint_assign(complaint=c, actor=staff, assignee=outsider)
    assert Complaint.objects.get().assignee is None


def test_assign_notifies_the_assignee_once(project, staff, manager, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_assign(complaint=c, actor=manager, assignee=staff)
    services.complaint_assign(complaint=c, actor=manager, assignee=staff)
    assert Notification.objects.filter(recipient=staff, kind="complaint_assigned").count() == 1
    assert kinds(c) == ["filed", "assigned"]


# --- Authority and the ladder ----------------------------------------------------------------------


def test_compensation_beyond_authority_is_refused_and_escalated(project, staff, manager, clock):
    c = in_progress(project, staff)
    with pytest.raises(AuthorityExceeded):
        services.complaint_resolve(complaint=c, actor=staff, resolution="赔偿", compensation=Decimal("2000.01"))
    c.refresh_from_db()
    assert (c.status, c.escalation_level) == ("in_progress", 1)
    assert Escalation.objects.get().reason == "authority"
    assert Notification.objects.filter(recipient=manager, kind="complaint_escalated").count() == 1


def test_compensation_within_authority_resolves(project, staff, clock):
    c = in_progress(project, staff)
    c = services.complaint_resolve(complaint=c, actor=staff, resolution="赔偿", compensation=Decimal("2000"))
    assert (c.status, c.compensation) == ("resolved", Decimal("2000"))


def test_staff_may_not_close_a_hot_complaint(project, staff, manager, clock):
    c = resolved(project, staff, complainant_count=3)
    services.complaint_revisit(complaint=c, actor=staff, satisfied=True, score=5)
    with pytest.raises(AuthorityExceeded):
        services.complaint_close(complaint=c, actor=staff)
    c.refresh_from_db()
    assert (c.status, c.escalation_level) == ("resolved", 1)
    assert services.complaint_close(complaint=c, actor=manager).status == "closed"


def test_major_needs_a_case_before_closing(project, staff, group_user, clock):
    c = resolved(project, staff, lawsuit_filed=True)
    services.complaint_revisit(complaint=c, actor=staff, satisfied=False, score=2)
    with pytest.raises(InvalidTransition):
        services.complaint_close(complaint=c, actor=group_user)
    services.case_write(complaint=c, actor=group_user, title="诉讼案例", background="b", causes="c", handling="h", lessons="l")
    assert services.complaint_close(complaint=c, actor=group_user).status == "closed"


def test_manual_escalation_climbs_one_level_and_stops_at_the_top(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    for _ in range(3):
        services.complaint_escalate(complaint=c, actor=staff, reason="业主情绪激动")
    with pytest.raises(InvalidTransition):
        services.complaint_escalate(complaint=c, actor=staff, reason="again")
    assert list(Escalation.objects.order_by("level").values_list("level", flat=True)) == [1, 2, 3]


def test_escalation_notifies_the_city_centre_at_level_2(project, staff, manager, city_manager, group_user, clock):
    c = file_complaint(project=project, actor=staff)
    services.complaint_escalate(complaint=c, actor=staff, reason="1")
    services.complaint_escalate(complaint=c, actor=staff, reason="2")
    services.complaint_escalate(complaint=c, actor=staff, reason="3")
    got = set(Notification.objects.filter(kind="complaint_escalated").values_list("recipient__username", "dedupe_key"))
    key = f"complaint:{c.pk}:escalation:"
    assert got == {("manager_a", key + "1"), ("manager_a", key + "2"), ("city_mgr", key + "2"), ("group", key + "3")}


def test_staff_may_not_set_severity(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    with pytest.raises(AuthorityExceeded):
        services.complaint_set_severity(complaint=c, actor=staff, severity=Severity.HOT, reason="x")
    assert Complaint.objects.get().severity == Severity.ORDINARY


def test_manager_sets_severity_down_with_reason(project, staff, manager, clock):
    c = file_complaint(project=project, actor=staff, complainant_count=3)
    c = services.complaint_set_severity(complaint=c, actor=manager, severity=Severity.ORDINARY, reason="误报，实为一户")
    assert c.severity == Severity.ORDINARY
    event = c.events.get(kind="severity_set")
    assert (event.before, event.after, event.detail) == ({"severity": "hot"}, {"severity": "ordinary"}, "误报，实为一户")


def test_set_severity_without_reason_is_refused(project, manager, clock):
    c = file_complaint(project=project, actor=manager)
    with pytest.raises(ValidationError):
        services.complaint_set_severity(complaint=c, actor=manager, severity=Severity.HOT, reason=" ")


# --- Group-complaint clusters ----------------------------------------------------------------------


def _same_building_complaints(project, staff, n, building=None):
    building = building or BuildingFactory(project=project, name="3栋")
    out = []
    for i in range(n):
        customer = CustomerFactory()
        out.append(
            file_complaint(
                project=project, actor=staff, unit=unit_in(project, building=building), customer=customer, title=f"外墙渗水{i}"
            )
        )
    return out


def test_two_distinct_complainants_stay_ordinary(project, staff, clock):
    a, b = _same_building_complaints(project, staff, 2)
    a.refresh_from_db()
    assert (a.severity, b.severity) == (Severity.ORDINARY, Severity.ORDINARY)
    assert a.cluster_id == b.cluster_id


def test_three_distinct_complainants_make_every_member_hot_and_notify_once(project, staff, manager, group_user, clock):
    members = _same_building_complaints(project, staff, 4)
    assert {Complaint.objects.get(pk=m.pk).severity for m in members} == {Severity.HOT}
    assert Notification.objects.filter(kind="complaint_cluster").count() == 2  # manager + group centre, once
    assert GroupCluster.objects.get().complainant_count == 4


def test_same_complainant_twice_counts_once(project, staff, clock):
    building = BuildingFactory(project=project)
    customer = CustomerFactory()
    for _ in range(3):
        file_complaint(project=project, actor=staff, unit=unit_in(project, building=building), customer=customer)
    assert GroupCluster.objects.get().complainant_count == 1
    assert set(Complaint.objects.values_list("severity", flat=True)) == {Severity.ORDINARY}


def test_ten_distinct_complainants_make_members_major(project, staff, manager, clock):
    members = _same_building_complaints(project, staff, 10)
    assert Complaint.objects.get(pk=members[0].pk).severity == Severity.MAJOR
    assert Notification.objects.filter(kind="complaint_cluster", recipient=manager).count() == 2  # hot, then major


def test_complaints_31_days_apart_do_not_cluster(project, staff, clock):
    building = BuildingFactory(project=project)
    file_complaint(project=project, actor=staff, unit=unit_in(project, building=building), customer=CustomerFactory())
    clock.shift(timedelta(days=31))
    file_complaint(project=project, actor=staff, unit=unit_in(project, building=building), customer=CustomerFactory())
    assert GroupCluster.objects.count() == 2


def test_near_identical_text_clusters_without_a_building(project, staff, clock):
    for i in range(3):
        file_complaint(
            project=project, actor=staff, contact_name=f"业主{i}", contact_phone=f"1390000000{i}", title="小区东门道闸经常坏！"
        )
    assert GroupCluster.objects.get().complainant_count == 3
    assert set(Complaint.objects.values_list("severity", flat=True)) == {Severity.HOT}


# --- SLA policy and calendar changes ---------------------------------------------------------------


@pytest.fixture
def eager_recompute(monkeypatch):
    from complaints import tasks

    monkeypatch.setattr(tasks.complaints_recompute_due, "delay", lambda **kw: tasks.complaints_recompute_due(**kw))


def test_policy_change_recomputes_open_complaints(project, staff, clock, eager_recompute, django_capture_on_commit_callbacks):
    c = file_complaint(project=project, actor=staff, channel="online")
    policy = SlaPolicy.objects.get(channel="online", severity=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_policy_update(policy=policy, actor=staff, first_response_hours=Decimal(12))
    c.refresh_from_db()
    assert c.first_response_due == sh(2026, 3, 2, 22, 0)
    assert c.events.filter(kind="due_recomputed").count() == 1


def test_calendar_holiday_recomputes_working_hour_complaints(project, staff, eager_recompute, django_capture_on_commit_callbacks):
    import time_machine

    with time_machine.travel(sh(2026, 3, 6, 17, 0), tick=False):
        c = file_complaint(project=project, actor=staff, channel="hotline")
        assert c.first_response_due == sh(2026, 3, 9, 10, 0)
        with django_capture_on_commit_callbacks(execute=True):
            services.calendar_day_set(
                calendar=WorkCalendar.objects.get(is_default=True),
                actor=staff,
                date=sh(2026, 3, 9).date(),
                kind=CalendarDay.Kind.HOLIDAY,
            )
    c.refresh_from_db()
    assert c.first_response_due == sh(2026, 3, 10, 10, 0)


def test_calendar_with_overlapping_intervals_is_refused(staff):
    cal = WorkCalendar.objects.get(is_default=True)
    with pytest.raises(ValidationError):
        services.work_calendar_update(calendar=cal, actor=staff, intervals=[["09:00", "12:00"], ["11:00", "18:00"]])
    cal.refresh_from_db()
    assert cal.intervals == [["09:00", "12:00"], ["13:30", "18:00"]]


def test_api_client_event_keeps_its_label(project, api_client_key, clock):
    c = file_complaint(project=project, actor=api_client_key[0])
    event = c.events.get()
    assert (event.actor, event.actor_label) == (None, "api:sales-a")


def test_roles_without_limits_use_the_handlers(project, clock):
    head = UserFactory(role=Role.PROJECT_MANAGER, projects=[project])
    c = in_progress(project, head)
    assert services.complaint_resolve(complaint=c, actor=head, resolution="ok", compensation=15000).status == "resolved"


def test_repeated_refusal_escalates_only_once(project, staff, manager, clock):
    c = in_progress(project, staff)
    for _ in range(2):
        with pytest.raises(AuthorityExceeded):
            services.complaint_resolve(complaint=c, actor=staff, resolution="赔偿", compensation=Decimal("5000"))
    c.refresh_from_db()
    assert c.escalation_level == 1
    assert c.events.filter(kind="authority_exceeded").count() == 2


def test_hotline_on_a_make_up_saturday_counts_as_working_time(project, staff):
    import time_machine

    with time_machine.travel(sh(2026, 10, 9, 17, 0), tick=False):  # Friday before the 调休 Saturday 10 October
        c = file_complaint(project=project, actor=staff, channel="hotline")
    assert c.first_response_due == sh(2026, 10, 10, 10, 0)


def test_hotline_before_the_national_day_holiday_waits_for_the_first_working_day(project, staff):
    import time_machine

    with time_machine.travel(sh(2026, 9, 30, 17, 30), tick=False):  # Wednesday; 1–7 October are holidays
        c = file_complaint(project=project, actor=staff, channel="hotline")
    assert c.first_response_due == sh(2026, 10, 8, 10, 30)
