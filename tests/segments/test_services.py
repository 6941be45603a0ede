import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from segments import services
from segments.fixtures.seed import TIANJIN_PARCEL
from segments.models import AssignmentRule, CustomerSegment, ParcelAssessment, Segment, SegmentEvent, SegmentRecomputeRun
from tests.segments.conftest import buyer_in

pytestmark = pytest.mark.django_db


def seg(code):
    return Segment.objects.get(code=code)


def test_recompute_assigns_by_the_first_matching_rule_and_records_it(project):
    customer = buyer_in(project, children_ages=[17])
    result = services.customer_segments_recompute(customer_ids=[customer.pk])
    row = CustomerSegment.objects.get(customer=customer)
    assert (result.changed, row.segment.code, row.computed_segment.code, row.rule.priority) == (
        1,
        "education_first",
        "education_first",
        20,
    )
    assert SegmentEvent.objects.get(customer=customer).after == "education_first"


def test_recompute_is_idempotent(project):
    customers = [buyer_in(project, income_band=band) for band in ("low", "mid", "high")]
    ids = [c.pk for c in customers]
    services.customer_segments_recompute(customer_ids=ids)
    again = services.customer_segments_recompute(customer_ids=ids)
    assert (again.changed, again.unchanged) == (0, 3)
    assert SegmentEvent.objects.count() == 3


def test_a_change_of_facts_moves_the_segment_and_leaves_an_event(project):
    customer = buyer_in(project, children_ages=[17])
    services.customer_segments_recompute(customer_ids=[customer.pk])
    customer.children_ages = [18]
    customer.save(update_fields=["children_ages"])
    services.customer_segments_recompute(customer_ids=[customer.pk])
    event = SegmentEvent.objects.filter(customer=customer).last()
    assert (event.before, event.after) == ("education_first", "young_professional")


def test_override_records_who_and_why(project, manager):
    customer = buyer_in(project, income_band="low")
    row = services.customer_segment_override(actor=manager, customer=customer, segment=seg("affluent"), reason="实际经营企业")
    assert (row.segment.code, row.computed_segment.code, row.is_overridden, row.overridden_by, row.override_reason) == (
        "affluent",
        "pragmatic",
        True,
        manager,
        "实际经营企业",
    )
    assert SegmentEvent.objects.filter(kind="overridden").get().after == "affluent"


def test_recompute_keeps_an_override_but_tracks_the_computed_segment(project, manager):
    customer = buyer_in(project, income_band="low")
    services.customer_segment_override(actor=manager, customer=customer, segment=seg("affluent"), reason="x")
    customer.children_ages = [3]
    customer.save(update_fields=["children_ages"])
    services.customer_segments_recompute(customer_ids=[customer.pk])
    row = CustomerSegment.objects.get(customer=customer)
    assert (row.segment.code, row.computed_segment.code) == ("affluent", "education_first")


def test_clearing_the_override_returns_to_the_computed_segment(project, manager):
    customer = buyer_in(project, income_band="low")
    services.customer_segment_override(actor=manager, customer=customer, segment=seg("affluent"), reason="x")
    row = services.customer_segment_override(actor=manager, customer=customer, segment=None, reason="登记错误已更正")
    assert (row.segment.code, row.is_overridden, row.overridden_by) == ("pragmatic", False, None)


def test_repeating_the_same_override_is_a_no_op(project, manager):
    customer = buyer_in(project)
    for _ in range(2):
        services.customer_segment_override(actor=manager, customer=customer, segment=seg("affluent"), reason="x")
    assert SegmentEvent.objects.filter(kind="overridden").count() == 1


def test_override_without_reason_is_refused_and_nothing_changes(project, manager):
    customer = buyer_in(project, income_band="low")
    services.customer_segments_recompute(customer_ids=[customer.pk])
    with pytest.raises(ValidationError):
        services.customer_segment_override(actor=manager, customer=customer, segment=seg("affluent"), reason="  ")
    assert CustomerSegment.objects.get(customer=customer).segment.code == "pragmatic"


def test_staff_may_not_override(project, staff):
    customer = buyer_in(project)
    with pytest.raises(PermissionDenied):
        services.customer_segment_override(actor=staff, customer=customer, segment=seg("affluent"), reason="x")
    assert not CustomerSegment.objects.filter(is_overridden=True).exists()


def test_bulk_run_processes_everyone_in_batches_and_counts(project, manager, django_capture_on_commit_callbacks):
    customers = [buyer_in(project, income_band=b) for b in ("low", "mid", "high", "low", "mid")]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run, created = services.segment_recompute_start(actor=manager)
    assert (created, run.status, run.total, len(callbacks)) == (True, "queued", 5, 1)
    run = services.segment_recompute_run_execute(run_id=run.pk, batch_size=2)
    assert (run.status, run.processed, run.changed, run.unchanged, run.active) == ("done", 5, 5, 0, None)
    assert CustomerSegment.objects.filter(customer__in=customers).count() == 5


