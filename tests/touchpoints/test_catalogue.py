"""The seeded catalogue (migration 0002): counts per stage and grade meet the issue's minimums."""

import pytest

from estates.models import Department, LifecycleStage
from touchpoints import selectors
from touchpoints.models import SensitivityPoint, Touchpoint

pytestmark = pytest.mark.django_db


def test_every_stage_has_at_least_eight_touchpoints():
    counts = selectors.catalogue_counts()
    assert {stage: counts[stage]["touchpoints"] >= 8 for stage in LifecycleStage.values} == dict.fromkeys(
        LifecycleStage.values, True
    )


def test_at_least_eighty_sensitivity_points_in_all():
    assert SensitivityPoint.objects.filter(is_active=True).count() >= 80


def test_every_stage_has_a_and_b_points():
    counts = selectors.catalogue_counts()
    assert all(counts[s]["A"] >= 1 and counts[s]["B"] >= 1 for s in LifecycleStage.values)


def test_counts_per_stage_and_grade_as_seeded():
    counts = selectors.catalogue_counts()
    assert counts["investment"] == {"touchpoints": 8, "A": 8, "B": 4, "C": 3}
    assert sum(c["A"] + c["B"] + c["C"] for c in counts.values()) == 96


def test_investment_touchpoints_follow_the_seed():
    names = set(Touchpoint.objects.filter(stage="investment").values_list("name", flat=True))
    assert {"项目所在区域", "配套设施", "规划条件", "市场政策", "供求关系"} <= names


def test_every_record_has_an_english_name_and_a_standard():
    assert not Touchpoint.objects.filter(name_en="").exists()
    assert not SensitivityPoint.objects.filter(name_en="").exists()
    assert not SensitivityPoint.objects.filter(standard="").exists()


def test_owning_departments_were_created_with_both_names():
    codes = set(Touchpoint.objects.values_list("department__code", flat=True))
    departments = Department.objects.filter(code__in=codes)
    assert departments.count() == len(codes) >= 6
    assert not departments.filter(name_en="").exists()
