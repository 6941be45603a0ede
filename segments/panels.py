"""The segment panel on estates' customer page (a fixed number of queries)."""

from . import selectors, services
from .forms import OverrideForm


def customer_panel(request, customer) -> dict:
    _customer, assignment = selectors.customer_segment_get(actor=request.user, customer_pk=customer.pk)
    can_override = services.can_override(request.user)
    return {
        "customer": customer,
        "assignment": assignment,
        "events": selectors.segment_events(customer=customer, limit=5),
        "can_override": can_override,
        "override_form": OverrideForm(initial={"segment": assignment.segment_id if assignment else None})
        if can_override
        else None,
    }
