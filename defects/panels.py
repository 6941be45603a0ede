"""Panels the defects app adds to pages other apps own (registered in DefectsConfig.ready)."""

from . import selectors


def project_panel_context(request, project) -> dict:
    """Three queries: the project's defect summary and its prevention progress."""
    return {
        "project": project,
        "summary": selectors.defect_project_summary(actor=request.user, project=project),
        "prevention_stage": project.stage in selectors.PREVENTION_STAGES,
    }


def complaint_panel_context(request, complaint) -> dict:
    """The complaint page's list of the defects it revealed (one query).

    Registered in DefectsConfig.ready(); the complaint page renders the "complaint" panels.
    adds ``{% for panel in panels %}{% include panel.template with panel=panel %}{% endfor %}`` with
    ``panels.render_context("complaint", request, complaint)``, and DefectsConfig.ready() registers
    ``panels.register("complaint", template="defects/_complaint_panel.html", context=complaint_panel_context)``.
    """
    return {"complaint": complaint, "defects": selectors.defects_for_complaint(actor=request.user, complaint=complaint)}
