"""Every read the risk pages, APIs and other apps' dashboards use; always scoped to the actor."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, IntegerField, Prefetch, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import ngettext

from estates.access import get_in_scope_or_404, project_ids_for, scope_to_actor
from estates.models import Milestone, Project, Role, User

from . import rules
from .models import (
    AdverseFactor,
    AdverseFactorType,
    Answer,
    ChecklistItem,
    ChecklistTemplate,
    Event,
    PromiseChange,
    Review,
    RiskItem,
    SalesPromise,
)


def _today() -> date:
    return timezone.localdate()


# --- templates ---------------------------------------------------------------------------------
def template_list() -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.annotate(
        item_count=Count("items", distinct=True), review_count=Count("reviews", distinct=True)
    )


def template_get(*, pk) -> ChecklistTemplate:
    from django.http import Http404

    try:
        return ChecklistTemplate.objects.prefetch_related(
            Prefetch(
                "items",
                queryset=ChecklistItem.objects.select_related("lead_department").prefetch_related("participating_departments"),
            )
        ).get(pk=pk)
    except (ChecklistTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def checklist_item_get(*, pk) -> ChecklistItem:
    from django.http import Http404

    try:
        return ChecklistItem.objects.select_related("template", "lead_department").get(pk=pk)
    except (ChecklistItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- reviews -----------------------------------------------------------------------------------
def review_list(*, actor, project: Project | None = None) -> QuerySet[Review]:
    qs = scope_to_actor(Review.objects.select_related("project", "template", "signed_off_by"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.annotate(
        finding_count=Count("answers", filter=Q(answers__result=Answer.Result.FINDING)),
        pending_count=Count("answers", filter=Q(answers__result=Answer.Result.PENDING)),
    ).order_by("-scheduled_on", "-pk")


def review_get(*, actor, pk) -> Review:
    answers = (
        Answer.objects.select_related("item__lead_department", "risk_item__owner", "answered_by")
        .prefetch_related("item__participating_departments")
        .order_by("item__order")
    )
    qs = Review.objects.select_related("project", "template", "signed_off_by", "created_by").prefetch_related(
        Prefetch("answers", queryset=answers)
    )
    return get_in_scope_or_404(qs, actor, pk=pk)


def answer_get(*, actor, review: Review, item_id) -> Answer:
    return get_in_scope_or_404(
        Answer.objects.select_related("review", "item"), actor, project_field="review__project", review=review, item_id=item_id
    )


def review_sign_off_blockers(*, review: Review) -> list[rules.Blocker]:
    """What stands in the way of the GM's sign-off; four queries whatever the project's size."""
    project_id = review.project_id
    unanswered = Answer.objects.filter(review=review, result=Answer.Result.PENDING).count()
    high = list(
        RiskItem.objects.filter(project_id=project_id, status__in=RiskItem.ACTIVE, level=RiskItem.Level.HIGH)
        .order_by("deadline", "pk")
        .values_list("title", flat=True)
    )
    factors = [
        f"{name} {dist} m"
        for name, dist in AdverseFactor.objects.filter(project_id=project_id, status=AdverseFactor.Status.UNDISCLOSED)
        .order_by("distance_m", "pk")
        .values_list("factor_type__name", "distance_m")
    ]
    promises = []
    if review.kind == "pre_delivery":
        promises = [
            f"{w[:40]} ({SalesPromise.Status(s).label})"
            for w, s in SalesPromise.objects.filter(project_id=project_id, due_milestone=Milestone.Kind.HANDOVER)
            .exclude(status__in=SalesPromise.SETTLED)
            .order_by("pk")
            .values_list("wording", "status")
        ]
    return rules.sign_off_blockers(
        kind=review.kind,
        unanswered=unanswered,
        open_high_risks=high,
        undisclosed_factors=factors,
        unsettled_delivery_promises=promises,
    )


def describe_blockers(blockers: list[rules.Blocker]) -> list[str]:
    """One sentence per blocker, in the page's language."""
    out = []
    for b in blockers:
        names = "、".join(b.labels)
        if b.code == "unanswered":
            out.append(
                ngettext("%(n)d checklist item is not answered.", "%(n)d checklist items are not answered.", b.count)
                % {"n": b.count}
            )
        elif b.code == "high_risk_open":
            out.append(
                ngettext("%(n)d high-level risk is open: %(names)s", "%(n)d high-level risks are open: %(names)s", b.count)
                % {"n": b.count, "names": names}
            )
        elif b.code == "factor_undisclosed":
            out.append(
                ngettext(
                    "%(n)d adverse factor is not disclosed: %(names)s",
                    "%(n)d adverse factors are not disclosed: %(names)s",
                    b.count,
                )
                % {"n": b.count, "names": names}
            )
        elif b.code == "promise_unsettled":
            out.append(
                ngettext(
                    "%(n)d promise due at handover is not verified as kept: %(names)s",
                    "%(n)d promises due at handover are not verified as kept: %(names)s",
                    b.count,
                )
                % {"n": b.count, "names": names}
            )
    return out


