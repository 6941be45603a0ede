"""Fixtures of the defects tests: departments with heads, the SJ01 example from the seed."""

from datetime import date

import pytest

from defects import services
from defects.models import Defect, MeetingDecision, Tag
from estates.models import Role
from tests.factories import DepartmentFactory, UserFactory

from .factories import TagFactory

FEASIBLE = MeetingDecision.Feasibility.FEASIBLE


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The shared user factory hashes a password per user; PBKDF2 made each test's setup take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def engineering(db):
    return DepartmentFactory(code="engineering", name="工程管理部", name_en="Engineering")


@pytest.fixture
def design_dept(db):
    return DepartmentFactory(code="wanchuang", name="万创设计", name_en="Wanchuang design")


@pytest.fixture
def eng_head(project, engineering):
    return UserFactory(username="eng_head", first_name="王工", role=Role.DEPARTMENT_HEAD, department=engineering, projects=[project])


@pytest.fixture
def eng_staff(project, engineering):
    return UserFactory(username="eng_staff", first_name="李工", role=Role.PROJECT_MANAGER, department=engineering, projects=[project])


@pytest.fixture
def skylight_tags(db):
    return [
        TagFactory(kind=Tag.Kind.ELEMENT, name="天窗", name_en="Skylight"),
        TagFactory(kind=Tag.Kind.MATERIAL, name="木材", name_en="Timber"),
        TagFactory(kind=Tag.Kind.UNIT_TYPE, name="TA户型", name_en="TA unit"),
    ]


@pytest.fixture
def make_defect(staff, project, engineering, eng_staff):
    def make(**overrides):
        kwargs = {
            "actor": staff, "project": project, "title": "屋面天窗渗水", "description": "TA户型屋面天窗上盖进水",
            "source": Defect.Source.WARRANTY, "found_on": date(2026, 5, 1), "responsible_department": engineering,
            "owner": eng_staff, "households_affected": 56, "unit_types": "TA",
        }
        kwargs.update(overrides)
        return services.defect_create(**kwargs)

    return make


@pytest.fixture
def graded(make_defect, staff, project, eng_head):
    """Make a defect and grade it at a meeting the engineering head attends."""

    def make(grade="A", **overrides):
        defect = make_defect(**overrides)
        services.meeting_record(
            actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff, eng_head], minutes="评审纪要",
            decisions=[services.DecisionInput(defect=defect, grade=grade, construction_capacity=FEASIBLE,
                                              technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)],
        )
        defect.refresh_from_db()
        return defect

    return make
