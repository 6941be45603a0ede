"""Panels the defects app adds to pages other apps own (registered in DefectsConfig.ready)."""

from . import selectors


def project_panel_context(request, project) -> dict:
    """Three queries: the project's defect summary and its prevention progress."""
    return {
        "project": project,
        "summary": selectors.defect_project_summary(actor=request.user, project=project),
        "prevention_stage": project.stage in selectors.PREVENTION_STAGES,
    }
