"""The pure rules: severity tiers at their boundaries, SLA maths on clock and working calendars."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from complaints import rules
from complaints.rules import HOT, IMPORTANT, MAJOR, ORDINARY, TierFacts, severity_for

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def sh(*args):
    return datetime(*args, tzinfo=SH)


def tier(**facts):
    return severity_for(TierFacts(**facts), now=NOW).severity


# --- Tiers -----------------------------------------------------------------------------------------


def test_plain_complaint_is_ordinary():
    assert tier() == ORDINARY


def test_lawsuit_filed_is_major():
    assert tier(lawsuit_filed=True) == MAJOR


def test_media_exposure_is_major():
    assert tier(media_exposed=True) == MAJOR


def test_nine_people_is_hot_not_major():
    assert tier(complainant_count=9) == HOT


def test_ten_people_is_major():
    assert tier(complainant_count=10) == MAJOR


def test_two_people_is_ordinary():
    assert tier(complainant_count=2) == ORDINARY


def test_three_people_is_hot():
    assert tier(complainant_count=3) == HOT


def test_two_distinct_complainants_in_a_cluster_is_ordinary():
    assert tier(cluster_complainants=2) == ORDINARY


def test_three_distinct_complainants_in_a_cluster_is_hot():
    assert tier(cluster_complainants=3) == HOT


def test_nine_vs_ten_distinct_complainants_in_a_cluster():
    assert tier(cluster_complainants=9) == HOT
    assert tier(cluster_complainants=10) == MAJOR


def test_possible_lawsuit_or_media_is_hot():
    assert tier(legal_or_media_risk=True) == HOT


def test_re_complaint_is_important():
    assert tier(repeat=True) == IMPORTANT


def test_needs_outside_help_is_important():
    assert tier(needs_outside_help=True) == IMPORTANT


def test_unresolved_six_days_23_hours_is_not_hot():
    filed = NOW - timedelta(days=6, hours=23)
    due = rules.due_times(filed_at=filed, targets=rules.Targets(Decimal(24), Decimal(120), Decimal(48)))
    assert tier(hot_at=due.hot_at, major_at=due.major_at) == ORDINARY


def test_unresolved_seven_days_is_hot():
    filed = NOW - timedelta(days=7)
    due = rules.due_times(filed_at=filed, targets=rules.Targets(Decimal(24), Decimal(120), Decimal(48)))
    assert tier(hot_at=due.hot_at, major_at=due.major_at) == HOT


def test_unresolved_29_days_is_hot_and_30_days_is_major():
    targets = rules.Targets(Decimal(24), Decimal(120), Decimal(48))
    d29 = rules.due_times(filed_at=NOW - timedelta(days=29, hours=23), targets=targets)
    d30 = rules.due_times(filed_at=NOW - timedelta(days=30), targets=targets)
    assert tier(hot_at=d29.hot_at, major_at=d29.major_at) == HOT
    assert tier(hot_at=d30.hot_at, major_at=d30.major_at) == MAJOR


def test_resolved_complaint_does_not_age():
    filed = NOW - timedelta(days=40)
    due = rules.due_times(filed_at=filed, targets=rules.Targets(Decimal(24), Decimal(120), Decimal(48)))
    assert tier(hot_at=due.hot_at, major_at=due.major_at, unresolved=False) == ORDINARY


def test_hold_time_is_excluded_from_the_week():
    filed = NOW - timedelta(days=7, hours=1)
    holds = [(filed + timedelta(days=1), filed + timedelta(days=1, hours=2))]  # two hours on hold
    due = rules.due_times(filed_at=filed, targets=rules.Targets(Decimal(24), Decimal(120), Decimal(48)), holds=holds)
    assert due.hot_at == filed + timedelta(days=7, hours=2)
    assert tier(hot_at=due.hot_at, major_at=due.major_at) == ORDINARY


def test_tiers_never_fall_automatically():
    assert rules.raise_only(MAJOR, ORDINARY) == MAJOR
    assert rules.raise_only(IMPORTANT, HOT) == HOT


def test_cluster_floor_thresholds():
    assert [rules.cluster_severity(n) for n in (2, 3, 9, 10)] == [ORDINARY, HOT, HOT, MAJOR]


def test_reasons_name_the_rule():
    decision = severity_for(TierFacts(lawsuit_filed=True, complainant_count=12), now=NOW)
    assert decision.reasons == ("lawsuit_filed", "collective_10")


# --- Calendars -------------------------------------------------------------------------------------

CAL = rules.Calendar.from_strings(
    [["09:00", "12:00"], ["13:30", "18:00"]],
    [1, 2, 3, 4, 5],
    holidays=[date(2026, 10, 1), date(2026, 10, 2)],
    workdays=[date(2026, 10, 10)],
)
NINE_TO_SIX = rules.Calendar.from_strings([["09:00", "18:00"]], [1, 2, 3, 4, 5])


def test_clock_hours_online_24h():
    assert rules.add_time(sh(2026, 3, 6, 17, 50), 24) == sh(2026, 3, 7, 17, 50)


def test_friday_1750_with_10_minutes_left_rolls_to_monday():
    # 10 minutes on Friday, the remaining 3 h 50 from Monday 09:00.
    assert rules.add_time(sh(2026, 3, 6, 17, 50), 4, calendar=NINE_TO_SIX) == sh(2026, 3, 9, 12, 50)


def test_lunch_break_does_not_count():
    assert rules.add_time(sh(2026, 3, 2, 11, 0), 2, calendar=CAL) == sh(2026, 3, 2, 14, 30)


def test_start_before_opening_counts_from_opening():
    assert rules.add_time(sh(2026, 3, 2, 7, 0), 1, calendar=CAL) == sh(2026, 3, 2, 10, 0)


def test_ending_exactly_at_an_interval_end():
    assert rules.add_time(sh(2026, 3, 2, 9, 0), 3, calendar=CAL) == sh(2026, 3, 2, 12, 0)


def test_holidays_are_skipped():
    # Wednesday 30 Sep 17:00, 2 working hours: 1 h on Wednesday, then Thursday and Friday are holidays.
    assert rules.add_time(sh(2026, 9, 30, 17, 0), 2, calendar=CAL) == sh(2026, 10, 5, 10, 0)


def test_make_up_saturday_counts_as_working_day():
    # Friday 9 Oct 17:00, 2 working hours: Saturday 10 Oct is a make-up working day (调休).
    assert rules.add_time(sh(2026, 10, 9, 17, 0), 2, calendar=CAL) == sh(2026, 10, 10, 10, 0)


def test_ordinary_saturday_is_not_a_working_day():
    assert rules.add_time(sh(2026, 3, 6, 17, 0), 2, calendar=CAL) == sh(2026, 3, 9, 10, 0)


def test_hold_inside_working_time_pushes_the_due_time():
    holds = [(sh(2026, 3, 2, 9, 30), sh(2026, 3, 2, 10, 30))]
    assert rules.add_time(sh(2026, 3, 2, 9, 0), 2, calendar=CAL, holds=holds) == sh(2026, 3, 2, 12, 0)


def test_hold_outside_working_time_changes_nothing():
    holds = [(sh(2026, 3, 2, 19, 0), sh(2026, 3, 2, 22, 0))]
    assert rules.add_time(sh(2026, 3, 2, 17, 0), 2, calendar=CAL, holds=holds) == sh(2026, 3, 3, 10, 0)


def test_clock_hold_pushes_by_its_length():
    holds = [(sh(2026, 3, 2, 12, 0), sh(2026, 3, 2, 15, 0))]
    assert rules.add_time(sh(2026, 3, 2, 10, 0), 4, holds=holds) == sh(2026, 3, 2, 17, 0)


def test_calendar_without_working_days_is_refused():
    empty = rules.Calendar.from_strings([["09:00", "18:00"]], [])
    with pytest.raises(ValueError):
        rules.add_time(sh(2026, 3, 2, 9, 0), 1, calendar=empty)


def test_hold_intervals_from_timeline():
    events = [("held", sh(2026, 3, 2, 10)), ("resumed", sh(2026, 3, 2, 11)), ("held", sh(2026, 3, 3, 9))]
    intervals, open_since = rules.hold_intervals(events)
    assert intervals == [(sh(2026, 3, 2, 10), sh(2026, 3, 2, 11))]
    assert open_since == sh(2026, 3, 3, 9)


def test_validate_intervals_rejects_overlap_and_reversal():
    assert rules.validate_intervals([["09:00", "12:00"], ["11:00", "13:00"]]) == ["intervals overlap"]
    assert rules.validate_intervals([["12:00", "09:00"]]) == ["interval ['12:00', '09:00'] ends before it starts"]
    assert rules.validate_intervals([["09:00", "12:00"], ["13:30", "18:00"]]) == []


def test_overdue_rules():
    past, future = NOW - timedelta(minutes=1), NOW + timedelta(minutes=1)
    assert rules.is_overdue(status="received", first_response_due=past, resolution_due=future, now=NOW)
    assert not rules.is_overdue(status="in_progress", first_response_due=past, resolution_due=future, now=NOW)
    assert rules.is_overdue(status="in_progress", first_response_due=past, resolution_due=past, now=NOW)
    assert not rules.is_overdue(status="on_hold", first_response_due=past, resolution_due=past, now=NOW)


def test_near_identical_text():
    a, b = rules.text_signature("3栋 电梯 经常故障！"), rules.text_signature("3栋电梯经常故障")
    assert rules.near_identical(a, b)
    assert not rules.near_identical(a, rules.text_signature("车位划线不清"))


def test_rates_are_none_without_a_denominator():
    assert rules.rate(0, 0) is None
    assert rules.rate(4, 5) == 0.8
