"""Reads of the touchpoints app. The catalogue is shared by every project; checks, follow-ups and
contacts are scoped to the actor's projects through estates.access."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from estates.access import get_in_scope_or_404, scope_to_actor
from estates.models import Customer, Project
from risk import selectors as risk_selectors

from . import rules
from .models import CustomerContact, FollowUp, PointCheck, SensitivityPoint, Touchpoint


def touchpoint_catalogue(
    *, stage: str | None = None, grade: str | None = None, include_inactive: bool = False
) -> QuerySet[Touchpoint]:
    """Touchpoints (of one stage, if given) with their points (of one grade, if given) in 2 queries."""
    points = SensitivityPoint.objects.order_by("order", "code")
    touchpoints = Touchpoint.objects.select_related("department").order_by("stage", "order", "code")
    if not include_inactive:
        points = points.filter(is_active=True)
        touchpoints = touchpoints.filter(is_active=True)
    if grade:
        points = points.filter(grade=grade)
        touchpoints = touchpoints.filter(points__grade=grade).distinct()
    if stage:
        touchpoints = touchpoints.filter(stage=stage)
    return touchpoints.prefetch_related(Prefetch("points", queryset=points))


def sensitivity_point_list(*, stage: str | None = None, grade: str | None = None) -> QuerySet[SensitivityPoint]:
    qs = SensitivityPoint.objects.filter(is_active=True, touchpoint__is_active=True).select_related("touchpoint__department")
    if stage:
        qs = qs.filter(touchpoint__stage=stage)
    if grade:
        qs = qs.filter(grade=grade)
    return qs.order_by("touchpoint__stage", "touchpoint__order", "order", "code")


def sensitivity_point_get(*, code: str) -> SensitivityPoint:
    try:
        return SensitivityPoint.objects.select_related("touchpoint").get(code=code)
    except SensitivityPoint.DoesNotExist:
        raise Http404 from None


def touchpoint_get(*, code: str) -> Touchpoint:
    try:
        return Touchpoint.objects.select_related("department").get(code=code)
    except Touchpoint.DoesNotExist:
        raise Http404 from None


def catalogue_counts() -> dict[str, dict[str, int]]:
    """{stage: {"touchpoints": n, "A": n, "B": n, "C": n}} for active records, in two queries."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"touchpoints": 0, "A": 0, "B": 0, "C": 0})
    for row in Touchpoint.objects.filter(is_active=True).values("stage").annotate(n=Count("pk")):
        counts[row["stage"]]["touchpoints"] = row["n"]
    rows = (
        SensitivityPoint.objects.filter(is_active=True, touchpoint__is_active=True)
        .values("touchpoint__stage", "grade")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["touchpoint__stage"]][row["grade"]] = row["n"]
    return dict(counts)


def project_checklist(*, project: Project, stage: str) -> list[SensitivityPoint]:
    """The stage's active points, each with ``answer`` (this project's PointCheck or None) and its
    follow-up, in a fixed number of queries."""
    checks = PointCheck.objects.filter(project=project).select_related("checked_by", "follow_up")
    points = list(
        sensitivity_point_list(stage=stage).prefetch_related(Prefetch("checks", queryset=checks, to_attr="project_checks"))
    )
    for p in points:
        p.answer = p.project_checks[0] if p.project_checks else None
    return points


def project_coverage(*, project: Project, stage: str) -> list[rules.GradeCoverage]:
    """Coverage per grade of ``stage`` for ``project``, aggregated in the database (2 queries)."""
    points = sensitivity_point_list(stage=stage).order_by()
    totals = {r["grade"]: r["n"] for r in points.values("grade").annotate(n=Count("pk"))}
    answers = {
        (r["point__grade"], r["status"]): r["n"]
        for r in PointCheck.objects.filter(project=project, point__in=points)
        .values("point__grade", "status")
        .annotate(n=Count("pk"))
    }
    return rules.coverage(totals=totals, answers=answers)


def project_a_coverage(*, projects: list[Project]) -> dict[int, dict]:
    """For several projects at once, their current stage's A-point figures (2 queries)."""
    by_stage = defaultdict(list)
    for p in projects:
        by_stage[p.stage].append(p)
    totals = {
        r["touchpoint__stage"]: r["n"]
        for r in sensitivity_point_list(grade="A").order_by().values("touchpoint__stage").annotate(n=Count("pk"))
    }
    result = {p.pk: {"total": totals.get(p.stage, 0), "met": 0, "issue": 0, "not_applicable": 0} for p in projects}
    if not projects:
        return result
    stage_filter = Q()
    for stage, ps in by_stage.items():
        stage_filter |= Q(project__in=ps, point__touchpoint__stage=stage)
    rows = (
        PointCheck.objects.filter(stage_filter, point__grade="A", point__is_active=True, point__touchpoint__is_active=True)
        .values("project_id", "status")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        result[r["project_id"]][r["status"]] = r["n"]
    for fig in result.values():
        applicable = fig["total"] - fig["not_applicable"]
        fig["met_pct"] = fig["met"] / applicable if applicable else None
    return result


def check_list(
    *, actor, project: Project | None = None, stage: str | None = None, status: str | None = None
) -> QuerySet[PointCheck]:
    qs = scope_to_actor(PointCheck.objects.select_related("project", "point__touchpoint", "checked_by"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    if stage:
        qs = qs.filter(point__touchpoint__stage=stage)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("project__code", "point__touchpoint__stage", "point__code")


def follow_up_list(*, actor, project: Project | None = None, open_only: bool = False) -> QuerySet[FollowUp]:
    qs = scope_to_actor(FollowUp.objects.select_related("project", "check_record__point"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    if open_only:
        qs = qs.filter(status=FollowUp.Status.OPEN)
    return qs


def follow_ups_with_risk_items(*, actor, project: Project, limit: int = 50) -> list[FollowUp]:
    """The project's follow-ups, newest first, each with ``risk_item`` (the register's row or None)
    and ``is_active`` (the register decides when there is an item), in 2 queries."""
    follow_ups = list(follow_up_list(actor=actor, project=project)[:limit])
    ids = [f.risk_item_id for f in follow_ups if f.risk_item_id]
    items = {i.pk: i for i in risk_selectors.risk_item_list(actor=actor).filter(pk__in=ids)} if ids else {}
    for f in follow_ups:
        f.risk_item = items.get(f.risk_item_id)
        f.is_active = f.risk_item.is_active if f.risk_item else f.status == FollowUp.Status.OPEN
    return follow_ups


def open_follow_up_count(*, actor, project: Project) -> int:
    """A-point issues of the project still being worked in the risk register."""
    return risk_selectors.risk_item_list(actor=actor, project=project, status="active").filter(origin="touchpoints").count()


def follow_up_get(*, actor, pk) -> FollowUp:
    return get_in_scope_or_404(FollowUp.objects.select_related("project"), actor, pk=pk)


def contact_list(*, actor, customer: Customer | None = None, project: Project | None = None) -> QuerySet[CustomerContact]:
    """Contacts in the actor's projects, newest first, with what a page or serializer shows."""
    qs = scope_to_actor(CustomerContact.objects.select_related("customer", "project", "touchpoint", "staff"), actor)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.order_by("-occurred_at", "-pk")
