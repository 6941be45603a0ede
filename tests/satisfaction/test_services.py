from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from estates.models import Contract, Notification
from satisfaction import services
from satisfaction.models import Answer, Event, FollowUp, Invitation, Question, Response, Run, SurveyTemplate, Trigger, Wave
from tests.factories import ContractFactory, CustomerFactory

from .conftest import answers_all, handover_for, make_contract


def today():
    return timezone.localdate()


# --- seeded catalogue ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_seeded_waves_are_the_pulte_touch_points():
    handover = dict(Wave.objects.filter(trigger="handover").values_list("code", "offset_months"))
    assert handover == {"handover-3m": 3, "handover-11m": 11, "handover-23m": 23, "handover-35m": 35}
    assert set(Wave.objects.exclude(trigger="handover").values_list("trigger", flat=True)) == {
        "presale_reception",
        "frame_visit",
        "finished_visit",
        "complaint_closed",
    }


@pytest.mark.django_db
def test_seeded_templates_ask_overall_recommend_and_repurchase_in_chinese_and_english():
    for template in SurveyTemplate.objects.all():
        metrics = {q.metric: q for q in template.questions.exclude(metric="")}
        assert set(metrics) == {"overall", "recommend", "repurchase"}
        assert all(q.text and q.text_en for q in metrics.values())
    kinds = set(Question.objects.filter(template__code="owner-standard").values_list("kind", flat=True))
    assert kinds == {"rating", "recommend", "yes_no", "single", "multiple", "text"}
    dims = set(Question.objects.filter(template__code="owner-standard").values_list("dimension", flat=True))
    assert {"construction_quality", "design", "sales", "property", "service"} <= dims


# --- planning -----------------------------------------------------------------------------------


def test_daily_run_creates_and_sends_one_invitation_per_contract_owner(project):
    contract = make_contract(project, handover_on=handover_for("handover-3m", today()), owners=2)
    run = services.daily_run()
    invitations = Invitation.objects.filter(contract=contract)
    assert invitations.count() == 2
    assert set(invitations.values_list("status", flat=True)) == {"sent"}
    assert (run.created, run.sent, run.status) == (2, 2, "done")
    assert len(mail.outbox) == 2
    assert "/satisfaction/s/" in mail.outbox[0].body


def test_daily_run_twice_creates_and_sends_nothing_more(project):
    make_contract(project, handover_on=handover_for("handover-3m", today()))
    services.daily_run()
    second = services.daily_run()
    assert Invitation.objects.count() == 1
    assert (second.created, second.sent) == (0, 0)
    assert Event.objects.filter(kind="sent").count() == 1
    assert len(mail.outbox) == 1


def test_unique_constraint_backs_one_invitation_per_owner_and_wave(invitation):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            wave=invitation.wave,
            template=invitation.template,
            project=invitation.project,
            contract=invitation.contract,
            customer=invitation.customer,
            channel="email",
            due_on=invitation.due_on,
            closes_on=invitation.closes_on,
        )


def test_contract_past_its_window_is_not_invited(project):
    # Due 30 days ago: the 30-day window closed yesterday.
    make_contract(project, handover_on=handover_for("handover-3m", today() - timedelta(days=30)))
    services.daily_run()
    assert Invitation.objects.count() == 0


def test_last_day_of_the_window_still_invites(project):
    make_contract(project, handover_on=handover_for("handover-3m", today() - timedelta(days=29)))
    services.daily_run()
    assert Invitation.objects.get().closes_on == today()


def test_cancelled_contract_is_not_invited(project):
    make_contract(project, handover_on=handover_for("handover-3m", today()), status=Contract.Status.CANCELLED)
    services.daily_run()
    assert Invitation.objects.count() == 0


def test_opted_out_owner_is_not_invited(project):
    contract = make_contract(project, handover_on=handover_for("handover-3m", today()))
    contract.customers.update(opted_out=True)
    services.daily_run()
    assert Invitation.objects.count() == 0


def test_send_rechecks_cancellation(project):
    contract = make_contract(project, handover_on=handover_for("handover-3m", today()))
    run = Run.objects.create(run_on=today())
    services.invitations_plan(run=run, now=timezone.now())
    Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.CANCELLED)
    services.invitations_send(run=run, now=timezone.now())
    inv = Invitation.objects.get()
    assert (inv.status, inv.skip_reason, inv.sent_at) == ("skipped", "cancelled", None)
    assert len(mail.outbox) == 0


