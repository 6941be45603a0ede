"""Complaints announce their changes to sales systems through the outbox: exactly one event per
change, in the change's transaction; nothing for a no-op, a refused or a rolled-back action."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from complaints import services
from complaints.escalation import complaints_sweep
from estates.models import OutboxEvent
from estates.workflow import InvalidTransition
from tests.complaints.conftest import MONDAY_10, _fast_passwords, _rules_seeded  # noqa: F401 - autouse fixtures
from tests.complaints.factories import file_complaint, unit_in
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def _then_fail(change):
    with transaction.atomic():
        change()
        raise RuntimeError("the caller's transaction fails after the change")


def events(name=None):
    qs = OutboxEvent.objects.order_by("pk")
    return list(qs.filter(event=name) if name else qs)


def names():
    return [e.event for e in events()]


def test_filing_emits_one_complaint_filed_with_ids_and_codes_only(project, staff, clock):
    unit = unit_in(project)
    customer = ContractFactory(unit=unit).customers.get()
    customer.external_id = "CRM-0042"
    customer.save(update_fields=["external_id"])
    c = file_complaint(project=project, actor=staff, unit=unit, customer=customer)
    [event] = events()
    assert (event.event, event.project_id) == ("complaint.filed", project.pk)
    assert event.payload == {
        "id": c.pk, "reference": c.reference, "channel": "online", "category": "construction_quality",
        "severity": c.severity_code, "status": "received", "unit": unit.pk, "customer": "CRM-0042",
        "created_at": c.created_at.isoformat(),
    }
    assert customer.phone not in str(event.payload) and customer.id_number not in str(event.payload)


def test_each_status_change_emits_one_status_changed_and_a_repeat_emits_nothing(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    OutboxEvent.objects.all().delete()
    services.complaint_respond(complaint=c, actor=staff, message="已收到")
    services.complaint_respond(complaint=c, actor=staff, message="已收到")  # no-op
    services.complaint_hold(complaint=c, actor=staff, reason="等业主")
    services.complaint_hold(complaint=c, actor=staff, reason="等业主")  # no-op
    services.complaint_resume(complaint=c, actor=staff)
    services.complaint_resolve(complaint=c, actor=staff, resolution="已修复")
    moves = [(e.payload["from"], e.payload["to"]) for e in events("complaint.status_changed")]
    assert moves == [("received", "in_progress"), ("in_progress", "on_hold"), ("on_hold", "in_progress"),
                     ("in_progress", "resolved")]
    assert names() == ["complaint.status_changed"] * 4
    assert events()[0].payload["actor"] == staff.display_name


def test_close_emits_status_changed_and_closed_once(project, staff, clock):
    c = services.complaint_resolve(
        complaint=services.complaint_respond(complaint=file_complaint(project=project, actor=staff), actor=staff, message="x"),
        actor=staff, resolution="已修复",
    )
    services.complaint_revisit(complaint=c, actor=staff, satisfied=True, score=5)
    OutboxEvent.objects.all().delete()
    services.complaint_close(complaint=c, actor=staff)
    services.complaint_close(complaint=c, actor=staff)  # no-op
    assert names() == ["complaint.status_changed", "complaint.closed"]
    closed = events("complaint.closed")[0].payload
    assert (closed["id"], closed["satisfied"]) == (c.pk, True)


def test_a_refused_action_emits_nothing(project, staff, clock):
    c = services.complaint_resolve(
        complaint=services.complaint_respond(complaint=file_complaint(project=project, actor=staff), actor=staff, message="x"),
        actor=staff, resolution="已修复",
    )
    OutboxEvent.objects.all().delete()
    with pytest.raises(InvalidTransition):
        services.complaint_close(complaint=c, actor=staff)  # no follow-up call yet
    assert names() == []


def test_a_rolled_back_action_emits_nothing(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    OutboxEvent.objects.all().delete()
    with pytest.raises(RuntimeError):
        _then_fail(lambda: services.complaint_respond(complaint=c, actor=staff, message="x"))
    with pytest.raises(RuntimeError):
        _then_fail(lambda: file_complaint(project=project, actor=staff))
    assert names() == []


def test_manual_escalation_emits_one_escalated(project, staff, clock):
    c = file_complaint(project=project, actor=staff)
    OutboxEvent.objects.all().delete()
    services.complaint_escalate(complaint=c, actor=staff, reason="业主情绪激动")
    [event] = events()
    assert (event.event, event.payload["level"], event.payload["reason"]) == ("complaint.escalated", 1, "manual")


def test_the_sweep_emits_one_escalated_per_complaint_and_level_and_nothing_when_repeated(project, staff, clock):
    ids = [file_complaint(project=project, actor=staff, channel="online").pk for _ in range(3)]
    OutboxEvent.objects.all().delete()
    clock.shift(timedelta(hours=24, minutes=1))
    complaints_sweep()
    complaints_sweep()
    escalated = events("complaint.escalated")
    assert sorted(e.payload["id"] for e in escalated) == ids
    assert {(e.payload["level"], e.payload["reason"]) for e in escalated} == {(1, "first_response")}
    assert names() == ["complaint.escalated"] * 3
