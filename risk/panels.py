"""The risk panel on estates' project page: milestone deviation and the project's risk state."""

from .selectors import milestone_deviations, risk_project_summary


def project_panel_context(request, project) -> dict:
    """Two queries: the summary aggregates reuse the page's project; milestones are already prefetched."""
    summary = risk_project_summary(actor=request.user, projects=[project]).get(project.pk)
    return {
        "risk_summary": summary,
        "risk_deviations": milestone_deviations(milestones=list(project.milestones.all())),
        "risk_project": project,
    }
