"""Panels this app adds to estates' customer and project pages (a fixed number of queries each)."""

from . import selectors

TIMELINE_LIMIT = 50


def customer_panel(request, customer) -> dict:
    contacts = list(selectors.contact_list(actor=request.user, customer=customer)[:TIMELINE_LIMIT])
    return {"contacts": contacts, "customer": customer}


def project_panel(request, project) -> dict:
    return {
        "coverage": selectors.project_coverage(project=project, stage=project.stage),
        "open_follow_ups": selectors.open_follow_up_count(actor=request.user, project=project),
        "project": project,
    }
