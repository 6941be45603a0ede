import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from crm_site.dashboards import periods, rules
from estates.models import Milestone

ORDER = Milestone.ORDER


def stone(kind, planned, actual=None):
    return SimpleNamespace(kind=kind, planned_on=planned, actual_on=actual)


def test_ratio_is_none_without_a_denominator():
    assert rules.ratio(0, 0) is None


def test_ratio_rounds_to_one_decimal():
    assert rules.ratio(2, 3) == Decimal("66.7")


@pytest.mark.parametrize(("value", "expected"), [(Decimal("80.0"), False), (Decimal("80.1"), True)])
def test_satisfaction_must_be_strictly_above_80(value, expected):
    assert rules.meets(value, 80, "gt") is expected


@pytest.mark.parametrize(("value", "expected"), [(Decimal("89.9"), False), (Decimal("90.0"), True)])
def test_on_time_meets_at_exactly_90(value, expected):
    assert rules.meets(value, 90, "gte") is expected


def test_at_most_target_is_met_at_the_target():
    assert rules.meets(50, 50, "lte") is True
    assert rules.meets(51, 50, "lte") is False


def test_unmeasured_kpi_is_neither_met_nor_missed():
    assert rules.meets(None, 80, "gt") is None


def test_deviation_is_actual_minus_planned_over_planned_duration():
    land = dt.date(2025, 1, 1)
    devs = rules.milestone_deviations(
        [stone("land", land, land), stone("sales_opening", land + dt.timedelta(days=100), land + dt.timedelta(days=120))],
        order=ORDER, today=dt.date(2026, 1, 1))
    assert devs[1].percent == Decimal("20.0")
    assert devs[1].late_days == 20
    assert devs[1].abnormal is True


@pytest.mark.parametrize(("late", "abnormal"), [(10, False), (11, True), (-10, False), (-11, True)])
def test_deviation_is_abnormal_only_beyond_ten_percent(late, abnormal):
    land = dt.date(2025, 1, 1)
    devs = rules.milestone_deviations(
        [stone("land", land, land), stone("handover", land + dt.timedelta(days=100), land + dt.timedelta(days=100 + late))],
        order=ORDER, today=dt.date(2027, 1, 1))
    assert devs[1].abnormal is abnormal


def test_unreached_milestone_past_its_date_is_measured_to_today():
    land = dt.date(2025, 1, 1)
    devs = rules.milestone_deviations(
        [stone("land", land, land), stone("topping_out", land + dt.timedelta(days=200))],
        order=ORDER, today=land + dt.timedelta(days=250))
    assert devs[1].percent == Decimal("25.0")
    assert devs[1].late_days == 50


def test_future_milestone_has_no_deviation_yet():
    land = dt.date(2025, 1, 1)
    devs = rules.milestone_deviations([stone("land", land, land), stone("handover", dt.date(2030, 1, 1))],
                                      order=ORDER, today=dt.date(2026, 1, 1))
    assert devs[1].percent is None
    assert devs[1].abnormal is False


def test_unknown_period_falls_back_to_the_default():
    period = periods.resolve("nonsense", today=dt.date(2026, 11, 23))
    assert period.key == periods.DEFAULT
    assert period.end == dt.date(2026, 11, 23)
    assert period.days == 90


def test_last_month_period_covers_the_whole_previous_month():
    period = periods.resolve("prev", today=dt.date(2026, 3, 15))
    assert (period.start, period.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_week_starts_are_mondays_covering_the_period():
    weeks = periods.week_starts(periods.Period(key="x", start=dt.date(2026, 11, 4), end=dt.date(2026, 11, 23)))
    assert weeks == [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)]
