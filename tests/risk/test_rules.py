from datetime import date, timedelta
from decimal import Decimal

from risk import rules

START = date(2025, 1, 1)


def dev(planned_days, actual_days=None, today_days=1000):
    return rules.milestone_deviation(
        start=START,
        planned=START + timedelta(days=planned_days),
        actual=None if actual_days is None else START + timedelta(days=actual_days),
        today=START + timedelta(days=today_days),
    )


def test_deviation_exactly_ten_percent_late_is_not_flagged():
    d = dev(100, 110)
    assert d.percent == Decimal("10.0")
    assert d.flagged is False


def test_deviation_just_beyond_ten_percent_late_is_flagged():
    d = dev(1000, 1101)
    assert d.percent == Decimal("10.1")
    assert d.flagged is True


def test_deviation_more_than_ten_percent_early_is_flagged():
    d = dev(100, 89)
    assert d.percent == Decimal("-11.0")
    assert d.flagged is True


def test_deviation_exactly_ten_percent_early_is_not_flagged():
    assert dev(100, 90).flagged is False


def test_unreached_milestone_past_its_date_counts_up_to_today():
    d = dev(100, None, today_days=120)
    assert (d.percent, d.flagged, d.reached) == (Decimal("20.0"), True, False)


def test_unreached_milestone_not_yet_due_has_no_deviation():
    assert dev(100, None, today_days=100) == rules.Deviation(None, False, False)


def test_first_milestone_has_no_planned_duration():
    assert dev(0, 5).percent is None


def test_deadline_today_is_allowed_and_yesterday_refused():
    today = date(2026, 5, 1)
    assert rules.deadline_problem(deadline=today, today=today) is None
    assert rules.deadline_problem(deadline=today - timedelta(days=1), today=today) == "past"
    assert rules.deadline_problem(deadline=None, today=today) == "missing"


def test_notices_before_deadline_start_three_days_ahead():
    d = date(2026, 5, 10)
    assert rules.risk_item_notices(item_id=1, deadline=d, today=date(2026, 5, 6)) == []
    assert [n.kind for n in rules.risk_item_notices(item_id=1, deadline=d, today=date(2026, 5, 7))] == ["due_soon"]
    assert [n.kind for n in rules.risk_item_notices(item_id=1, deadline=d, today=d)] == ["due_soon"]


def test_notices_after_deadline_overdue_and_escalation():
    d = date(2026, 5, 10)
    notices = rules.risk_item_notices(item_id=7, deadline=d, today=date(2026, 5, 11))
    assert [(n.kind, n.key) for n in notices] == [
        ("overdue", "risk:item:7:2026-05-10:overdue:0"),
        ("escalation", "risk:item:7:2026-05-10:escalation"),
    ]


def test_overdue_reminder_repeats_weekly_with_new_key():
    d = date(2026, 5, 10)
    day7 = rules.risk_item_notices(item_id=7, deadline=d, today=d + timedelta(days=7))[0].key
    day8 = rules.risk_item_notices(item_id=7, deadline=d, today=d + timedelta(days=8))[0].key
    assert day7.endswith(":overdue:0")
    assert day8.endswith(":overdue:1")


def test_sign_off_authority():
    assert rules.can_sign_off(role="department_head", department_code="gm_office") is True
    assert rules.can_sign_off(role="admin", department_code=None) is True
    assert rules.can_sign_off(role="cr_manager", department_code="customer_relations") is False
    assert rules.can_sign_off(role="cr_staff", department_code=None, is_superuser=True) is True


def test_sign_off_blockers_list_every_reason():
    blockers = rules.sign_off_blockers(
        kind="pre_delivery",
        unanswered=2,
        open_high_risks=["a"],
        undisclosed_factors=["垃圾场 500 m"],
        unsettled_delivery_promises=["泳池"],
    )
    assert [b.code for b in blockers] == ["unanswered", "high_risk_open", "factor_undisclosed", "promise_unsettled"]


def test_promises_do_not_block_pre_opening_review():
    assert (
        rules.sign_off_blockers(
            kind="pre_opening", unanswered=0, open_high_risks=[], undisclosed_factors=[], unsettled_delivery_promises=["泳池"]
        )
        == []
    )


def test_sales_opening_blocked_by_undisclosed_factor():
    assert rules.sales_opening_blockers(undisclosed_factors=[]) == []
    assert rules.sales_opening_blockers(undisclosed_factors=["垃圾场 500 m"])[0].count == 1
