"""Scope factories for the route matrix (tests/security/routes.py): make(project) -> url kwargs.

Not registered yet (test_every_object_route_has_a_scope_factory names them): the routes that
address a scorecard measure or a stored monthly report (they need those objects' factories), and
scorecard-edit (CR staff get 403 on their own project: the matrix needs a caller with the right role).
"""


def make_project(project) -> dict:
    return {"code": project.code}


FACTORIES = {
    "dashboards:project-dashboard": make_project,
    "dashboards:project-export": make_project,
    "dashboards:scorecard": make_project,
    "dashboards:scorecard-seed": make_project,
    "dashboards:report-list": make_project,
    "dashboards:report-build": make_project,
}
