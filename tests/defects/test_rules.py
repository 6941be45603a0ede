from datetime import date

import pytest

from defects import rules
from defects.models import Defect


@pytest.mark.parametrize(("series", "number", "code"), [("SJ", 1, "SJ01"), ("SJ", 12, "SJ12"), ("JF", 123, "JF123")])
def test_defect_code(series, number, code):
    assert rules.defect_code(series, number) == code


@pytest.mark.parametrize(("series", "valid"), [("SJ", True), ("ABCDEF", True), ("ABCDEFG", False), ("sj", False), ("S1", False), ("", False)])
def test_valid_series(series, valid):
    assert rules.valid_series(series) is valid


@pytest.mark.parametrize(("today", "levels"), [
    (date(2026, 6, 1), []),                              # due today: not late
    (date(2026, 6, 2), ["reminder"]),                    # one day late
    (date(2026, 6, 3), ["reminder"]),                    # two days late
    (date(2026, 6, 4), ["reminder", "escalation"]),      # three days late: the head is told
])
def test_chase_levels_at_the_boundaries(today, levels):
    assert rules.chase_levels(due_on=date(2026, 6, 1), today=today) == levels


def test_no_due_date_is_never_chased():
    assert rules.chase_levels(due_on=None, today=date(2030, 1, 1)) == []


def test_missing_heads_lists_absent_heads_per_department():
    assert rules.missing_heads(required={1: [10, 11], 2: [20]}, attendee_ids=[10, 20]) == {1: [11]}


def test_a_department_without_heads_is_missing():
    assert rules.missing_heads(required={3: []}, attendee_ids=[1, 2]) == {3: []}


def test_all_heads_present():
    assert rules.missing_heads(required={1: [10]}, attendee_ids=[10, 99]) == {}


@pytest.mark.parametrize(("days", "bucket"), [(0, 0), (30, 0), (31, 1), (90, 1), (91, 2), (4000, 2)])
def test_age_buckets(days, bucket):
    assert rules.age_bucket(days) == bucket


def test_transitions_reach_closed_from_every_open_status():
    reach = {Defect.Status.CLOSED}
    changed = True
    while changed:
        changed = False
        for source, targets in Defect.TRANSITIONS.items():
            if source not in reach and reach & set(targets):
                reach.add(source)
                changed = True
    assert reach == set(Defect.Status.values)


def test_verification_is_reachable_only_after_acceptance():
    sources = {s for s, targets in Defect.TRANSITIONS.items() if Defect.Status.VERIFIED in targets}
    assert sources == {Defect.Status.ACCEPTED}