def test_a_second_bulk_run_changes_nothing(project, manager):
    for b in ("low", "mid", "high"):
        buyer_in(project, income_band=b)
    first, _ = services.segment_recompute_start(actor=manager)
    services.segment_recompute_run_execute(run_id=first.pk)
    events = SegmentEvent.objects.count()
    second, created = services.segment_recompute_start(actor=manager)
    second = services.segment_recompute_run_execute(run_id=second.pk)
    assert (created, second.processed, second.changed, second.unchanged) == (True, 3, 0, 3)
    assert SegmentEvent.objects.count() == events


def test_a_repeated_delivery_of_a_run_does_nothing(project, manager):
    buyer_in(project)
    run, _ = services.segment_recompute_start(actor=manager)
    services.segment_recompute_run_execute(run_id=run.pk)
    again = services.segment_recompute_run_execute(run_id=run.pk)
    assert (again.status, again.processed) == ("done", 1)


def test_starting_while_a_run_is_active_returns_that_run(project, manager):
    first, created_first = services.segment_recompute_start(actor=manager)
    second, created_second = services.segment_recompute_start(actor=manager)
    assert (created_first, created_second, second.pk) == (True, False, first.pk)
    assert SegmentRecomputeRun.objects.count() == 1


def test_a_stale_run_is_marked_failed_and_replaced(project, manager):
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - services.STALE_AFTER * 2):
        stale, _ = services.segment_recompute_start(actor=manager)
    fresh, created = services.segment_recompute_start(actor=manager)
    stale.refresh_from_db()
    assert (stale.status, created, fresh.pk != stale.pk) == ("failed", True, True)


def test_impossible_rule_range_is_refused_and_nothing_written(group_user):
    rule = AssignmentRule(segment=seg("education_first"), priority=99, name="x", child_age_min=12, child_age_max=6)
    with pytest.raises(ValidationError) as exc:
        services.assignment_rule_save(actor=group_user, rule=rule)
    assert list(exc.value.message_dict) == ["child_age_max"]
    assert not AssignmentRule.objects.filter(priority=99).exists()


def test_rule_with_unknown_income_band_is_refused(group_user):
    rule = AssignmentRule(segment=seg("affluent"), priority=98, name="x", income_bands=["rich"])
    with pytest.raises(ValidationError) as exc:
        services.assignment_rule_save(actor=group_user, rule=rule)
    assert list(exc.value.message_dict) == ["income_bands"]


def test_staff_may_not_edit_rules(staff):
    rule = AssignmentRule(segment=seg("affluent"), priority=97, name="x")
    with pytest.raises(PermissionDenied):
        services.assignment_rule_save(actor=staff, rule=rule)


def test_a_new_rule_takes_effect_at_the_next_recompute(project, group_user):
    customer = buyer_in(project, income_band="mid", age_band="30_44", household_size=5)
    services.customer_segments_recompute(customer_ids=[customer.pk])
    services.assignment_rule_save(
        actor=group_user, rule=AssignmentRule(segment=seg("pragmatic"), priority=55, name="大家庭", household_size_min=5)
    )
    services.customer_segments_recompute(customer_ids=[customer.pk])
    assert CustomerSegment.objects.get(customer=customer).segment.code == "pragmatic"


def test_the_seeds_tianjin_parcel_scores_young_professionals_highest(tianjin, group_user):
    parcel = services.parcel_assess(actor=group_user, project=tianjin, name="天津河西地块", attribute_codes=TIANJIN_PARCEL)
    scores = list(parcel.scores.order_by("rank").values_list("segment__code", "score"))
    assert parcel.best_segment.code == "young_professional"
    assert scores[0][0] == "young_professional"
    assert scores[0][1] > scores[1][1]
    assert set(parcel.scores.get(segment__code="young_professional").drivers) == set(TIANJIN_PARCEL)


def test_parcel_with_unknown_attributes_is_refused_and_nothing_written(tianjin, group_user):
    with pytest.raises(ValidationError) as exc:
        services.parcel_assess(actor=group_user, project=tianjin, name="x", attribute_codes=["near_offices", "near_casino"])
    assert "near_casino" in exc.value.message_dict["attributes"][0]
    assert ParcelAssessment.objects.count() == 0


def test_saving_a_rule_leaves_an_event_with_before_and_after(group_user):
    import json

    rule = AssignmentRule.objects.get(priority=20)
    rule.child_age_max = 12
    services.assignment_rule_save(actor=group_user, rule=rule)
    services.assignment_rule_save(actor=group_user, rule=rule)  # unchanged: no second event
    event = SegmentEvent.objects.get(kind="rule_saved")
    detail = json.loads(event.detail)
    assert (detail["before"]["child_age_max"], detail["after"]["child_age_max"], event.actor) == (17, 12, "group")
