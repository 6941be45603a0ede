"""Editable, versioned checklist templates. A version used by a review is frozen."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from estates.models import Department
from estates.workflow import AuthorityExceeded, InvalidTransition

from .. import rules
from ..models import ChecklistItem, ChecklistTemplate, Event
from .checks import require_text
from .events import event_record


def _require_editor(actor) -> None:
    if not rules.can_edit_templates(role=getattr(actor, "role", None), is_superuser=getattr(actor, "is_superuser", False)):
        raise AuthorityExceeded(_("Only customer-relations managers and the group centre may change checklists."))


@transaction.atomic
def checklist_template_new_version(*, template: ChecklistTemplate, actor, notes: str = "") -> ChecklistTemplate:
    """Copy ``template`` with its items into the next version and make that one current.

    Reviews keep the version they were made with. Raises AuthorityExceeded for anyone but CR
    managers and the group centre (rules.can_edit_templates), InvalidTransition when ``template`` is
    not the current version (only the current one is copied, so versions form a line).
    """
    _require_editor(actor)
    template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if not template.is_current:
        raise InvalidTransition(_("Only the current version can be copied into a new version."))
    last = ChecklistTemplate.objects.filter(kind=template.kind).order_by("-version").values_list("version", flat=True).first()
    ChecklistTemplate.objects.filter(pk=template.pk).update(is_current=False)
    new = ChecklistTemplate.objects.create(
        kind=template.kind, version=last + 1, name=template.name, name_en=template.name_en, notes=notes or "", is_current=True
    )
    for item in template.items.prefetch_related("participating_departments"):
        copy = ChecklistItem.objects.create(
            template=new,
            order=item.order,
            name=item.name,
            name_en=item.name_en,
            guidance=item.guidance,
            guidance_en=item.guidance_en,
            lead_department_id=item.lead_department_id,
        )
        copy.participating_departments.set(item.participating_departments.all())
    event_record(
        subject=Event.Subject.TEMPLATE,
        subject_id=new.pk,
        project=None,
        kind="new_version",
        actor=actor,
        before={"version": template.version},
        after={"version": new.version},
        detail=notes or "",
    )
    return new


@transaction.atomic
def checklist_item_update(
    *,
    item: ChecklistItem,
    actor,
    name: str,
    guidance: str,
    lead_department: Department,
    participating_departments: list[Department],
    name_en: str = "",
    guidance_en: str = "",
) -> ChecklistItem:
    """Edit an item of the current version while no review uses it; otherwise make a new version first.

    Raises AuthorityExceeded as above, InvalidTransition for a frozen version, ValidationError for an empty name.
    """
    _require_editor(actor)
    name = require_text("name", name)
    item = ChecklistItem.objects.select_for_update().select_related("template").get(pk=item.pk)
    template = item.template
    if not template.is_current or template.reviews.exists():
        raise InvalidTransition(_("This template version is in use by a review; create a new version to edit it."))
    before = {"name": item.name, "guidance": item.guidance, "lead_department": item.lead_department_id}
    item.name, item.name_en, item.guidance, item.guidance_en = name, name_en or "", guidance or "", guidance_en or ""
    item.lead_department = lead_department
    item.save(update_fields=["name", "name_en", "guidance", "guidance_en", "lead_department"])
    item.participating_departments.set(participating_departments)
    event_record(
        subject=Event.Subject.TEMPLATE,
        subject_id=template.pk,
        project=None,
        kind="item_updated",
        actor=actor,
        before=before,
        after={"name": item.name, "guidance": item.guidance, "lead_department": lead_department.pk},
    )
    return item
