"""SJ01 from the seed, end to end through the services: report → meeting → A path → handbook → prevention."""

from datetime import date
from decimal import Decimal

import pytest

from defects import selectors, services
from defects.models import Defect, HandbookEntry, MeetingDecision, PreventionChecklistItem, Tag
from estates.models import Role
from tests.factories import DepartmentFactory, ProjectFactory, UserFactory

from . import sj01

pytestmark = pytest.mark.django_db


def test_sj01_becomes_a_handbook_entry_in_a_new_projects_prevention_checklist():
    project = ProjectFactory(**sj01.PROJECT)
    wanchuang = DepartmentFactory(code="wanchuang", name="万创", name_en="Wanchuang design")
    cs = UserFactory(role=Role.CR_STAFF, projects=[project])
    head = UserFactory(role=Role.DEPARTMENT_HEAD, department=wanchuang, projects=[project])
    engineer = UserFactory(role=Role.PROJECT_MANAGER, department=wanchuang, projects=[project])
    tags = [Tag.objects.create(kind=k, name=n, name_en=e) for k, n, e in sj01.TAGS]

    defect = services.defect_create(
        actor=cs, project=project, title=sj01.TITLE, description=sj01.DESCRIPTION, source=Defect.Source.WARRANTY,
        found_on=sj01.FOUND_ON, unit_types=sj01.UNIT_TYPES, households_affected=sj01.HOUSEHOLDS, location="屋面天窗",
        cause_analysis=sj01.CAUSES, complaint_risk=True, responsible_department=wanchuang, owner=engineer, tags=tags,
    )
    assert defect.code == "SJ01"
    services.meeting_record(
        actor=cs, project=project, held_on=date(2006, 5, 15), attendees=[cs, head], minutes="天窗渗水专题评审",
        decisions=[services.DecisionInput(defect=defect, grade="A", construction_capacity=MeetingDecision.Feasibility.FEASIBLE,
                                          technical_feasibility=MeetingDecision.Feasibility.FEASIBLE,
                                          schedule_feasibility=MeetingDecision.Feasibility.LIMITED, due_on=date(2006, 7, 31))],
    )
    services.defect_draft_measures(defect=defect, actor=engineer, measures=sj01.MEASURES, prevention=sj01.PREVENTION)
    services.defect_complete_rectification(defect=defect, actor=engineer)
    services.defect_accept(defect=defect, actor=engineer)
    services.defect_verify(defect=defect, actor=cs)
    services.defect_record_cost(defect=defect, actor=cs, cost=Decimal("280000"))

    entry = HandbookEntry.objects.get()
    assert (entry.code, entry.title, entry.grade, entry.causes, entry.prevention, entry.responsible_departments) == (
        "SJ01", sj01.TITLE, "A", sj01.CAUSES, sj01.PREVENTION, "万创",
    )
    assert "56" in entry.impact and sj01.UNIT_TYPES in entry.impact
    assert list(selectors.handbook_list(actor=cs, search="天然木材")) == [entry]

    new = ProjectFactory(**sj01.NEW_PROJECT)
    designer = UserFactory(role=Role.DEPARTMENT_HEAD, department=wanchuang, projects=[new])
    services.project_tags_set(project=new, actor=designer, tags=[tags[0], tags[1]])
    item = PreventionChecklistItem.objects.get(project=new)
    assert item.entry == entry
    services.prevention_item_tick(item=item, actor=designer, status="applied", evidence="天窗节点图 A-301：铝合金天窗，无木构件")
    summary = selectors.defect_project_summary(actor=designer, project=new)
    assert summary["prevention"] == {"total": 1, "applied": 1, "not_applicable": 0, "open": 0}
