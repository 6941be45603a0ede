"""Adverse factors outside the site boundary (红线外不利因素) and their disclosure to buyers."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Project, User

from .. import rules
from ..models import AdverseFactor, AdverseFactorType, Disclosure, Event
from .checks import local_today, require_choice, require_text
from .events import event_record


@transaction.atomic
def factor_create(
    *, project: Project, factor_type: str, description: str, distance_m: int, direction: str, info_source: str, actor
) -> AdverseFactor:
    """Record an adverse factor near ``project``; it starts undisclosed.

    ``factor_type`` is a code from the seeded catalogue (e.g. "landfill"). Raises ValidationError for
    an unknown type, a distance that is not a positive whole number of metres, an unknown direction
    or a missing description / source (nothing written). Not idempotent.
    """
    ftype = AdverseFactorType.objects.filter(code=factor_type or "").first()
    if ftype is None:
        raise ValidationError({"factor_type": [_("Unknown adverse factor type “%(code)s”.") % {"code": factor_type}]})
    description = require_text("description", description)
    info_source = require_text("info_source", info_source)
    if not isinstance(distance_m, int) or isinstance(distance_m, bool) or distance_m <= 0:
        raise ValidationError({"distance_m": [_("Enter the distance in whole metres, greater than zero.")]})
    require_choice("direction", direction, AdverseFactor.Direction)
    factor = AdverseFactor.objects.create(
        project=project,
        factor_type=ftype,
        description=description,
        distance_m=distance_m,
        direction=direction,
        info_source=info_source[:200],
    )
    event_record(
        subject=Event.Subject.FACTOR,
        subject_id=factor.pk,
        project=project,
        kind="recorded",
        actor=actor,
        after={"type": ftype.code, "distance_m": distance_m, "direction": direction},
    )
    return factor


@transaction.atomic
def factor_disclose(*, factor: AdverseFactor, place: str, evidence: str, actor, disclosed_on: date | None = None) -> Disclosure:
    """Record that ``factor`` is disclosed at ``place`` (sales materials, contract annex, show-room board).

    Evidence is required (a photo number, a document and page). The first disclosure marks the
    factor disclosed; recording the same place again replaces its evidence (one row per place).
    Raises ValidationError for an unknown place, missing evidence or a date in the future.
    """
    require_choice("place", place, Disclosure.Place)
    evidence = require_text("evidence", evidence, _("Record the evidence of the disclosure."))
    disclosed_on = disclosed_on or local_today()
    if disclosed_on > local_today():
        raise ValidationError({"disclosed_on": [_("A disclosure cannot be dated in the future.")]})
    factor = AdverseFactor.objects.select_for_update().select_related("project").get(pk=factor.pk)
    disclosure, created = Disclosure.objects.update_or_create(
        factor=factor,
        place=place,
        defaults={"evidence": evidence, "disclosed_on": disclosed_on, "recorded_by": actor if isinstance(actor, User) else None},
    )
    event_record(
        subject=Event.Subject.FACTOR,
        subject_id=factor.pk,
        project=factor.project,
        kind="disclosed" if created else "disclosure_updated",
        actor=actor,
        after={"place": place, "disclosed_on": disclosed_on.isoformat()},
        detail=evidence,
    )
    if factor.status != AdverseFactor.Status.DISCLOSED:
        factor.status, factor.disclosed_at = AdverseFactor.Status.DISCLOSED, timezone.now()
        factor.save(update_fields=["status", "disclosed_at", "updated_at"])
        event_record(
            subject=Event.Subject.FACTOR,
            subject_id=factor.pk,
            project=factor.project,
            kind="status",
            actor=actor,
            before={"status": AdverseFactor.Status.UNDISCLOSED},
            after={"status": AdverseFactor.Status.DISCLOSED},
        )
    return disclosure


def project_sales_opening_blockers(project: Project) -> list[rules.Blocker]:
    """Why ``project`` may not open sales yet: every adverse factor must be disclosed first. Reads only."""
    names = [
        f"{f.factor_type.name} {f.distance_m} m"
        for f in AdverseFactor.objects.filter(project=project, status=AdverseFactor.Status.UNDISCLOSED).select_related(
            "factor_type"
        )
    ]
    return rules.sales_opening_blockers(undisclosed_factors=names)