def test_send_rechecks_opt_out(project):
    contract = make_contract(project, handover_on=handover_for("handover-3m", today()))
    run = Run.objects.create(run_on=today())
    services.invitations_plan(run=run, now=timezone.now())
    contract.customers.update(opted_out=True)
    services.invitations_send(run=run, now=timezone.now())
    assert Invitation.objects.get().skip_reason == "opted_out"


def test_cooldown_skips_a_second_survey_to_the_same_owner(project):
    owner = CustomerFactory(email="o@example.com")
    ContractFactory(unit__building__project=project, handover_on=handover_for("handover-3m", today()), customers=[owner])
    ContractFactory(unit__building__project=project, handover_on=handover_for("handover-11m", today()), customers=[owner])
    services.daily_run()
    statuses = sorted(Invitation.objects.values_list("status", "skip_reason"))
    assert statuses == [("sent", ""), ("skipped", "cooldown")]


def test_cooldown_ends_after_its_days(project, time_machine):
    owner = CustomerFactory(email="o@example.com")
    ContractFactory(unit__building__project=project, handover_on=handover_for("handover-3m", today()), customers=[owner])
    services.daily_run()
    wave = Wave.objects.get(code="finished-visit")
    contract = ContractFactory(unit__building__project=project, handover_on=None, customers=[owner])
    time_machine.move_to(timezone.now() + timedelta(days=wave.cooldown_days), tick=False)
    services.trigger_record(kind="finished_visit", contract=contract, occurred_on=today() - timedelta(days=1), source_ref="v1")
    services.daily_run()
    assert Invitation.objects.get(wave=wave).status == "sent"


def test_email_wave_falls_back_to_sms_without_an_email(project, capsys):
    owner = CustomerFactory(email="", phone="13800001111")
    ContractFactory(unit__building__project=project, handover_on=handover_for("handover-3m", today()), customers=[owner])
    services.daily_run()
    assert Invitation.objects.get().channel == "sms"
    assert "[SMS to 13800001111]" in capsys.readouterr().out


def test_reminders_are_capped(invitation, time_machine):
    wave = invitation.wave  # 2 reminders, 7 days apart, 30-day window
    start = timezone.now()
    for day in range(1, 30):
        time_machine.move_to(start + timedelta(days=day), tick=False)
        services.daily_run()
    invitation.refresh_from_db()
    assert invitation.reminder_count == wave.reminder_max == 2
    assert list(Event.objects.filter(invitation=invitation, kind="reminded").values_list("detail", flat=True)) == ["1", "2"]
    assert len(mail.outbox) == 3  # the invitation and two reminders


def test_invitation_expires_after_its_window(invitation, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)
    run = services.daily_run()
    invitation.refresh_from_db()
    assert (invitation.status, run.expired) == ("expired", 1)
    assert invitation.next_reminder_at is None


def test_planning_runs_a_fixed_number_of_queries_per_batch(project):
    """The same number of queries for 3 and for 30 due owners: nothing is done per contract."""
    for _ in range(3):
        make_contract(project, handover_on=handover_for("handover-3m", today()))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            services.daily_run()
        return len(ctx.captured_queries)

    small = count()
    Invitation.objects.all().delete()
    for _ in range(27):
        make_contract(project, handover_on=handover_for("handover-3m", today()))
    assert count() == small


