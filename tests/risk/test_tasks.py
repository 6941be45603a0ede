"""The daily chase, tested by moving the clock (time_machine)."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from estates.models import Notification, Role
from risk import services
from risk.beat import SCHEDULE
from risk.models import Event, RiskItem
from risk.tasks import daily_reminders
from tests.factories import UserFactory
from tests.risk.factories import dept, open_item

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # the item is opened this day with a deadline 10 days later
DEADLINE = date(2026, 3, 12)


@pytest.fixture
def setup(project):
    owner = UserFactory(username="eng_owner", role=Role.CR_STAFF, department=dept("engineering"), projects=[project])
    head = UserFactory(username="eng_head", role=Role.DEPARTMENT_HEAD, department=dept("engineering"), projects=[project])
    with time_machine.travel(DAY0, tick=False):
        item = open_item(project, owner, owner=owner, deadline=DEADLINE)
    return item, owner, head


def run_on(day: date):
    with time_machine.travel(datetime(day.year, day.month, day.day, 7, 30, tzinfo=SH), tick=False):
        return daily_reminders(today=None)


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).exclude(kind="risk_item_assigned").values_list("kind", flat=True))


def test_beat_schedules_the_daily_job():
    assert SCHEDULE["risk-daily-reminders"]["task"] == "risk.daily_reminders"


def test_nothing_before_the_reminder_window(setup):
    _item, owner, _head = setup
    assert run_on(DEADLINE - timedelta(days=4)) == {"due_soon": 0, "overdue": 0, "escalated": 0}
    assert kinds(owner) == []


def test_reminder_three_days_before_deadline_once(setup):
    _item, owner, _head = setup
    assert run_on(DEADLINE - timedelta(days=3))["due_soon"] == 1
    assert run_on(DEADLINE - timedelta(days=3))["due_soon"] == 0
    assert run_on(DEADLINE)["due_soon"] == 0  # same deadline, same key: one reminder before
    assert kinds(owner) == ["risk_due_soon"]


def test_day_after_deadline_reminds_owner_and_escalates_to_head(setup):
    item, owner, head = setup
    result = run_on(DEADLINE + timedelta(days=1))
    assert result == {"due_soon": 0, "overdue": 1, "escalated": 1}
    assert kinds(owner) == ["risk_overdue"]
    assert kinds(head) == ["risk_escalated"]
    item.refresh_from_db()
    assert item.escalated_at is not None
    assert Event.objects.filter(subject="item", subject_id=item.pk, kind="escalated").count() == 1


def test_running_twice_the_same_day_sends_nothing_more(setup):
    _item, _owner, _head = setup
    run_on(DEADLINE + timedelta(days=1))
    before = Notification.objects.count()
    assert run_on(DEADLINE + timedelta(days=1)) == {"due_soon": 0, "overdue": 0, "escalated": 0}
    assert Notification.objects.count() == before
    assert Event.objects.filter(kind="escalated").count() == 1


def test_overdue_reminder_repeats_weekly_escalation_does_not(setup):
    _item, owner, head = setup
    for offset in range(1, 16):
        run_on(DEADLINE + timedelta(days=offset))
    assert kinds(owner) == ["risk_overdue"] * 3  # days 1, 8 and 15
    assert kinds(head) == ["risk_escalated"]


def test_closed_item_is_not_chased(setup):
    item, owner, _head = setup
    services.risk_item_close(item=item, actor=owner, closing_note="已完成")
    assert run_on(DEADLINE + timedelta(days=1)) == {"due_soon": 0, "overdue": 0, "escalated": 0}


def test_new_deadline_restarts_the_chase(setup):
    item, owner, head = setup
    run_on(DEADLINE + timedelta(days=1))
    with time_machine.travel(datetime(2026, 3, 13, 10, tzinfo=SH), tick=False):
        services.risk_item_update(item=item, actor=owner, deadline=date(2026, 3, 20))
    assert run_on(date(2026, 3, 21))["escalated"] == 1
    assert kinds(head) == ["risk_escalated", "risk_escalated"]


def test_without_department_head_escalation_goes_to_cr_managers(project, manager):
    owner = UserFactory(username="noheads", department=dept("design"), projects=[project])
    with time_machine.travel(DAY0, tick=False):
        open_item(project, owner, owner=owner, deadline=DEADLINE)
    run_on(DEADLINE + timedelta(days=1))
    assert kinds(manager) == ["risk_escalated"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_once(risk_catalogue, project):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    owner = UserFactory(username="own2", department=dept("engineering"), projects=[project])
    head = UserFactory(username="head2", role=Role.DEPARTMENT_HEAD, department=dept("engineering"), projects=[project])
    with time_machine.travel(DAY0, tick=False):
        open_item(project, owner, owner=owner, deadline=DEADLINE)
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            barrier.wait()
            services.risk_reminders_send(today=DEADLINE + timedelta(days=1))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Notification.objects.filter(recipient=head, kind="risk_escalated").count() == 1
    assert Event.objects.filter(kind="escalated").count() == 1
    assert RiskItem.objects.get().escalated_at is not None
