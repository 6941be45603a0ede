"""The survey after a complaint is closed (DOMAIN.md §2 回访跟踪, §5: satisfaction evaluated after
complaint handling): the daily run reads the complaints closed since the last run through the
complaints selector and records a complaint-closed trigger per complaint; the seeded wave invites
the complainant two days after the close, by SMS, once per complaint."""

import threading
import zoneinfo
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from complaints import services as complaint_services
from satisfaction import services
from satisfaction.models import Invitation, Run, Trigger, Wave
from tests.complaints.conftest import _rules_seeded  # noqa: F401 - autouse: the SLA policies complaints need
from tests.complaints.factories import file_complaint, unit_in
from tests.factories import ContractFactory, CustomerFactory, ProjectFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 1)  # a Monday


def at(day: date, hh: int = 9, mm: int = 30, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(at(DAY), tick=False)
    return time_machine


@pytest.fixture
def handler(project):
    from estates.models import Role

    return UserFactory(username="cr_closer", role=Role.CR_MANAGER, projects=[project])


def owner_in(project, *, signed_on=date(2025, 1, 1)):
    """A customer with an active contract on a unit of ``project``: (customer, unit, contract)."""
    unit = unit_in(project)
    customer = CustomerFactory(email="", phone=f"139{CustomerFactory._meta.model.objects.count():08d}")
    contract = ContractFactory(unit=unit, customers=[customer], signed_on=signed_on, handover_on=None)
    return customer, unit, contract


def close(project, actor, *, customer=None, unit=None, **filing):
    """File, respond, resolve, call back and close a complaint at the clock's time."""
    c = file_complaint(project=project, actor=actor, unit=unit, customer=customer, **filing)
    c = complaint_services.complaint_respond(complaint=c, actor=actor, message="已联系业主")
    c = complaint_services.complaint_resolve(complaint=c, actor=actor, resolution="已修复")
    complaint_services.complaint_revisit(complaint=c, actor=actor, satisfied=True, score=5)
    return complaint_services.complaint_close(complaint=c, actor=actor)


def run_at(clock, moment: datetime) -> Run:
    clock.move_to(moment, tick=False)
    return services.daily_run()


def refs():
    return sorted(Trigger.objects.filter(kind="complaint_closed").values_list("source_ref", flat=True))


def complaint_invitations():
    return Invitation.objects.filter(wave__code="complaint-closed")


# --- the rule ------------------------------------------------------------------------------------


def test_a_closed_complaint_invites_its_customer_by_sms_two_days_later_once(project, handler, clock):
    customer, unit, contract = owner_in(project)
    clock.move_to(at(DAY, 10), tick=False)
    c = close(project, handler, customer=customer, unit=unit)
    run_at(clock, at(DAY + timedelta(days=1)))
    [trigger] = Trigger.objects.all()
    assert (trigger.source_ref, trigger.occurred_on, trigger.contract_id, trigger.customer_id) == (
        f"complaint:{c.pk}",
        DAY,
        contract.pk,
        customer.pk,
    )
    assert not complaint_invitations().exists()  # due two days after the close
    run_at(clock, at(DAY + timedelta(days=2)))
    [inv] = complaint_invitations()
    assert (inv.template.code, inv.channel, inv.status, inv.due_on) == (
        "complaint-revisit",
        "sms",
        "sent",
        DAY + timedelta(days=2),
    )
    assert inv.closes_on == DAY + timedelta(days=15)  # a 14-day window
    services.daily_run()  # the same day again
    run_at(clock, at(DAY + timedelta(days=3)))
    assert complaint_invitations().count() == 1
    assert Trigger.objects.count() == 1


def test_the_cut_off_is_the_runs_clock_a_close_just_after_it_is_the_next_runs(project, handler, clock):
    a_owner, a_unit, _ = owner_in(project)
    b_owner, b_unit, _ = owner_in(project)
    clock.move_to(at(DAY, 9, 29, 59), tick=False)
    a = close(project, handler, customer=a_owner, unit=a_unit)  # just before the 09:30 run
    run_at(clock, at(DAY))
    clock.move_to(at(DAY, 9, 30, 1), tick=False)
    b = close(project, handler, customer=b_owner, unit=b_unit)  # just after it
    assert refs() == [f"complaint:{a.pk}"]
    run_at(clock, at(DAY + timedelta(days=1)))
    assert refs() == sorted([f"complaint:{a.pk}", f"complaint:{b.pk}"])
    run_at(clock, at(DAY + timedelta(days=2)))
    services.daily_run()  # run twice: one invitation per complaint
    assert Counter(complaint_invitations().values_list("customer_id", flat=True)) == {a_owner.pk: 1, b_owner.pk: 1}
    assert Trigger.objects.count() == 2


def test_the_next_run_reads_from_the_last_runs_day_so_a_late_commit_is_not_lost(project, handler, clock):
    """A close whose time is before the last run's cut-off but that committed after that run read."""
    customer, unit, _ = owner_in(project)
    run_at(clock, at(DAY))
    clock.move_to(at(DAY, 9, 29, 59), tick=False)
    late = close(project, handler, customer=customer, unit=unit)
    assert refs() == []
    run_at(clock, at(DAY + timedelta(days=1)))
    assert refs() == [f"complaint:{late.pk}"]


def test_the_first_run_catches_up_only_closes_whose_survey_is_still_open(project, handler, clock):
    """Wave: two days after the close, 14 days to answer: a close 15 days ago is due 13 days ago
    and open until today; one 16 days ago closed yesterday."""
    old_owner, old_unit, _ = owner_in(project)
    edge_owner, edge_unit, _ = owner_in(project)
    clock.move_to(at(DAY - timedelta(days=16), 23, 59, 59), tick=False)
    close(project, handler, customer=old_owner, unit=old_unit)
    clock.move_to(at(DAY - timedelta(days=15), 0, 0, 0), tick=False)
    edge = close(project, handler, customer=edge_owner, unit=edge_unit)
    run_at(clock, at(DAY))
    assert refs() == [f"complaint:{edge.pk}"]
    [inv] = complaint_invitations()
    assert (inv.customer_id, inv.closes_on, inv.status) == (edge_owner.pk, DAY, "sent")


def test_days_without_a_run_are_caught_up(project, handler, clock):
    customer, unit, _ = owner_in(project)
    run_at(clock, at(DAY))
    clock.move_to(at(DAY + timedelta(days=1), 15), tick=False)
    c = close(project, handler, customer=customer, unit=unit)
    run_at(clock, at(DAY + timedelta(days=5)))  # beat was down for four days
    assert refs() == [f"complaint:{c.pk}"]
    assert complaint_invitations().get().status == "sent"


# --- once per complaint ----------------------------------------------------------------------------


def test_a_complaint_reopened_and_closed_again_is_surveyed_once(project, handler, clock):
    customer, unit, _ = owner_in(project)
    c = close(project, handler, customer=customer, unit=unit)
    run_at(clock, at(DAY + timedelta(days=1)))
    c = complaint_services.complaint_reopen(complaint=c, actor=handler, reason="又漏水了")
    c = complaint_services.complaint_resolve(complaint=c, actor=handler, resolution="再次修复")
    complaint_services.complaint_revisit(complaint=c, actor=handler, satisfied=True, score=4)
    complaint_services.complaint_close(complaint=c, actor=handler)
    for d in range(2, 6):
        run_at(clock, at(DAY + timedelta(days=d)))
    assert refs() == [f"complaint:{c.pk}"]
    assert complaint_invitations().count() == 1


def test_a_complaint_reopened_before_the_run_is_not_surveyed_while_open(project, handler, clock):
    customer, unit, _ = owner_in(project)
    c = close(project, handler, customer=customer, unit=unit)
    complaint_services.complaint_reopen(complaint=c, actor=handler, reason="又漏水了")
    run_at(clock, at(DAY + timedelta(days=1)))
    assert refs() == []


# --- who is surveyed, through which contract -----------------------------------------------------


def test_contact_only_complaints_and_non_owners_are_not_surveyed(project, other_project, handler, clock):
    close(project, handler, contact_name="路人", contact_phone="13700000000")
    elsewhere_owner, _unit, _ = owner_in(other_project)  # owns nothing in ``project``
    with pytest.raises(ValidationError):  # refused at filing already (tests/security/test_write_references.py)
        close(project, handler, customer=elsewhere_owner)
    cancelled_owner, unit, contract = owner_in(project)
    contract.status = contract.Status.CANCELLED
    contract.save(update_fields=["status"])
    close(project, handler, customer=cancelled_owner, unit=unit)
    run_at(clock, at(DAY + timedelta(days=2)))
    assert refs() == []
    assert not complaint_invitations().exists()


def test_the_contract_on_the_complaints_unit_is_chosen(project, handler, clock):
    customer, old_unit, old_contract = owner_in(project, signed_on=date(2024, 1, 1))
    newer = ContractFactory(unit=unit_in(project), customers=[customer], signed_on=date(2025, 6, 1), handover_on=None)
    close(project, handler, customer=customer, unit=old_unit)
    close(project, handler, customer=customer)  # no unit: the most recently signed contract
    run_at(clock, at(DAY + timedelta(days=1)))
    assert sorted(Trigger.objects.values_list("contract_id", flat=True)) == sorted([old_contract.pk, newer.pk])


def test_an_inactive_wave_reads_no_complaints(project, handler, clock):
    customer, unit, _ = owner_in(project)
    close(project, handler, customer=customer, unit=unit)
    Wave.objects.filter(code="complaint-closed").update(is_active=False)
    with CaptureQueriesContext(connection) as ctx:
        assert services.complaint_triggers_record(now=at(DAY, 12)) == 0
    assert len(ctx.captured_queries) == 1
    assert refs() == []


def test_recording_runs_a_fixed_number_of_queries(project, handler, clock):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            created = services.complaint_triggers_record(now=at(DAY, 18))
        return created, len(ctx.captured_queries)

    clock.move_to(at(DAY, 10), tick=False)
    for _ in range(2):
        customer, unit, _ = owner_in(project)
        close(project, handler, customer=customer, unit=unit)
    created, small = count()
    Trigger.objects.all().delete()
    for _ in range(8):
        customer, unit, _ = owner_in(project)
        close(project, handler, customer=customer, unit=unit)
    assert count() == (10, small)
    assert (created, small) == (2, 7)


# --- two runs at once (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_survey_each_closed_complaint_once(seeded, time_machine):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    from estates.models import Role

    project = ProjectFactory(code="CONC-C")
    handler = UserFactory(username="conc_closer", role=Role.CR_MANAGER, projects=[project])
    time_machine.move_to(at(DAY, 10), tick=False)
    closed = []
    for _ in range(12):
        customer, unit, _ = owner_in(project)
        closed.append(close(project, handler, customer=customer, unit=unit))
    time_machine.move_to(at(DAY + timedelta(days=2)), tick=False)
    barrier, errors = threading.Barrier(2), []

    def worker():
        try:
            barrier.wait()
            services.daily_run(batch_size=5)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert refs() == sorted(f"complaint:{c.pk}" for c in closed)
    assert complaint_invitations().count() == 12
    assert complaint_invitations().filter(status="sent").count() == 12