def test_planning_a_batch_is_one_statement_on_postgresql(project):
    """On PostgreSQL a planning batch writes invitations and their "created" events in one
    statement; repeated, it creates nothing (the unique constraint decides)."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement batch is PostgreSQL's")
    for _ in range(12):
        make_contract(project, handover_on=handover_for("handover-3m", today()))
    run = Run.objects.create(run_on=today())
    with CaptureQueriesContext(connection) as ctx:
        created = services.invitations_plan(run=run, now=timezone.now())
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]
    assert created == 12
    assert len(writes) == 1 and writes[0].startswith("WITH new AS (INSERT INTO")
    invitations = Invitation.objects.filter(run=run)
    assert invitations.count() == 12
    assert set(invitations.values_list("status", "reminder_count", "skip_reason")) == {("pending", 0, "")}
    assert Event.objects.filter(invitation__in=invitations, kind="created", after="pending").count() == 12
    assert services.invitations_plan(run=Run.objects.create(run_on=today()), now=timezone.now()) == 0


def test_batches_split_large_runs(project):
    for _ in range(5):
        make_contract(project, handover_on=handover_for("handover-3m", today()))
    run = services.daily_run(batch_size=2)
    assert (run.created, run.sent) == (5, 5)
    assert Invitation.objects.filter(status="sent").count() == 5


# --- event-triggered waves ----------------------------------------------------------------------


def test_trigger_wave_invites_the_day_after_the_visit(project):
    contract = make_contract(project, handover_on=None)
    services.trigger_record(
        kind="finished_visit", contract=contract, occurred_on=today() - timedelta(days=1), source_ref="visit:1"
    )
    services.daily_run()
    inv = Invitation.objects.get()
    assert (inv.wave.code, inv.channel, inv.status) == ("finished-visit", "sms", "sent")


def test_recording_the_same_trigger_twice_is_a_no_op(project):
    contract = make_contract(project, handover_on=None)
    first = services.trigger_record(kind="complaint_closed", contract=contract, occurred_on=today(), source_ref="complaint:9")
    second = services.trigger_record(kind="complaint_closed", contract=contract, occurred_on=today(), source_ref="complaint:9")
    assert (first, second, Trigger.objects.count()) == (1, 0, 1)


def test_handover_is_not_a_trigger_kind(project):
    contract = make_contract(project, handover_on=None)
    with pytest.raises(ValueError):
        services.trigger_record(kind="handover", contract=contract, occurred_on=today(), source_ref="x")
    assert Trigger.objects.count() == 0


# --- answers ------------------------------------------------------------------------------------


def test_response_is_stored_with_scores(invitation):
    response, created = services.response_submit(invitation=invitation, answers=answers_all(overall=4, recommend=9))
    invitation.refresh_from_db()
    assert created is True
    assert (response.overall, response.recommend, response.repurchase, response.is_low) == (4, 9, True, False)
    assert response.answers.count() == 11
    assert (invitation.status, invitation.next_reminder_at) == ("responded", None)


def test_second_submit_changes_nothing(invitation):
    first, _ = services.response_submit(invitation=invitation, answers=answers_all(overall=5))
    again, created = services.response_submit(invitation=invitation, answers=answers_all(overall=1))
    assert (again.pk, created) == (first.pk, False)
    assert Response.objects.get().overall == 5
    assert Answer.objects.get(question__key="overall").value_int == 5


def test_invalid_answers_write_nothing(invitation):
    with pytest.raises(services.SurveyInvalid) as exc:
        services.response_submit(invitation=invitation, answers=answers_all(overall=7, recommend="x", design=""))
    assert set(exc.value.errors) == {"overall", "recommend", "design"}
    invitation.refresh_from_db()
    assert (Response.objects.count(), Answer.objects.count(), invitation.status) == (0, 0, "sent")


def test_unknown_question_key_is_refused(invitation):
    with pytest.raises(services.SurveyInvalid) as exc:
        services.response_submit(invitation=invitation, answers=answers_all(bogus="1"))
    assert list(exc.value.errors) == ["bogus"]
    assert Response.objects.count() == 0


def test_expired_invitation_cannot_be_answered(invitation, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)
    services.daily_run()
    with pytest.raises(services.InvitationClosed):
        services.response_submit(invitation=invitation, answers=answers_all())
    assert Response.objects.count() == 0


def test_answers_keep_the_wording_that_was_asked(invitation, manager):
    template = invitation.template
    fresh = services.template_question_revise(template=template, actor=manager, key="overall", text="新的措辞?")
    services.response_submit(invitation=invitation, answers=answers_all())
    answer = Answer.objects.get(question__key="overall")
    assert answer.question.template_id == template.pk
    assert answer.question.text != "新的措辞?"
    assert fresh.version == template.version + 1
    assert Wave.objects.get(code="handover-3m").template_id == fresh.pk


def test_revising_an_old_version_is_refused(invitation, manager):
    old = invitation.template
    services.template_question_revise(template=old, actor=manager, key="overall", text="v2")
    from estates.workflow import InvalidTransition

    with pytest.raises(InvalidTransition):
        services.template_question_revise(template=old, actor=manager, key="overall", text="v3")
    assert SurveyTemplate.objects.filter(code=old.code).count() == 2


# --- low scores close the loop ------------------------------------------------------------------


def test_low_score_opens_a_follow_up_and_notifies_project_staff(invitation, staff, manager, cr_staff_other):
    response, _ = services.response_submit(invitation=invitation, answers=answers_all(overall=2))
    follow_up = FollowUp.objects.get()
    assert (follow_up.response_id, follow_up.status, follow_up.project_id) == (response.pk, "open", invitation.project_id)
    notified = set(Notification.objects.filter(kind="satisfaction.low_score").values_list("recipient__username", flat=True))
    assert notified == {"staff_a", "manager_a"}


def test_score_above_threshold_opens_nothing(invitation, staff):
    services.response_submit(invitation=invitation, answers=answers_all(overall=3))
    assert FollowUp.objects.count() == 0
    assert Notification.objects.count() == 0


def test_threshold_is_configurable(invitation, staff, manager):
    services.wave_update(wave=invitation.wave, actor=manager, low_score_threshold=3)
    services.response_submit(invitation=invitation, answers=answers_all(overall=3))
    assert FollowUp.objects.count() == 1


def test_follow_up_transitions_are_recorded(invitation, staff):
    services.response_submit(invitation=invitation, answers=answers_all(overall=1))
    fu = services.follow_up_transition(follow_up=FollowUp.objects.get(), actor=staff, status="closed", note="已回电")
    again = services.follow_up_transition(follow_up=fu, actor=staff, status="closed")
    assert (again.status, again.assignee, again.note) == ("closed", staff, "已回电")
    assert Event.objects.filter(follow_up=fu, kind="follow_up_changed").count() == 1


def test_closed_follow_up_cannot_reopen(invitation, staff):
    from estates.workflow import InvalidTransition

    services.response_submit(invitation=invitation, answers=answers_all(overall=1))
    fu = services.follow_up_transition(follow_up=FollowUp.objects.get(), actor=staff, status="closed")
    with pytest.raises(InvalidTransition):
        services.follow_up_transition(follow_up=fu, actor=staff, status="contacted")
    assert FollowUp.objects.get().status == "closed"


# --- opt-out ------------------------------------------------------------------------------------


def test_opt_out_closes_open_invitations_and_stops_future_ones(invitation, time_machine):
    closed = services.invitation_opt_out(invitation=invitation)
    again = services.invitation_opt_out(invitation=invitation)
    invitation.refresh_from_db()
    invitation.customer.refresh_from_db()
    assert (closed, again, invitation.status, invitation.customer.opted_out) == (1, 0, "opted_out", True)
    time_machine.move_to(timezone.now() + timedelta(days=8), tick=False)
    services.daily_run()
    assert Event.objects.filter(kind="reminded").count() == 0


# --- waves --------------------------------------------------------------------------------------


def test_negative_offset_is_refused_and_nothing_changes(manager):
    wave = Wave.objects.get(code="handover-3m")
    with pytest.raises(ValidationError) as exc:
        services.wave_update(wave=wave, actor=manager, offset_days=-5, name="改名")
    assert "offset_days" in exc.value.message_dict
    wave.refresh_from_db()
    assert (wave.offset_days, wave.name) == (0, "交付3个月质量回访")


def test_month_offset_on_a_trigger_wave_is_refused(manager):
    with pytest.raises(ValidationError):
        services.wave_create(
            actor=manager, code="x", name="x", template=SurveyTemplate.objects.first(), trigger="frame_visit", offset_months=2
        )
    assert not Wave.objects.filter(code="x").exists()


def test_wave_update_records_an_event(manager):
    wave = services.wave_update(wave=Wave.objects.get(code="handover-3m"), actor=manager, reminder_max=1)
    assert wave.reminder_max == 1
    assert Event.objects.get(wave=wave).detail == "reminder_max: 2 → 1"


# --- scores by segment (segments app) -----------------------------------------------------------


def test_scores_by_segment_use_the_owners_segment(invitation, staff):
    from satisfaction import selectors
    from segments.models import CustomerSegment
    from segments.services import customer_segments_recompute

    customer = invitation.customer
    customer.children_ages = [6]
    customer.save(update_fields=["children_ages"])
    customer_segments_recompute(customer_ids=[customer.pk])
    segment = CustomerSegment.objects.get(customer=customer).segment
    services.response_submit(invitation=invitation, answers=answers_all(overall=4, recommend=10))
    rows = selectors.scores(actor=staff, group_by="segment")
    assert [(r.key, r.label, r.responses, r.sent, r.satisfaction_index) for r in rows] == [
        (segment.code, segment.name, 1, 1, 75.0)
    ]


def test_scores_by_segment_count_owners_without_one(invitation, staff):
    from satisfaction import selectors

    services.response_submit(invitation=invitation, answers=answers_all(overall=5))
    rows = selectors.scores(actor=staff, group_by="segment")
    assert [(r.key, r.responses) for r in rows] == [(None, 1)]
