from datetime import date, datetime, timedelta

import pytest

from satisfaction import rules

NOW = datetime(2026, 6, 1, 9, 30)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 15), 3, date(2026, 6, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 5, 10), 35, date(2029, 4, 10)),
        (date(2026, 5, 10), -3, date(2026, 2, 10)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert rules.add_months(day, months) == expected


def test_closes_on_counts_the_due_day():
    assert rules.closes_on(date(2026, 4, 1), window_days=30) == date(2026, 4, 30)


def test_event_range_is_exactly_the_events_due_and_open_today():
    today = date(2026, 6, 15)
    first, last = rules.event_range_open_on(today, offset_months=3, offset_days=0, window_days=30)
    # Every event date in the range is due on or before today and still open; its neighbours are not.
    for offset in range((last - first).days + 1):
        due = rules.due_on(first + timedelta(days=offset), offset_months=3, offset_days=0)
        assert due <= today < due + timedelta(days=30)
    assert rules.due_on(last + timedelta(days=1), offset_months=3, offset_days=0) > today
    assert rules.due_on(first - timedelta(days=1), offset_months=3, offset_days=0) + timedelta(days=30) <= today
    assert (first, last) == (date(2026, 2, 17), date(2026, 3, 15))


def test_event_range_includes_month_end_handovers_that_clamp():
    # 29–31 Nov + 3 months all fall due on 28 Feb.
    first, last = rules.event_range_open_on(date(2027, 2, 28), offset_months=3, offset_days=0, window_days=1)
    assert (first, last) == (date(2026, 11, 28), date(2026, 11, 30))


def test_event_range_with_day_offset():
    assert rules.event_range_open_on(date(2026, 6, 15), offset_months=0, offset_days=2, window_days=14) == (
        date(2026, 5, 31),
        date(2026, 6, 13),
    )


def recipient(**kw):
    return rules.Recipient(
        **({"contract_status": "active", "opted_out": False, "last_sent_at": None, "email": "a@b.c", "phone": ""} | kw)
    )


def test_eligible_owner_has_no_reason():
    assert rules.ineligible_reason(recipient(), now=NOW, cooldown_days=60, channel="email") == ""


def test_cancelled_contract_is_ineligible():
    assert (
        rules.ineligible_reason(recipient(contract_status="cancelled"), now=NOW, cooldown_days=60, channel="email") == "cancelled"
    )


def test_opted_out_owner_is_ineligible():
    assert rules.ineligible_reason(recipient(opted_out=True), now=NOW, cooldown_days=60, channel="email") == "opted_out"


def test_cooldown_boundary():
    inside = recipient(last_sent_at=NOW - timedelta(days=60) + timedelta(seconds=1))
    outside = recipient(last_sent_at=NOW - timedelta(days=60))
    assert rules.ineligible_reason(inside, now=NOW, cooldown_days=60, channel="email") == "cooldown"
    assert rules.ineligible_reason(outside, now=NOW, cooldown_days=60, channel="email") == ""


def test_no_address_at_all_is_ineligible():
    assert rules.ineligible_reason(recipient(email="", phone=""), now=NOW, cooldown_days=0, channel="sms") == "no_address"


def test_pick_channel_falls_back_to_the_other_address():
    assert rules.pick_channel("email", email="", phone="138") == "sms"
    assert rules.pick_channel("sms", email="a@b.c", phone="") == "email"
    assert rules.pick_channel("sms", email="a@b.c", phone="138") == "sms"
    assert rules.pick_channel("email", email="", phone="") == ""


def test_reminders_stop_at_the_cap():
    assert rules.next_reminder_at(sent_or_reminded_at=NOW, reminders_sent=1, reminder_max=2, interval_days=7) == NOW + timedelta(
        days=7
    )
    assert rules.next_reminder_at(sent_or_reminded_at=NOW, reminders_sent=2, reminder_max=2, interval_days=7) is None
    assert rules.next_reminder_at(sent_or_reminded_at=NOW, reminders_sent=0, reminder_max=0, interval_days=7) is None


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("rating", "1", rules.CleanAnswer(value_int=1)),
        ("rating", 5, rules.CleanAnswer(value_int=5)),
        ("recommend", "0", rules.CleanAnswer(value_int=0)),
        ("recommend", "10", rules.CleanAnswer(value_int=10)),
        ("yes_no", "1", rules.CleanAnswer(value_int=1)),
        ("yes_no", False, rules.CleanAnswer(value_int=0)),
        ("single", "b", rules.CleanAnswer(value_choices=("b",))),
        ("multiple", ["b", "a"], rules.CleanAnswer(value_choices=("a", "b"))),
        ("text", "  好  ", rules.CleanAnswer(value_text="好")),
    ],
)
def test_clean_answer_accepts_each_type(kind, raw, expected):
    choices = [{"value": "a", "name": "甲"}, {"value": "b", "name": "乙"}]
    assert rules.clean_answer(kind=kind, required=True, choices=choices, raw=raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("rating", "0"),
        ("rating", "6"),
        ("rating", "abc"),
        ("rating", "4.5"),
        ("recommend", "-1"),
        ("recommend", "11"),
        ("yes_no", "maybe"),
        ("single", "z"),
        ("single", ["a", "b"]),
        ("multiple", ["a", "z"]),
        ("multiple", ["a", "a"]),
        ("text", "x" * 2001),
        ("rating", ""),
        ("multiple", []),
    ],
)
def test_clean_answer_refuses_wrong_type_or_range(kind, raw):
    choices = [{"value": "a", "name": "甲"}, {"value": "b", "name": "乙"}]
    with pytest.raises(rules.AnswerError):
        rules.clean_answer(kind=kind, required=True, choices=choices, raw=raw)


def test_optional_answer_may_be_empty():
    assert rules.clean_answer(kind="text", required=False, choices=[], raw="").empty


def test_scores():
    assert rules.satisfaction_index(1) == 0.0
    assert rules.satisfaction_index(5) == 100.0
    assert rules.satisfaction_index(4) == 75.0
    assert rules.satisfaction_index(None) is None
    assert rules.recommend_score(promoters=5, detractors=2, answers=10) == 30.0
    assert rules.recommend_score(promoters=0, detractors=0, answers=0) is None
    assert rules.share(3, 4) == 0.75
    assert rules.share(1, 0) is None


def test_low_score_threshold_boundary():
    assert rules.is_low_score(overall=2, threshold=2) is True
    assert rules.is_low_score(overall=3, threshold=2) is False
    assert rules.is_low_score(overall=None, threshold=2) is False
