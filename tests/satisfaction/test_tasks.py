"""The daily job over time and under concurrency."""

import threading
import zoneinfo
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from estates.models import Contract
from satisfaction import services, tasks
from satisfaction.models import Event, Invitation, Run
from tests.factories import ContractFactory, CustomerFactory, ProjectFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HANDOVER_WAVES = {"handover-3m": 3, "handover-11m": 11, "handover-23m": 23, "handover-35m": 35}


def test_beat_schedule_names_the_task():
    from satisfaction.beat import SCHEDULE

    assert SCHEDULE["satisfaction-daily-run"]["task"] == tasks.satisfaction_daily_run.name == "satisfaction.daily_run"


def test_task_calls_the_daily_run(project):
    run_id = tasks.satisfaction_daily_run()
    assert Run.objects.get(pk=run_id).status == "done"


@pytest.mark.slow
def test_thirty_six_months_of_daily_runs_invite_each_owner_once_per_wave(db, time_machine):
    """Demo-like data, the clock moved one day at a time from 1 Jan 2026 to 31 Mar 2029.

    3 projects, 12 contracts handed over every 5 days from 1 Jan 2026 (two with two owners: 14
    contract owners). One owner opted out from the start; one contract is cancelled on 1 Jun 2027,
    after its 3- and 11-month surveys; one owner answers the 3-month survey at once.
    Expected per wave: 3 and 11 months → 13 invitations; 23 and 35 months → 12.
    """
    projects = [ProjectFactory(code=f"DEMO-{i}") for i in range(3)]
    start = date(2026, 1, 1)
    contracts = []
    for i in range(12):
        owners = [CustomerFactory(email=f"c{i}-{k}@example.com") for k in range(2 if i in (3, 7) else 1)]
        contracts.append(
            ContractFactory(
                unit__building__project=projects[i % 3],
                handover_on=start + timedelta(days=5 * i),
                signed_on=start - timedelta(days=400),
                customers=owners,
            )
        )
    contracts[10].customers.update(opted_out=True)
    cancelled, answering = contracts[5], contracts[0]

    time_machine.move_to(datetime(2026, 1, 1, 9, 30, tzinfo=SHANGHAI), tick=False)
    day, end = start, date(2029, 3, 31)
    runs = 0
    while day <= end:
        if day == date(2027, 6, 1):
            Contract.objects.filter(pk=cancelled.pk).update(status=Contract.Status.CANCELLED)
        services.daily_run()
        runs += 1
        if day.day == 15:  # running twice on the same day changes nothing
            assert services.daily_run().created == 0
        if day == date(2026, 4, 1):  # due on 1 Apr 2026, sent that morning: answered at once
            inv = Invitation.objects.get(contract=answering, wave__code="handover-3m")
            services.response_submit(
                invitation=inv,
                answers={
                    "overall": 5,
                    "quality": 5,
                    "design": 4,
                    "sales": 4,
                    "property": 4,
                    "service": 5,
                    "recommend": 10,
                    "repurchase": 1,
                },
            )
        day += timedelta(days=1)
        time_machine.shift(timedelta(days=1))

    per_wave = Counter(Invitation.objects.values_list("wave__code", flat=True))
    assert runs == 1186
    assert dict(per_wave) == {"handover-3m": 13, "handover-11m": 13, "handover-23m": 12, "handover-35m": 12}
    # Exactly once per (contract owner, wave), each sent once.
    assert Invitation.objects.values("wave", "contract", "customer").distinct().count() == 50
    assert Event.objects.filter(kind="sent").count() == 50
    # Reminders capped at 2 per unanswered invitation; the answered one got none.
    reminders = Counter(Event.objects.filter(kind="reminded").values_list("invitation_id", flat=True))
    answered = Invitation.objects.get(status="responded")
    assert answered.reminder_count == 0
    assert answered.pk not in reminders
    assert set(reminders.values()) == {2}
    assert len(reminders) == 49
    assert set(Invitation.objects.exclude(pk=answered.pk).values_list("reminder_count", flat=True)) == {2}
    # Every window has closed: 49 expired, 1 answered; nothing is left open.
    assert dict(Counter(Invitation.objects.values_list("status", flat=True))) == {"expired": 49, "responded": 1}
    assert not Invitation.objects.filter(contract=cancelled, wave__code__in=["handover-23m", "handover-35m"]).exists()
    assert not Invitation.objects.filter(contract=contracts[10]).exists()


# --- concurrency (PostgreSQL) -------------------------------------------------------------------


def _bulk_due_contracts(project, n: int, handover: date) -> None:
    """n contracts with one owner each, bulk-created (the factories would take a query each)."""
    from estates.models import Building, Customer, Unit

    building = Building.objects.create(project=project, name="B1")
    units = Unit.objects.bulk_create([Unit(project=project, building=building, number=f"U{i}") for i in range(n)])
    customers = Customer.objects.bulk_create([Customer(name=f"业主{i}", email=f"u{i}@example.com") for i in range(n)])
    contracts = Contract.objects.bulk_create(
        [
            Contract(external_id=f"K{i}", project=project, unit=u, signed_on=handover - timedelta(days=300), handover_on=handover)
            for i, u in enumerate(units)
        ]
    )
    Contract.customers.through.objects.bulk_create(
        [Contract.customers.through(contract_id=c.pk, customer_id=cu.pk) for c, cu in zip(contracts, customers, strict=True)]
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_invite_and_send_each_owner_exactly_once(seeded):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    from satisfaction import rules

    project = ProjectFactory(code="CONC")
    _bulk_due_contracts(project, 600, rules.add_months(timezone.localdate(), -3))
    barrier, errors = threading.Barrier(2), []

    def worker():
        try:
            barrier.wait()
            services.daily_run(batch_size=50)
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
    assert Invitation.objects.count() == 600
    assert Invitation.objects.filter(status="sent").count() == 600
    sent_events = Counter(Event.objects.filter(kind="sent").values_list("invitation_id", flat=True))
    assert len(sent_events) == 600
    assert set(sent_events.values()) == {1}
    assert Event.objects.filter(kind="created").count() == 600
    runs = list(Run.objects.all())
    assert len(runs) == 2
    assert sum(r.created for r in runs) == 600
    assert sum(r.sent for r in runs) == 600