# --- risk items --------------------------------------------------------------------------------
def risk_item_list(
    *,
    actor,
    project: Project | None = None,
    status: str = "",
    level: str = "",
    source: str = "",
    customer_view: str = "",
    overdue: bool | None = None,
    owner: User | None = None,
    today: date | None = None,
) -> QuerySet[RiskItem]:
    today = today or _today()
    qs = scope_to_actor(RiskItem.objects.select_related("project", "owner", "review"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    if status == "active":
        qs = qs.filter(status__in=RiskItem.ACTIVE)
    elif status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if source:
        qs = qs.filter(source=source)
    if customer_view:
        qs = qs.filter(customer_view=customer_view)
    if owner is not None:
        qs = qs.filter(owner=owner)
    overdue_q = Q(status__in=RiskItem.ACTIVE, deadline__lt=today)
    if overdue is True:
        qs = qs.filter(overdue_q)
    elif overdue is False:
        qs = qs.exclude(overdue_q)
    return qs.order_by("status", "deadline", "pk")


def risk_item_get(*, actor, pk) -> RiskItem:
    return get_in_scope_or_404(RiskItem.objects.select_related("project", "owner", "review", "answer__item"), actor, pk=pk)


def events_for(*, subject: str, subject_id: int) -> QuerySet[Event]:
    return Event.objects.filter(subject=subject, subject_id=subject_id).select_related("actor").order_by("at", "pk")


def owner_choices(*, project: Project) -> QuerySet[User]:
    """Active staff who can see ``project``: the people a risk item may be given to."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(projects=project) | Q(role__in=[Role.GROUP_CENTRE, Role.ADMIN]))
        .distinct()
        .order_by("username")
    )


# --- adverse factors ---------------------------------------------------------------------------
def factor_type_list() -> QuerySet[AdverseFactorType]:
    return AdverseFactorType.objects.order_by("order", "code")


def factor_list(*, actor, project: Project | None = None, status: str = "") -> QuerySet[AdverseFactor]:
    qs = scope_to_actor(AdverseFactor.objects.select_related("project", "factor_type").prefetch_related("disclosures"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("project__code", "distance_m", "pk")


def factor_get(*, actor, pk) -> AdverseFactor:
    return get_in_scope_or_404(
        AdverseFactor.objects.select_related("project", "factor_type").prefetch_related("disclosures__recorded_by"), actor, pk=pk
    )


# --- promises ----------------------------------------------------------------------------------
def promise_list(*, actor, project: Project | None = None, status: str = "", due_milestone: str = "") -> QuerySet[SalesPromise]:
    qs = scope_to_actor(SalesPromise.objects.select_related("project"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    if status:
        qs = qs.filter(status=status)
    if due_milestone:
        qs = qs.filter(due_milestone=due_milestone)
    return qs.order_by("project__code", "due_milestone", "pk")


def promise_get(*, actor, pk) -> SalesPromise:
    return get_in_scope_or_404(
        SalesPromise.objects.select_related("project").prefetch_related(
            Prefetch("changes", queryset=PromiseChange.objects.order_by("-created_at", "-pk"))
        ),
        actor,
        pk=pk,
    )


def promise_change_get(*, actor, pk) -> PromiseChange:
    return get_in_scope_or_404(
        PromiseChange.objects.select_related("promise__project"), actor, project_field="promise__project", pk=pk
    )


# --- milestones --------------------------------------------------------------------------------
def milestone_deviations(*, milestones: list[Milestone], today: date | None = None) -> list[dict]:
    """Each milestone with its deviation (rules.milestone_deviation), measured from the first planned one."""
    today = today or _today()
    ordered = sorted(milestones, key=lambda m: (Milestone.ORDER.index(m.kind) if m.kind in Milestone.ORDER else 99, m.planned_on))
    if not ordered:
        return []
    start = min(m.planned_on for m in ordered)
    return [
        {
            "milestone": m,
            "deviation": rules.milestone_deviation(start=start, planned=m.planned_on, actual=m.actual_on, today=today),
        }
        for m in ordered
    ]


def project_milestone_deviations(*, project: Project, today: date | None = None) -> list[dict]:
    return milestone_deviations(milestones=list(Milestone.objects.filter(project=project)), today=today)


# --- dashboards --------------------------------------------------------------------------------
def risk_project_summary(*, actor, projects: list[Project] | None = None, today: date | None = None) -> dict[int, dict]:
    """Per project in scope: open items by level, overdue items, undisclosed factors, latest sign-off state.

    Two queries whatever the number of projects or rows (aggregates grouped by project).
    ``projects`` narrows to those projects (they must already be in the actor's scope).
    """
    today = today or _today()
    ids = project_ids_for(actor)
    wanted = [p.pk for p in projects] if projects is not None else None
    if wanted is not None and ids is not None:
        wanted = [pk for pk in wanted if pk in ids]
    if ids is None and wanted is None:
        flt = {}
    else:
        flt = {"project_id__in": wanted if wanted is not None else ids}
    summary: dict[int, dict] = defaultdict(
        lambda: {
            "open_high": 0,
            "open_medium": 0,
            "open_low": 0,
            "open_total": 0,
            "overdue": 0,
            "undisclosed_factors": 0,
            "latest_review": None,
            "sign_off": "none",
        }
    )
    active = Q(status__in=RiskItem.ACTIVE)
    zero = Value(0, output_field=IntegerField())
    items = (
        RiskItem.objects.filter(**flt)
        .order_by()
        .values("project_id")
        .annotate(
            open_high=Count("pk", filter=active & Q(level=RiskItem.Level.HIGH)),
            open_medium=Count("pk", filter=active & Q(level=RiskItem.Level.MEDIUM)),
            open_low=Count("pk", filter=active & Q(level=RiskItem.Level.LOW)),
            overdue=Count("pk", filter=active & Q(deadline__lt=today)),
            undisclosed=zero,
        )
    )
    factors = (
        AdverseFactor.objects.filter(status=AdverseFactor.Status.UNDISCLOSED, **flt)
        .order_by()
        .values("project_id")
        .annotate(open_high=zero, open_medium=zero, open_low=zero, overdue=zero, undisclosed=Count("pk"))
    )
    # Items and undisclosed factors in one round trip (a UNION ALL of the two grouped counts).
    for r in items.union(factors, all=True):
        s = summary[r["project_id"]]
        for k in ("open_high", "open_medium", "open_low", "overdue"):
            s[k] += r[k]
        s["open_total"] += r["open_high"] + r["open_medium"] + r["open_low"]
        s["undisclosed_factors"] += r["undisclosed"]
    # The latest review per project (highest date, then id): one query, picked in Python.
    for r in (
        Review.objects.filter(**flt)
        .order_by("project_id", "-scheduled_on", "-pk")
        .values("project_id", "pk", "kind", "status", "scheduled_on")
    ):
        s = summary[r["project_id"]]
        if s["latest_review"] is None:
            s["latest_review"] = r
            s["sign_off"] = r["status"]
    return dict(summary)


def overdue_since(item: RiskItem, today: date | None = None) -> int:
    """Days past the deadline (0 when not overdue)."""
    today = today or _today()
    if not item.is_active or item.deadline >= today:
        return 0
    return (today - item.deadline).days


def due_soon_limit(today: date | None = None) -> date:
    return (today or _today()) + timedelta(days=rules.REMIND_DAYS_BEFORE)


def blocker_summary_for_project(*, project: Project) -> list[str]:
    """Sentences for the sales-opening check, for pages."""
    from .services import project_sales_opening_blockers

    return describe_blockers(project_sales_opening_blockers(project)) or []
