"""Every read the defects pages, APIs and dashboards use; scoped through estates.access."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from estates.access import get_in_scope_or_404, scope_to_actor
from estates.models import ApiClient, LifecycleStage, Project, Role, User

from . import rules
from .models import Defect, DefectEvent, DefectPhoto, HandbookEntry, PreventionChecklistItem, ReviewMeeting, Tag

PREVENTION_STAGES = (LifecycleStage.DESIGN, LifecycleStage.CONSTRUCTION)


def local_today() -> date:
    return timezone.localdate()


def overdue_q(today: date) -> Q:
    return Q(status__in=Defect.CHASED_STATUSES, due_on__lt=today)


def defect_list(*, actor) -> QuerySet[Defect]:
    """Defects in the actor's projects with what a list row shows; narrow with ``filters.DefectFilter``."""
    return (
        scope_to_actor(Defect.objects.all(), actor)
        .select_related("project", "responsible_department", "owner")
        .prefetch_related("tags")
        .order_by("-found_on", "-pk")
    )


def defects_for_complaint(*, actor, complaint) -> list[Defect]:
    """The defects a complaint revealed, as the complaint page shows them: one query."""
    return list(
        scope_to_actor(Defect.objects.all(), actor).filter(source_complaint=complaint)
        .select_related("responsible_department").order_by("code")
    )


def defect_get(*, actor, pk) -> Defect:
    qs = Defect.objects.select_related("project", "responsible_department", "owner", "created_by", "source_complaint").prefetch_related(
        "tags", "units", Prefetch("events", queryset=DefectEvent.objects.select_related("actor")), "photos"
    )
    return get_in_scope_or_404(qs, actor, pk=pk)


def defect_get_for_update(*, actor, pk) -> Defect:
    """The plain row for a write: resolves the id through scope, nothing prefetched."""
    return get_in_scope_or_404(Defect.objects.all(), actor, pk=pk)


def photo_get(*, actor, pk) -> DefectPhoto:
    return get_in_scope_or_404(DefectPhoto.objects.select_related("defect"), actor, project_field="defect__project", pk=pk)


def department_heads(*, project: Project, department_ids) -> QuerySet[User]:
    """Active department heads of the given departments who work on ``project``."""
    return (
        User.objects.filter(role=Role.DEPARTMENT_HEAD, is_active=True, department_id__in=list(department_ids))
        .filter(Q(projects=project) | Q(is_superuser=True))
        .distinct()
        .order_by("department_id", "username")
    )


def staff_on_project(*, project: Project, username: str) -> User | None:
    """An active member of staff who works on ``project`` (a responsible person named in a request)."""
    return User.objects.filter(Q(projects=project) | Q(is_superuser=True), username=username, is_active=True).first()


def project_staff(*, project: Project) -> QuerySet[User]:
    return User.objects.filter(Q(projects=project), is_active=True).select_related("department").order_by("username")


def meeting_candidates(*, actor, project: Project) -> QuerySet[Defect]:
    """Defects of ``project`` waiting for a review meeting."""
    return (
        scope_to_actor(Defect.objects.all(), actor)
        .filter(project=project, status__in=[Defect.Status.REPORTED, Defect.Status.UNDER_REVIEW])
        .select_related("responsible_department")
        .order_by("code")
    )


def meeting_list(*, actor) -> QuerySet[ReviewMeeting]:
    return (
        scope_to_actor(ReviewMeeting.objects.select_related("project", "recorded_by"), actor)
        .annotate(decision_count=Count("decisions"))
        .order_by("-held_on", "-pk")
    )


def meeting_get(*, actor, pk) -> ReviewMeeting:
    qs = ReviewMeeting.objects.select_related("project", "recorded_by").prefetch_related(
        Prefetch("attendees", queryset=User.objects.select_related("department").order_by("username")),
        "decisions__defect__responsible_department",
    )
    return get_in_scope_or_404(qs, actor, pk=pk)


def handbook_list(*, actor, search: str = "", tag: int | str | None = None, grade: str = "") -> QuerySet[HandbookEntry]:
    """The handbook is the company's lesson book: staff read every entry, whatever the project.

    API clients (sales systems) read only the entries of their own projects.
    """
    qs = HandbookEntry.objects.select_related("project")
    if isinstance(actor, ApiClient):
        qs = scope_to_actor(qs, actor)
    elif not getattr(actor, "is_authenticated", False):
        return qs.none()
    search = (search or "").strip()
    if search:
        qs = qs.filter(
            Q(problem__icontains=search) | Q(causes__icontains=search) | Q(prevention__icontains=search)
            | Q(title__icontains=search) | Q(code__iexact=search)
        )
    if tag:
        try:
            qs = qs.filter(tags__pk=int(tag))
        except (TypeError, ValueError):
            return qs.none()
    if grade:
        qs = qs.filter(grade=grade)
    return qs.prefetch_related("tags").order_by("-found_on", "code", "pk")


