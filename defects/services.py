"""Every write of the defects app. Transactions start here; statuses change only here.

Each workflow service locks the defect row, returns early when the defect already is in the
target state (double clicks and retries are harmless), checks ``Defect.TRANSITIONS``, saves with
``update_fields`` and writes a ``DefectEvent`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.access import project_in_scope
from estates.models import Department, Project, Role, Unit, User
from estates.notifications import notify
from estates.workflow import AuthorityExceeded, InvalidTransition

from . import photos, rules, selectors
from .models import (
    Defect,
    DefectChase,
    DefectEvent,
    DefectPhoto,
    HandbookEntry,
    MeetingDecision,
    PreventionChecklistItem,
    ProjectTag,
    ReviewMeeting,
    Tag,
)

S = Defect.Status
# Verification belongs to the customer-service centre (客服中心验证).
VERIFIER_ROLES = frozenset({Role.CR_STAFF, Role.CR_MANAGER, Role.GROUP_CENTRE, Role.ADMIN})


def event_record(*, defect: Defect, actor: User | None, kind: str, before: str = "", after: str = "", detail: str = "") -> DefectEvent:
    return DefectEvent.objects.create(
        defect=defect, actor=actor if isinstance(actor, User) else None, kind=kind, status_before=before,
        status_after=after, detail=detail,
    )


def _locked(defect: Defect) -> Defect:
    return Defect.objects.select_for_update().get(pk=defect.pk)


def _move(defect: Defect, *, actor, target: str, action: str, kind: str, detail: str = "", fields: Sequence[str] = ()) -> Defect:
    """Check the table, set the status (and ``fields`` already set on ``defect``), write the event."""
    before = defect.status
    defect.require_transition(target, action=action)
    defect.status = target
    defect.save(update_fields=["status", *fields, "updated_at"])
    event_record(defect=defect, actor=actor, kind=kind, before=before, after=target, detail=detail)
    return defect


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


# ---------------------------------------------------------------- reporting


@transaction.atomic
def defect_create(
    *, actor, project: Project, title: str, description: str, source: str, found_on: date, series: str = "SJ",
    units: Iterable[Unit] = (), unit_types: str = "", location: str = "", cause_analysis: str = "",
    households_affected: int = 0, safety_risk: bool = False, complaint_risk: bool = False,
    estimated_loss: Decimal | None = None, responsible_department: Department | None = None, owner: User | None = None,
    due_on: date | None = None, tags: Iterable[Tag] = (), source_complaint=None,
) -> Defect:
    """File a defect report with the next code of its series in the project (SJ01, SJ02...).

    ``source_complaint`` (a complaints.Complaint of the same project, resolved through scope by
    the caller) links the defect to the owner complaint it came from; the source is then "complaint".

    Not idempotent by itself (the API's Idempotency-Key covers retries). Raises ValidationError
    for bad input (nothing written) and PermissionDenied-free: the caller resolved ``project``
    through scope. Two reports at once get different numbers (unique constraint + retry).
    """
    errors: dict[str, list[str]] = {}
    series = (series or "SJ").strip().upper()
    if not rules.valid_series(series):
        errors["series"] = [_("Use one to six capital letters, e.g. SJ.")]
    if source not in Defect.Source.values:
        errors["source"] = [_("Choose a valid source.")]
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if not (description or "").strip():
        errors["description"] = [_("This field is required.")]
    if due_on is not None and found_on is not None and due_on < found_on:
        errors["due_on"] = [_("The due date cannot be before the date found.")]
    if found_on is not None and found_on > timezone.localdate():
        errors["found_on"] = [_("The date found cannot be in the future.")]
    units = list(units)
    if any(u.project_id != project.pk for u in units):
        errors["units"] = [_("Every unit must belong to the project.")]
    if owner is not None and not project_in_scope(owner, project):
        errors["owner"] = [_("The responsible person does not work on this project.")]
    if source_complaint is not None:
        if source_complaint.project_id != project.pk:
            errors["source_complaint"] = [_("The complaint belongs to another project.")]
        source = Defect.Source.COMPLAINT
    if households_affected is not None and households_affected < 0:
        errors["households_affected"] = [_("Enter a number of zero or more.")]
    if estimated_loss is not None and estimated_loss < 0:
        errors["estimated_loss"] = [_("Enter an amount of zero or more.")]
    if errors:
        raise ValidationError(errors)

    for attempt in range(5):
        number = (Defect.objects.filter(project=project, series=series).aggregate(n=Max("number"))["n"] or 0) + 1
        defect = Defect(
            project=project, series=series, number=number, code=rules.defect_code(series, number), title=title.strip(),
            description=description.strip(), source=source, unit_types=unit_types.strip(), location=location.strip(),
            cause_analysis=cause_analysis.strip(), households_affected=households_affected or 0, safety_risk=safety_risk,
            complaint_risk=complaint_risk, estimated_loss=estimated_loss, responsible_department=responsible_department,
            owner=owner, found_on=found_on, due_on=due_on, created_by=actor if isinstance(actor, User) else None,
            source_complaint=source_complaint,
        )
        try:
            with transaction.atomic():
                defect.save()
            break
        except IntegrityError:
            if attempt == 4:
                raise
    if units:
        defect.units.set(units)
    tags = list(tags)
    if tags:
        defect.tags.set(tags)
    event_record(defect=defect, actor=actor, kind=DefectEvent.Kind.CREATED, after=defect.status, detail=defect.get_source_display())
    if source_complaint is not None:
        event_record(defect=defect, actor=actor, kind=DefectEvent.Kind.COMPLAINT_LINKED,
                     detail=source_complaint.reference or str(source_complaint.pk))
    return defect


def defect_create_from_complaint(*, actor, complaint, title: str = "", description: str = "", found_on: date | None = None,
                                 **fields) -> Defect:
    """File the defect an owner complaint revealed: project, unit, text and date default from the complaint.

    ``fields`` are the other keyword arguments of ``defect_create``. Not idempotent (a complaint
    may reveal several defects); raises ValidationError like ``defect_create``.
    """
    units = fields.pop("units", None)
    if units is None:
        units = [complaint.unit] if complaint.unit_id else []
    return defect_create(
        actor=actor, project=complaint.project, source=Defect.Source.COMPLAINT, source_complaint=complaint,
        title=title or complaint.title, description=description or complaint.description,
        found_on=found_on or timezone.localtime(complaint.created_at).date(), units=units, **fields,
    )


@transaction.atomic
def defects_create_from_inspection(*, actor, project: Project, source: str, found_on: date, rows: Sequence[dict]) -> list[Defect]:
    """Create one defect per finding of a handover or mock inspection, all or nothing.

    Each row holds ``title``, ``description`` and optionally ``location``, ``unit`` (a Unit of the
    project), ``responsible_department``, ``due_on``. Raises ValidationError naming the row.
    """
    if source not in (Defect.Source.MOCK_INSPECTION, Defect.Source.HANDOVER):
        raise ValidationError({"source": [_("Bulk entry is for handover and mock inspections.")]})
    if not rows:
        raise ValidationError({"rows": [_("Enter at least one finding.")]})
    created = []
    for index, row in enumerate(rows, start=1):
        unit = row.get("unit")
        try:
            created.append(
                defect_create(
                    actor=actor, project=project, source=source, found_on=found_on, title=row.get("title", ""),
                    description=row.get("description", ""), location=row.get("location", ""),
                    units=[unit] if unit else [], unit_types=unit.unit_type if unit else "",
                    responsible_department=row.get("responsible_department"), due_on=row.get("due_on"), households_affected=1 if unit else 0,
                )
            )
        except ValidationError as exc:
            raise ValidationError({"rows": [_("Row %(n)s: %(errors)s") % {"n": index, "errors": "; ".join(exc.messages)}]}) from None
    return created


@transaction.atomic
def defect_update(*, defect: Defect, actor, tags: Iterable[Tag] | None = None, **fields) -> Defect:
    """Edit the report's facts (not its status or grade); writes an UPDATED event naming the fields.

    Allowed fields: title, description, location, unit_types, cause_analysis, households_affected,
    safety_risk, complaint_risk, estimated_loss, responsible_department, owner, due_on.
    No event and no write when nothing changed.
    """
    allowed = {
        "title", "description", "location", "unit_types", "cause_analysis", "households_affected", "safety_risk",
        "complaint_risk", "estimated_loss", "responsible_department", "owner", "due_on",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"defect_update does not change {sorted(unknown)}")
    defect = _locked(defect)
    if defect.status == S.CLOSED:
        raise InvalidTransition(_("A closed defect cannot be edited."))
    if "due_on" in fields and fields["due_on"] is not None and fields["due_on"] < defect.found_on:
        raise ValidationError({"due_on": [_("The due date cannot be before the date found.")]})
    if fields.get("owner") is not None and not project_in_scope(fields["owner"], defect.project):
        raise ValidationError({"owner": [_("The responsible person does not work on this project.")]})
    changed = [name for name, value in fields.items() if getattr(defect, name) != value]
    for name in changed:
        setattr(defect, name, fields[name])
    if changed:
        defect.save(update_fields=[*changed, "updated_at"])
    tag_changed = False
    if tags is not None:
        tags = list(tags)
        if {t.pk for t in tags} != set(defect.tags.values_list("pk", flat=True)):
            defect.tags.set(tags)
            tag_changed = True
    if changed or tag_changed:
        names = [str(Defect._meta.get_field(n).verbose_name) for n in changed] + ([str(_("tags"))] if tag_changed else [])
        event_record(defect=defect, actor=actor, kind=DefectEvent.Kind.UPDATED, detail="、".join(names))
    return defect


@transaction.atomic
def defect_submit_for_review(*, defect: Defect, actor) -> Defect:
    """Put the defect on the review agenda: reported → under_review. Repeating is a no-op."""
    defect = _locked(defect)
    if defect.status == S.UNDER_REVIEW:
        return defect
    if defect.responsible_department_id is None:
        raise ValidationError({"responsible_department": [_("Name the responsible department before the review.")]})
    return _move(defect, actor=actor, target=S.UNDER_REVIEW, action=_("Submit for review"), kind=DefectEvent.Kind.SUBMITTED)


# ---------------------------------------------------------------- review meeting


@dataclass(frozen=True)
class DecisionInput:
    defect: Defect
    grade: str
    construction_capacity: str
    technical_feasibility: str
    schedule_feasibility: str
    main_problems: str = ""
    decision: str = ""
    due_on: date | None = None


@transaction.atomic
def meeting_record(
    *, actor, project: Project, held_on: date, attendees: Iterable[User], minutes: str, decisions: Sequence[DecisionInput]
) -> ReviewMeeting:
    """Record a review meeting and grade each defect it decided (→ graded, A or B).

    The heads of every responsible department (users with role department_head of that
    department, working on the project) must be among the attendees, or nothing is recorded.
    Defects must belong to ``project`` and wait for review (reported or under_review).
    Raises ValidationError (nothing written) or InvalidTransition. Not idempotent: a second call
    records a second meeting, and then fails because the defects are already graded.
    """
    attendees = list({u.pk: u for u in attendees}.values())
    errors: dict[str, list[str]] = {}
    if not (minutes or "").strip():
        errors["minutes"] = [_("Write the minutes.")]
    if held_on is None or held_on > timezone.localdate():
        errors["held_on"] = [_("The meeting date cannot be in the future.")]
    if not decisions:
        errors["decisions"] = [_("Decide on at least one defect.")]
    seen = set()
    for d in decisions:
        if d.defect.project_id != project.pk:
            errors.setdefault("decisions", []).append(_("%(code)s belongs to another project.") % {"code": d.defect.code})
        if d.defect.pk in seen:
            errors.setdefault("decisions", []).append(_("%(code)s is listed twice.") % {"code": d.defect.code})
        seen.add(d.defect.pk)
        if d.grade not in Defect.Grade.values:
            errors.setdefault("grade", []).append(_("The grade must be A or B."))
        for value in (d.construction_capacity, d.technical_feasibility, d.schedule_feasibility):
            if value not in MeetingDecision.Feasibility.values:
                errors.setdefault("feasibility", []).append(_("Assess construction capacity, technical feasibility and schedule."))
                break
        if d.defect.responsible_department_id is None:
            errors.setdefault("decisions", []).append(
                _("%(code)s has no responsible department.") % {"code": d.defect.code}
            )
    if errors:
        raise ValidationError(errors)

    dept_ids = {d.defect.responsible_department_id for d in decisions}
    required: dict[int, list[int]] = {dept_id: [] for dept_id in dept_ids}
    heads = list(selectors.department_heads(project=project, department_ids=dept_ids))
    for head in heads:
        required[head.department_id].append(head.pk)
    missing = rules.missing_heads(required=required, attendee_ids=[u.pk for u in attendees])
    if missing:
        departments = {d.pk: d for d in Department.objects.filter(pk__in=missing)}
        names = {h.pk: h.display_name for h in heads}
        messages = []
        for dept_id, absent in missing.items():
            dept = departments[dept_id].name
            if absent:
                messages.append(_("Head of %(dept)s absent: %(names)s.") % {"dept": dept, "names": "、".join(names[a] for a in absent)})
            else:
                messages.append(_("%(dept)s has no department head on this project.") % {"dept": dept})
        raise ValidationError({"attendees": messages})

    meeting = ReviewMeeting.objects.create(project=project, held_on=held_on, minutes=minutes.strip(),
                                           recorded_by=actor if isinstance(actor, User) else None)
    meeting.attendees.set(attendees)
    # Lock in a fixed order (pk) so two meetings on overlapping defects cannot deadlock.
    for d in sorted(decisions, key=lambda x: x.defect.pk):
        defect = _locked(d.defect)
        if defect.status == S.REPORTED:
            _move(defect, actor=actor, target=S.UNDER_REVIEW, action=_("Review"), kind=DefectEvent.Kind.SUBMITTED)
        MeetingDecision.objects.create(
            meeting=meeting, defect=defect, grade=d.grade, main_problems=d.main_problems.strip(),
            construction_capacity=d.construction_capacity, technical_feasibility=d.technical_feasibility,
            schedule_feasibility=d.schedule_feasibility, decision=d.decision.strip(),
        )
        defect.grade = d.grade
        fields = ["grade"]
        if d.due_on is not None:
            defect.due_on = d.due_on
            fields.append("due_on")
        if d.main_problems.strip() and not defect.cause_analysis:
            defect.cause_analysis = d.main_problems.strip()
            fields.append("cause_analysis")
        detail = _("Grade %(grade)s at the meeting of %(date)s.") % {"grade": d.grade, "date": held_on.isoformat()}
        _move(defect, actor=actor, target=S.GRADED, action=_("Grade"), kind=DefectEvent.Kind.GRADED, detail=detail, fields=fields)
    return meeting


# ---------------------------------------------------------------- A and B paths


@transaction.atomic
def defect_draft_measures(*, defect: Defect, actor, measures: str, prevention: str, due_on: date | None = None) -> Defect:
    """The responsible department drafts its rectification and prevention measures.

    Grade A: graded → rectifying (the rectification clock runs to ``due_on``).
    Grade B: the measures are recorded and the defect stays graded until reported to the GM office.
    Repeating on an A defect already rectifying is a no-op. Raises ValidationError, InvalidTransition.
    """
    measures = _require_text(measures, "measures", _("Describe the rectification measures."))
    prevention = _require_text(prevention, "prevention", _("Describe how the defect is prevented in later projects."))
    defect = _locked(defect)
    if defect.grade == Defect.Grade.A and defect.status == S.RECTIFYING and defect.measures == measures:
        return defect
    if defect.status != S.GRADED:
        raise InvalidTransition(_("Measures are drafted once the review meeting has graded the defect."))
    if due_on is not None and due_on < defect.found_on:
        raise ValidationError({"due_on": [_("The due date cannot be before the date found.")]})
    defect.measures, defect.prevention = measures, prevention
    fields = ["measures", "prevention"]
    if due_on is not None:
        defect.due_on = due_on
        fields.append("due_on")
    if defect.grade == Defect.Grade.A:
        return _move(defect, actor=actor, target=S.RECTIFYING, action=_("Draft measures"),
                     kind=DefectEvent.Kind.MEASURES_DRAFTED, detail=measures, fields=fields)
    defect.save(update_fields=[*fields, "updated_at"])
    event_record(defect=defect, actor=actor, kind=DefectEvent.Kind.MEASURES_DRAFTED, before=defect.status, after=defect.status, detail=measures)
    return defect


@transaction.atomic
def defect_complete_rectification(*, defect: Defect, actor, note: str = "") -> Defect:
    """A path: the department reports the work done; rectifying → awaiting_acceptance. No-op if already there."""
    defect = _locked(defect)
    if defect.status == S.AWAITING_ACCEPTANCE:
        return defect
    defect.rectified_at = timezone.now()
    return _move(defect, actor=actor, target=S.AWAITING_ACCEPTANCE, action=_("Complete rectification"),
                 kind=DefectEvent.Kind.RECTIFIED, detail=note.strip(), fields=["rectified_at"])


@transaction.atomic
def defect_accept(*, defect: Defect, actor, note: str = "") -> Defect:
    """A path: the responsible department accepts its own work; awaiting_acceptance → accepted."""
    defect = _locked(defect)
    if defect.status == S.ACCEPTED:
        return defect
    return _move(defect, actor=actor, target=S.ACCEPTED, action=_("Accept"), kind=DefectEvent.Kind.ACCEPTED, detail=note.strip())


@transaction.atomic
def defect_refuse_acceptance(*, defect: Defect, actor, reason: str) -> Defect:
    """A path: the department refuses its own work; awaiting_acceptance → rectifying, with a reason."""
    reason = _require_text(reason, "reason", _("Give the reason."))
    defect = _locked(defect)
    if defect.status != S.AWAITING_ACCEPTANCE:
        raise InvalidTransition(_("Only work awaiting acceptance can be refused."))
    return _move(defect, actor=actor, target=S.RECTIFYING, action=_("Refuse acceptance"),
                 kind=DefectEvent.Kind.ACCEPTANCE_REFUSED, detail=reason)


def _require_verifier(actor) -> None:
    if not (getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in VERIFIER_ROLES):
        raise AuthorityExceeded(_("Only the customer-service centre verifies rectifications."))


@transaction.atomic
def defect_verify(*, defect: Defect, actor, note: str = "") -> Defect:
    """A path: the customer-service centre verifies; accepted → verified, and the handbook gets the entry.

    Raises InvalidTransition when the defect is not accepted yet (e.g. still rectifying) and
    AuthorityExceeded for roles outside customer service. Repeating is a no-op.
    """
    _require_verifier(actor)
    defect = _locked(defect)
    if defect.status == S.VERIFIED:
        return defect
    defect.verified_at = timezone.now()
    _move(defect, actor=actor, target=S.VERIFIED, action=_("Verify"), kind=DefectEvent.Kind.VERIFIED,
          detail=note.strip(), fields=["verified_at"])
    handbook_entry_create_from_defect(defect=defect, actor=actor)
    return defect


@transaction.atomic
def defect_reject_verification(*, defect: Defect, actor, reason: str, due_on: date | None = None) -> Defect:
    """A path: verification fails; accepted → rectifying with the reason, optionally a new due date.

    Not a no-op when repeated: a second call on a defect back in rectifying raises InvalidTransition.
    """
    reason = _require_text(reason, "reason", _("Give the reason for rejecting the verification."))
    _require_verifier(actor)
    defect = _locked(defect)
    if due_on is not None and due_on < defect.found_on:
        raise ValidationError({"due_on": [_("The due date cannot be before the date found.")]})
    if defect.status != S.ACCEPTED:
        raise InvalidTransition(_("Only a rectification accepted by its department can be rejected."))
    defect.rejection_count += 1
    defect.rectified_at = None
    fields = ["rejection_count", "rectified_at"]
    if due_on is not None:
        defect.due_on = due_on
        fields.append("due_on")
    return _move(defect, actor=actor, target=S.RECTIFYING, action=_("Reject verification"),
                 kind=DefectEvent.Kind.VERIFICATION_REJECTED, detail=reason, fields=fields)


@transaction.atomic
def defect_record_cost(*, defect: Defect, actor, cost: Decimal, note: str = "") -> Defect:
    """A path: the cost department records the rectification cost; verified → closed. No-op when closed."""
    if cost is None or cost < 0:
        raise ValidationError({"cost": [_("Enter an amount of zero or more.")]})
    defect = _locked(defect)
    if defect.status == S.CLOSED:
        return defect
    defect.actual_cost, defect.closed_at = cost, timezone.now()
    detail = _("Cost %(cost)s yuan.") % {"cost": cost} + (f" {note.strip()}" if note.strip() else "")
    return _move(defect, actor=actor, target=S.CLOSED, action=_("Record cost"), kind=DefectEvent.Kind.COST_RECORDED,
                 detail=detail, fields=["actual_cost", "closed_at"])


@transaction.atomic
def defect_report_to_gm(*, defect: Defect, actor, note: str = "") -> Defect:
    """B path: graded with measures drafted → reported_to_gm; the handbook gets the entry. No-op if reported."""
    defect = _locked(defect)
    if defect.status == S.REPORTED_TO_GM:
        return defect
    if defect.grade != Defect.Grade.B:
        raise InvalidTransition(_("Only grade B defects are reported to the GM office."))
    if not defect.measures:
        raise InvalidTransition(_("Draft the measures before reporting to the GM office."))
    _move(defect, actor=actor, target=S.REPORTED_TO_GM, action=_("Report to GM office"),
          kind=DefectEvent.Kind.REPORTED_TO_GM, detail=note.strip())
    handbook_entry_create_from_defect(defect=defect, actor=actor)
    return defect


@transaction.atomic
def defect_close(*, defect: Defect, actor, note: str = "") -> Defect:
    """B path: the GM office has taken note; reported_to_gm → closed. (A closes by recording its cost.)"""
    defect = _locked(defect)
    if defect.status == S.CLOSED:
        return defect
    if defect.status == S.VERIFIED:
        raise InvalidTransition(_("The cost department closes a grade A defect by recording its cost."))
    defect.closed_at = timezone.now()
    return _move(defect, actor=actor, target=S.CLOSED, action=_("Close"), kind=DefectEvent.Kind.CLOSED,
                 detail=note.strip(), fields=["closed_at"])


# ---------------------------------------------------------------- photos


def photo_add(*, defect: Defect, actor, upload, caption: str = "") -> DefectPhoto:
    """Validate ``upload`` by content, store it re-encoded under a generated name, with a thumbnail.

    Raises ValidationError (nothing stored) for non-images, SVG/HTML, files over 10 MB.
    """
    processed = photos.process_upload(upload)
    image_name, thumb_name = photos.storage_names(project_id=defect.project_id, extension=processed.extension)
    photo = DefectPhoto(
        defect=defect, content_type=processed.content_type, width=processed.width, height=processed.height,
        size_bytes=len(processed.data), caption=(caption or "").strip()[:200], uploaded_by=actor if isinstance(actor, User) else None,
    )
    photo.image.save(image_name, ContentFile(processed.data), save=False)
    photo.thumbnail.save(thumb_name, ContentFile(processed.thumbnail), save=False)
    try:
        with transaction.atomic():
            photo.save()
            event_record(defect=defect, actor=actor, kind=DefectEvent.Kind.PHOTO_ADDED, detail=photo.caption)
    except Exception:
        # The row did not make it: do not leave orphan files behind.
        photo.image.storage.delete(photo.image.name)
        photo.thumbnail.storage.delete(photo.thumbnail.name)
        raise
    return photo


# ---------------------------------------------------------------- overdue chase


def defect_chase(*, defect_id: int, today: date) -> list[str]:
    """Remind the owner of an overdue rectification, and from day 3 escalate to the department head.

    Exactly once per defect, level and due date, however often or concurrently it runs: the
    DefectChase unique row is the decision, notifications carry the same key. Returns the levels
    that were chased now.
    """
    done = []
    with transaction.atomic():
        defect = Defect.objects.select_related("project", "owner", "responsible_department").filter(pk=defect_id).first()
        if defect is None or not defect.is_overdue_on(today):
            return done
        for level in rules.chase_levels(due_on=defect.due_on, today=today):
            _chase, created = DefectChase.objects.get_or_create(defect=defect, level=level, due_on=defect.due_on)
            if not created:
                continue
            days = (today - defect.due_on).days
            title = _("Defect %(code)s rectification overdue by %(days)s days") % {"code": defect.code, "days": days}
            dedupe = f"defects:{defect.pk}:{level}:{defect.due_on.isoformat()}"
            if level == DefectChase.Level.REMINDER:
                recipients = [defect.owner] if defect.owner else []
                if not recipients and defect.responsible_department_id:
                    recipients = list(selectors.department_heads(project=defect.project, department_ids=[defect.responsible_department_id]))
                kind = DefectEvent.Kind.REMINDED
            else:
                recipients = list(selectors.department_heads(project=defect.project, department_ids=[defect.responsible_department_id]))
                kind = DefectEvent.Kind.ESCALATED
            notify(recipients=recipients, kind=f"defect_{level}", title=title, dedupe_key=dedupe, body=defect.title,
                   url=defect.get_absolute_url(), project=defect.project)
            names = "、".join(u.display_name for u in recipients) or _("nobody to notify")
            event_record(defect=defect, actor=None, kind=kind, detail=f"{title} → {names}")
            done.append(level)
    return done


# ---------------------------------------------------------------- handbook and prevention


@transaction.atomic
def handbook_entry_create_from_defect(*, defect: Defect, actor) -> HandbookEntry:
    """Enter a verified A or reported B defect in the handbook; idempotent (one entry per defect).

    Then adds the lesson to the prevention checklist of every project in design or construction
    whose tags match.
    """
    existing = HandbookEntry.objects.filter(defect=defect).first()
    if existing is not None:
        return existing
    if defect.grade not in Defect.Grade.values:
        raise InvalidTransition(_("Only graded defects enter the handbook."))
    impact_bits = []
    if defect.unit_types:
        impact_bits.append(defect.unit_types)
    if defect.households_affected:
        impact_bits.append(_("%(n)s households") % {"n": defect.households_affected})
    if defect.safety_risk:
        impact_bits.append(_("safety risk"))
    if defect.complaint_risk:
        impact_bits.append(_("complaint risk"))
    if defect.estimated_loss is not None:
        impact_bits.append(_("estimated loss %(loss)s yuan") % {"loss": defect.estimated_loss})
    entry = HandbookEntry.objects.create(
        code=defect.code, title=defect.title, project=defect.project, defect=defect, grade=defect.grade,
        problem=defect.description, causes=defect.cause_analysis, impact="；".join(str(b) for b in impact_bits),
        prevention=defect.prevention or defect.measures, found_on=defect.found_on,
        responsible_departments=defect.responsible_department.name if defect.responsible_department else "",
    )
    entry.tags.set(defect.tags.all())
    event_record(defect=defect, actor=actor, kind=DefectEvent.Kind.HANDBOOK, detail=entry.code)
    project_ids = ProjectTag.objects.filter(
        tag__in=entry.tags.all(), project__stage__in=selectors.PREVENTION_STAGES
    ).values_list("project_id", flat=True).distinct()
    rows = [PreventionChecklistItem(project_id=pid, entry=entry) for pid in project_ids]
    PreventionChecklistItem.objects.bulk_create(rows, ignore_conflicts=True)
    return entry


@transaction.atomic
def project_tags_set(*, project: Project, actor, tags: Iterable[Tag]) -> int:
    """Set what ``project`` is built of; returns how many checklist items that added."""
    wanted = {t.pk for t in tags}
    ProjectTag.objects.filter(project=project).exclude(tag_id__in=wanted).delete()
    ProjectTag.objects.bulk_create([ProjectTag(project=project, tag_id=pk) for pk in wanted], ignore_conflicts=True)
    return prevention_checklist_refresh(project=project)


@transaction.atomic
def prevention_checklist_refresh(*, project: Project) -> int:
    """Add every matching handbook entry to the checklist of a project in design or construction.

    Idempotent and safe concurrently (unique (project, entry), conflicts ignored). Items already
    ticked stay; entries that stop matching are left on the list. Returns the number added.
    """
    if project.stage not in selectors.PREVENTION_STAGES:
        return 0
    entry_ids = list(selectors.matching_entries(project=project).values_list("pk", flat=True))
    before = PreventionChecklistItem.objects.filter(project=project).count()
    PreventionChecklistItem.objects.bulk_create(
        [PreventionChecklistItem(project=project, entry_id=pk) for pk in entry_ids], ignore_conflicts=True
    )
    return PreventionChecklistItem.objects.filter(project=project).count() - before


@transaction.atomic
def prevention_item_tick(*, item: PreventionChecklistItem, actor, status: str, evidence: str) -> PreventionChecklistItem:
    """Design or engineering marks a lesson applied (or not applicable), always with evidence.

    Repeating with the same status and evidence is a no-op. Raises ValidationError.
    """
    if status not in (PreventionChecklistItem.Status.APPLIED, PreventionChecklistItem.Status.NOT_APPLICABLE, PreventionChecklistItem.Status.OPEN):
        raise ValidationError({"status": [_("Choose a valid status.")]})
    evidence = (evidence or "").strip()
    if status != PreventionChecklistItem.Status.OPEN and not evidence:
        raise ValidationError({"evidence": [_("Give the evidence: a drawing number, a node detail, a site record.")]})
    item = PreventionChecklistItem.objects.select_for_update().get(pk=item.pk)
    if item.status == status and item.evidence == evidence:
        return item
    item.status, item.evidence = status, evidence
    item.ticked_by = actor if isinstance(actor, User) else None
    item.ticked_at = timezone.now() if status != PreventionChecklistItem.Status.OPEN else None
    item.save(update_fields=["status", "evidence", "ticked_by", "ticked_at", "updated_at"])
    return item


def prevention_checklists_refresh_all() -> int:
    """The daily job's catch-up for projects whose stage or tags changed: refresh each one."""
    return sum(prevention_checklist_refresh(project=p) for p in selectors.projects_in_prevention_stages())
