"""Project reviews: created from the current template, answered item by item, signed off by the GM."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Project, User
from estates.workflow import AuthorityExceeded, InvalidTransition, require_transition

from .. import rules
from ..models import Answer, ChecklistTemplate, Event, Review, ReviewKind
from .checks import require_choice, require_text
from .events import event_record
from .items import risk_item_open


class SignOffBlocked(InvalidTransition):
    """The general manager may not sign off yet; ``reasons`` lists why, one sentence each."""

    def __init__(self, reasons: list[str]):
        super().__init__(_("Sign-off refused: %(reasons)s") % {"reasons": "; ".join(reasons)})
        self.reasons = reasons


@transaction.atomic
def review_create(
    *, project: Project, kind: str, scheduled_on: date, actor, method: str = Review.Method.MEETING, participants: str = ""
) -> Review:
    """Start a review of ``project`` against the current template of ``kind``; one answer row per item.

    Raises ValidationError for an unknown kind or method, a missing date, or when no template of
    that kind exists. Not idempotent: each call starts a review.
    """
    require_choice("kind", kind, ReviewKind)
    require_choice("method", method, Review.Method)
    if scheduled_on is None:
        raise ValidationError({"scheduled_on": [_("This field is required.")]})
    template = ChecklistTemplate.objects.filter(kind=kind, is_current=True).first()
    if template is None:
        raise ValidationError({"kind": [_("There is no checklist template of this kind.")]})
    review = Review.objects.create(
        project=project,
        template=template,
        kind=kind,
        scheduled_on=scheduled_on,
        method=method,
        participants=participants or "",
        created_by=actor if isinstance(actor, User) else None,
    )
    Answer.objects.bulk_create([Answer(review=review, item_id=pk) for pk in template.items.values_list("pk", flat=True)])
    event_record(
        subject=Event.Subject.REVIEW,
        subject_id=review.pk,
        project=project,
        kind="created",
        actor=actor,
        after={"template": str(template), "scheduled_on": scheduled_on.isoformat(), "method": method},
    )
    return review


@transaction.atomic
def review_answer(
    *, answer: Answer, actor, result: str, note: str = "", evidence: str = "", finding: dict | None = None
) -> Answer:
    """Answer one checklist item of an open review.

    - ``ok`` and ``finding`` need evidence (what was seen or which document); ``na`` needs a note.
    - ``finding`` opens a risk-register item from ``finding`` (title, source, customer_view, level,
      measures, owner, deadline), once per answer: answering "finding" again keeps the same item.
    - An answer whose risk item is still active cannot be changed to ok / n.a. (close the item first).
    Raises InvalidTransition on a signed-off review, ValidationError on bad input (nothing written).
    """
    require_choice("result", result, [Answer.Result.OK, Answer.Result.FINDING, Answer.Result.NOT_APPLICABLE])
    answer = Answer.objects.select_for_update().select_related("review__project", "item").get(pk=answer.pk)
    review = answer.review
    if review.status != Review.Status.OPEN:
        raise InvalidTransition(_("A signed-off review cannot be changed."))
    if result in (Answer.Result.OK, Answer.Result.FINDING):
        evidence = require_text("evidence", evidence, _("Record the evidence: what was seen, or which document."))
    else:
        note = require_text("note", note, _("Say why this item does not apply."))
    item = getattr(answer, "risk_item", None)
    if result != Answer.Result.FINDING and item is not None and item.is_active:
        raise InvalidTransition(_("This item has an open risk; close the risk item before changing the answer."))
    before = {"result": answer.result}
    answer.result, answer.note, answer.evidence = result, note or "", evidence or ""
    answer.answered_by = actor if isinstance(actor, User) else None
    answer.answered_at = timezone.now()
    if result == Answer.Result.FINDING and item is None:
        finding = dict(finding or {})
        finding.setdefault("title", answer.item.name)
        risk_item_open(
            project=review.project,
            actor=actor,
            origin="review",
            review=review,
            answer=answer,
            title=finding.get("title") or answer.item.name,
            description=finding.get("description") or note or "",
            source=finding.get("source"),
            customer_view=finding.get("customer_view"),
            level=finding.get("level"),
            measures=finding.get("measures") or "",
            owner=finding.get("owner"),
            deadline=finding.get("deadline"),
        )
    answer.save(update_fields=["result", "note", "evidence", "answered_by", "answered_at"])
    event_record(
        subject=Event.Subject.REVIEW,
        subject_id=review.pk,
        project=review.project,
        kind="answered",
        actor=actor,
        before=before,
        after={"result": result},
        detail=f"{answer.item.order}. {answer.item.name}",
    )
    return answer


@transaction.atomic
def review_sign_off(*, review: Review, actor, note: str = "") -> Review:
    """The general manager signs the review off (总经理层签认).

    Raises AuthorityExceeded when the actor is not at general-manager level (rules.can_sign_off),
    SignOffBlocked with every reason when items are unanswered, a high-level risk of the project
    is open, an adverse factor is undisclosed or (pre-delivery) a promise due at handover is not
    kept or changed with written confirmation. Signing off a signed-off review is a no-op.
    """
    from ..selectors import describe_blockers, review_sign_off_blockers

    department_code = getattr(getattr(actor, "department", None), "code", None)
    if not isinstance(actor, User) or not rules.can_sign_off(
        role=actor.role, department_code=department_code, is_superuser=actor.is_superuser
    ):
        raise AuthorityExceeded(_("Only the general manager's office may sign off a review."))
    review = Review.objects.select_for_update().select_related("project").get(pk=review.pk)
    if review.status == Review.Status.SIGNED_OFF:
        return review
    require_transition(Review.TRANSITIONS, review.status, Review.Status.SIGNED_OFF, action=_("sign off"))
    blockers = review_sign_off_blockers(review=review)
    if blockers:
        raise SignOffBlocked(describe_blockers(blockers))
    review.status, review.signed_off_by, review.signed_off_at = Review.Status.SIGNED_OFF, actor, timezone.now()
    review.sign_off_note = note or ""
    review.save(update_fields=["status", "signed_off_by", "signed_off_at", "sign_off_note", "updated_at"])
    event_record(
        subject=Event.Subject.REVIEW,
        subject_id=review.pk,
        project=review.project,
        kind="signed_off",
        actor=actor,
        before={"status": Review.Status.OPEN},
        after={"status": Review.Status.SIGNED_OFF},
        detail=note or "",
    )
    return review
