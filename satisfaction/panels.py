"""The satisfaction panel on estates' project page: three queries whatever the data."""

from .selectors import satisfaction_project_summary


def project_panel_context(request, project) -> dict:
    summary = satisfaction_project_summary(actor=request.user, projects=[project])
    return {"satisfaction": summary.get(project.pk), "project": project}