def handbook_get(*, actor, pk) -> HandbookEntry:
    try:
        return handbook_list(actor=actor).get(pk=pk)
    except (HandbookEntry.DoesNotExist, ValueError, TypeError):
        from django.http import Http404

        raise Http404 from None


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("kind", "name")


def project_for_prevention(*, actor, code: str) -> Project:
    return get_in_scope_or_404(Project.objects.prefetch_related("defect_tags__tag"), actor, project_field="pk", code=code)


def prevention_checklist(*, actor, project: Project) -> QuerySet[PreventionChecklistItem]:
    return (
        scope_to_actor(PreventionChecklistItem.objects.all(), actor)
        .filter(project=project)
        .select_related("entry__project", "ticked_by")
        .prefetch_related("entry__tags")
        .order_by("status", "entry__code", "pk")
    )


def prevention_item_get(*, actor, pk) -> PreventionChecklistItem:
    return get_in_scope_or_404(PreventionChecklistItem.objects.select_related("project"), actor, pk=pk)


def matching_entries(*, project: Project) -> QuerySet[HandbookEntry]:
    """Handbook entries sharing at least one tag with ``project``."""
    project_tags = Tag.objects.filter(project_links__project=project)
    return HandbookEntry.objects.filter(Exists(project_tags.filter(handbook_entries=OuterRef("pk"))))


def defect_project_summary(*, actor, project: Project | None = None, today: date | None = None) -> dict:
    """Counts for the dashboards in two queries, however many defects there are.

    Returns ``{"total", "open", "overdue", "by_grade": {A, B, ungraded}, "by_status": {status: n},
    "by_age": [n, n, n] (open defects by days since found, rules.AGE_BUCKETS),
    "prevention": {"total", "applied", "not_applicable", "open"}}``.
    """
    today = today or local_today()
    qs = scope_to_actor(Defect.objects.all(), actor)
    if project is not None:
        qs = qs.filter(project=project)
    open_q = ~Q(status=Defect.Status.CLOSED)
    aggregates = {
        "total": Count("pk"),
        "open": Count("pk", filter=open_q),
        "overdue": Count("pk", filter=overdue_q(today)),
        "grade_A": Count("pk", filter=Q(grade="A")),
        "grade_B": Count("pk", filter=Q(grade="B")),
        "grade_none": Count("pk", filter=Q(grade="")),
    }
    for index, (low, high) in enumerate(rules.AGE_BUCKETS):
        age_q = open_q & Q(found_on__lte=today - timedelta(days=low))
        if high is not None:
            age_q &= Q(found_on__gte=today - timedelta(days=high))
        aggregates[f"age_{index}"] = Count("pk", filter=age_q)
    # One scan grouped by status gives both the totals (summed here) and the status counts.
    row = dict.fromkeys(aggregates, 0)
    by_status = {s.value: 0 for s in Defect.Status}
    for item in qs.order_by().values("status").annotate(**aggregates):
        by_status[item["status"]] = item["total"]
        for key in aggregates:
            row[key] += item[key]
    items = scope_to_actor(PreventionChecklistItem.objects.all(), actor)
    if project is not None:
        items = items.filter(project=project)
    prevention = items.aggregate(
        total=Count("pk"),
        applied=Count("pk", filter=Q(status=PreventionChecklistItem.Status.APPLIED)),
        not_applicable=Count("pk", filter=Q(status=PreventionChecklistItem.Status.NOT_APPLICABLE)),
        open=Count("pk", filter=Q(status=PreventionChecklistItem.Status.OPEN)),
    )
    return {
        "total": row["total"],
        "open": row["open"],
        "overdue": row["overdue"],
        "by_grade": {"A": row["grade_A"], "B": row["grade_B"], "ungraded": row["grade_none"]},
        "by_status": by_status,
        "by_age": [row[f"age_{i}"] for i in range(len(rules.AGE_BUCKETS))],
        "prevention": prevention,
    }


def overdue_defect_ids(*, today: date) -> list[int]:
    """Ids the daily chase looks at: an indexed (status, due_on) range, not a scan."""
    return list(Defect.objects.filter(overdue_q(today)).order_by("due_on", "pk").values_list("pk", flat=True))


def projects_in_prevention_stages() -> QuerySet[Project]:
    return Project.objects.filter(stage__in=PREVENTION_STAGES)
