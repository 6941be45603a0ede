"""Factories for complaints: filed through the service so that due times and events are real."""

from complaints import services
from tests.factories import BuildingFactory, UnitFactory


def file_complaint(*, project, actor=None, **overrides):
    values = {
        "channel": "online",
        "category": "construction_quality",
        "title": "卫生间渗水",
        "description": "主卧卫生间天花板渗水，已持续一周。",
    }
    values.update(overrides)
    return services.complaint_file(actor=actor, project=project, **values)


def unit_in(project, *, building=None, number=None):
    building = building or BuildingFactory(project=project)
    kwargs = {"building": building, "project": project}
    if number:
        kwargs["number"] = number
    return UnitFactory(**kwargs)
