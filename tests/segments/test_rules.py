"""Assignment rules on each segment's boundary, and the land-fit score (pure, no database)."""

import pytest

from segments import rules
from segments.fixtures.seed import LAND_NEEDS, RULES, TIANJIN_PARCEL

SEGMENT_IDS = {"affluent": 1, "education_first": 2, "health_elder": 3, "pragmatic": 4, "young_professional": 5}
CODES = {v: k for k, v in SEGMENT_IDS.items()}
SPECS = [
    rules.RuleSpec(
        id=priority,
        segment_id=SEGMENT_IDS[code],
        priority=priority,
        **{k: tuple(v) if isinstance(v, list) else v for k, v in cond.items()},
    )
    for priority, code, _name, cond in RULES
]


def segment(**facts):
    base = {"children_ages": (), "elderly": False, "income_band": "mid", "age_band": "30_44", "household_size": 3}
    match = rules.assign(rules.HouseholdFacts(**{**base, **facts}), SPECS)
    return CODES[match.segment_id] if match else None


# 望子成龙: a child aged 0–17
@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        ((0,), "education_first"),
        ((17,), "education_first"),
        ((18,), "young_professional"),
        ((25, 16), "education_first"),
    ],
)
def test_education_first_boundary_is_a_child_aged_0_to_17(ages, expected):
    assert segment(children_ages=ages) == expected


# 富贵之家: high income, tried before everything else
@pytest.mark.parametrize(("income", "expected"), [("high", "affluent"), ("mid", "education_first")])
def test_affluent_boundary_is_high_income_even_with_children(income, expected):
    assert segment(income_band=income, children_ages=(8,)) == expected


# 健康养老: elderly living in, or an empty nest aged 45+ with at most 2 people
@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"elderly": True}, "health_elder"),
        ({"elderly": False}, "young_professional"),
        ({"age_band": "45_59", "household_size": 2}, "health_elder"),
        ({"age_band": "45_59", "household_size": 3}, "pragmatic"),
        ({"age_band": "60_plus", "household_size": 1}, "health_elder"),
    ],
)
def test_health_elder_boundary(facts, expected):
    assert segment(**facts) == expected


# 务实之家: low income
@pytest.mark.parametrize(("income", "expected"), [("low", "pragmatic"), ("mid", "young_professional")])
def test_pragmatic_boundary_is_low_income(income, expected):
    assert segment(income_band=income, age_band="under_30") == expected


# 社会新锐: under 45 without children 0–17
@pytest.mark.parametrize(
    ("age", "expected"), [("under_30", "young_professional"), ("30_44", "young_professional"), ("45_59", "pragmatic")]
)
def test_young_professional_boundary_is_under_45(age, expected):
    assert segment(age_band=age, household_size=4) == expected


def test_a_customer_without_any_facts_is_unclassified():
    assert rules.assign(rules.HouseholdFacts(), SPECS) is None


def test_rules_are_tried_in_priority_order_not_list_order():
    assert segment(income_band="high", elderly=True) == "affluent"
    assert rules.assign(rules.HouseholdFacts(income_band="high"), list(reversed(SPECS))).priority == 10


def test_a_household_size_condition_never_matches_an_unknown_size():
    spec = rules.RuleSpec(id=1, segment_id=1, priority=1, household_size_max=2)
    assert rules.rule_matches(spec, rules.HouseholdFacts(age_band="45_59")) is False


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"child_age_min": 10, "child_age_max": 5}, {"child_age_max": ["child_age_order"]}),
        ({"child_age_max": 18}, {"child_age_max": ["child_age_range"]}),
        ({"household_size_min": 4, "household_size_max": 2}, {"household_size_max": ["household_order"]}),
        ({"household_size_min": 0}, {"household_size_min": ["household_positive"]}),
        ({"income_bands": ("rich",)}, {"income_bands": ["unknown_income_band"]}),
    ],
)
def test_impossible_rules_are_reported(fields, errors):
    spec = rules.RuleSpec(id=None, segment_id=1, priority=1, **fields)
    assert rules.rule_errors(spec, income_bands=["low", "mid", "high"], age_bands=["under_30"]) == errors


def test_the_seeds_tianjin_parcel_suits_young_professionals_best():
    fits = rules.parcel_fit(needs=LAND_NEEDS, present=TIANJIN_PARCEL)
    assert fits[0].segment == "young_professional"
    assert fits[0].score > fits[1].score
    assert set(fits[0].drivers) == set(TIANJIN_PARCEL)
    assert fits[0].gaps == ()


def test_fit_is_the_weighted_share_of_the_checklist():
    fits = rules.parcel_fit(needs={"a": {"x": 3, "y": 1}, "b": {"y": 2}}, present=["y"])
    assert [(f.segment, f.score, f.drivers, f.gaps) for f in fits] == [("b", 100.0, ("y",), ()), ("a", 25.0, ("y",), ("x",))]
