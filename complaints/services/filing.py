"""Filing a complaint: validation, severity, due times, reference, cluster."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Contract, Customer, Department, Project, Unit, User

from .. import clusters, escalation, rules, sla
from ..models import (
    CATEGORY_VALUES,
    CHANNEL_VALUES,
    DESCRIPTION_MAX,
    MAX_COMPLAINANTS,
    TITLE_MAX,
    Complaint,
)
from .common import (
    Event,
    _text,
    event_record,
)

# --- Filing ----------------------------------------------------------------------------------------


def _validate_filing(
    *, project, unit, channel, category, title, description, complainant_count, customer, contact_name, contact_phone
) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, value, max_length in (("title", title, TITLE_MAX), ("description", description, DESCRIPTION_MAX)):
        try:
            cleaned[name] = _text(value, field=name, max_length=max_length)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if channel not in CHANNEL_VALUES:
        errors["channel"] = [_("Unknown channel.")]
    if category not in CATEGORY_VALUES:
        errors["category"] = [_("Unknown category.")]
    if (
        not isinstance(complainant_count, int)
        or isinstance(complainant_count, bool)
        or not 1 <= complainant_count <= MAX_COMPLAINANTS
    ):
        errors["complainant_count"] = [_("Between 1 and %(n)s.") % {"n": MAX_COMPLAINANTS}]
    if project is None:
        errors["project"] = [_("This field is required.")]
    if unit is not None and project is not None and unit.project_id != project.pk:
        errors["unit"] = [_("The unit belongs to another project.")]
    if customer is not None and project is not None:
        # Another project's owner, even for a caller who may see both: the complaint would carry (and show
        # this project's staff) the other project's customer. A customer of no project yet is allowed.
        owns_in = set(Contract.objects.filter(customers=customer).values_list("project_id", flat=True))
        if owns_in and project.pk not in owns_in:
            errors["customer"] = [_("The customer holds no contract in this project.")]
    if len(contact_name or "") > 100:
        errors["contact_name"] = [_("At most %(n)s characters.") % {"n": 100}]
    if len(contact_phone or "") > 20:
        errors["contact_phone"] = [_("At most %(n)s characters.") % {"n": 20}]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def complaint_file(
    *,
    actor,
    project: Project,
    channel: str,
    category: str,
    title: str,
    description: str,
    unit: Unit | None = None,
    customer: Customer | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    complainant_count: int = 1,
    lawsuit_filed: bool = False,
    media_exposed: bool = False,
    legal_or_media_risk: bool = False,
    needs_outside_help: bool = False,
    motive: str = "",
    occurred_at: datetime | None = None,
    assignee: User | None = None,
    department: Department | None = None,
    repeat_of: Complaint | None = None,
    complainants=(),
) -> Complaint:
    """File a complaint: severity from the tier rules, due times from the SLA policy, a
    reference, a "filed" event, cluster membership (which may raise it and its siblings).

    Not idempotent by itself (every call files one complaint): API callers send an
    Idempotency-Key. Raises ValidationError for bad input and writes nothing then.
    """
    cleaned = _validate_filing(
        project=project,
        unit=unit,
        channel=channel,
        category=category,
        title=title,
        description=description,
        complainant_count=complainant_count,
        customer=customer,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    now = timezone.now()
    facts = rules.TierFacts(
        lawsuit_filed=lawsuit_filed,
        media_exposed=media_exposed,
        legal_or_media_risk=legal_or_media_risk,
        complainant_count=complainant_count,
        repeat=repeat_of is not None,
        needs_outside_help=needs_outside_help,
    )
    decision = rules.severity_for(facts, now=now)
    complaint = Complaint(
        project=project,
        unit=unit,
        building_id=unit.building_id if unit else None,
        customer=customer,
        contact_name=contact_name or (customer.name if customer else ""),
        contact_phone=contact_phone or (customer.phone if customer else ""),
        complainant_count=complainant_count,
        channel=channel,
        category=category,
        title=cleaned["title"],
        description=cleaned["description"],
        severity=decision.severity,
        lawsuit_filed=lawsuit_filed,
        media_exposed=media_exposed,
        legal_or_media_risk=legal_or_media_risk,
        needs_outside_help=needs_outside_help,
        motive=motive or "",
        occurred_at=occurred_at or now,
        assignee=assignee,
        department=department,
        repeat_of=repeat_of,
    )
    complaint.save()
    # Reference, complainant key and due times are written by the cluster step's one UPDATE.
    complaint.reference = f"TS{timezone.localtime(complaint.created_at):%y%m%d}-{complaint.pk:06d}"
    complaint.complainant_key = (
        rules.complainant_key(customer_id=customer.pk if customer else None, phone=contact_phone, name=contact_name)
        or f"anon:{complaint.pk}"
    )
    sla.apply_due_times(complaint, book=sla.SlaBook.cached(), holds=[])
    if complainants:
        complaint.complainants.set(complainants)
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.FILED,
        at=complaint.created_at,
        after={"severity": complaint.severity_code, "status": complaint.status, "reasons": list(decision.reasons)},
        detail=complaint.title,
    )
    cluster = clusters.cluster_attach(
        complaint=complaint,
        now=now,
        also_write=("reference", "complainant_key", "policy", "first_response_due", "resolution_due", "hot_at", "major_at"),
    )
    if rules.cluster_severity(cluster.complainant_count) > complaint.severity:
        complaint.refresh_from_db()  # the cluster raised it (and its siblings)
    escalation.notify_filed(complaint=complaint)
    return complaint
