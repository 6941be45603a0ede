"""Scope factories for the route matrix (tests/security/routes.py): each makes an object of
``project`` and returns the kwargs of the route that addresses it."""

from django.utils import timezone

from estates.models import Role
from tests.factories import UserFactory


def make_complaint(project) -> dict:
    from tests.complaints.factories import file_complaint

    return {"pk": file_complaint(project=project).pk}


def _action(name):
    def make(project) -> dict:
        return {**make_complaint(project), "action": name}

    return make


def make_case(project) -> dict:
    from complaints import services
    from tests.complaints.factories import file_complaint

    actor = UserFactory(role=Role.CR_MANAGER, projects=[project])
    complaint = file_complaint(project=project)
    case = services.case_write(
        complaint=complaint, actor=actor, title="渗水案例", background="背景", causes="原因", handling="处理", lessons="教训"
    )
    return {"pk": case.pk}


def make_cluster(project) -> dict:
    from complaints.models import GroupCluster

    now = timezone.now()
    cluster = GroupCluster.objects.create(project=project, category="construction_quality", first_at=now, last_at=now)
    return {"pk": cluster.pk}


API_ACTIONS = ("respond", "assign", "hold", "resume", "resolve", "revisit", "close", "reopen", "escalate", "set-severity")

FACTORIES = {
    "complaints:detail": make_complaint,
    "complaints:case-edit": make_complaint,
    "complaints:action": _action("respond"),
    "complaints:case": make_case,
    "complaints:cluster": make_cluster,
    "api-complaint-detail": make_complaint,
    **{f"api-complaint-{a}": make_complaint for a in API_ACTIONS},
}

# Routes that address no project-scoped object: the weekly report covers every project and is
# for the group centre and administrators only (404 for project staff, tested in tests/complaints).
UNSCOPED = {
    "complaints:report": "group-wide weekly report (group centre and administrators only)",
    "complaints:report-xlsx": "group-wide weekly report (group centre and administrators only)",
}
