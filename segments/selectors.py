"""Reads of the segments app, for its pages and APIs and for other apps (satisfaction scores by
segment, dashboards). Customer and project scope come from estates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet

from estates import selectors as estates_selectors
from estates.access import get_in_scope_or_404, scope_to_actor
from estates.models import Contract, Customer, Project

from .models import (
    AssignmentRule,
    CustomerSegment,
    LandAttribute,
    ParcelAssessment,
    ParcelScore,
    Segment,
    SegmentEvent,
    SegmentLandNeed,
    SegmentRecomputeRun,
)


def segment_list() -> QuerySet[Segment]:
    needs = SegmentLandNeed.objects.select_related("attribute").order_by("-weight", "attribute__order")
    return Segment.objects.order_by("order", "code").prefetch_related(Prefetch("land_needs", queryset=needs))


def segment_get(*, code: str) -> Segment | None:
    return Segment.objects.filter(code=code).first()


def segment_of_customers(customer_ids: Iterable[int]) -> dict[int, Segment]:
    """{customer id: Segment} for the customers that have one (one query). Callers scope the ids."""
    rows = CustomerSegment.objects.filter(customer_id__in=list(customer_ids), segment__isnull=False).select_related("segment")
    return {row.customer_id: row.segment for row in rows}


def _share_rows(counts: dict[int | None, int], segments: list[Segment]) -> dict:
    total = sum(counts.values())
    rows = [
        {
            "segment": s,
            "code": s.code,
            "count": counts.get(s.pk, 0),
            "share": counts.get(s.pk, 0) / total if total else None,
            "reference_share": float(s.reference_share) if s.reference_share is not None else None,
        }
        for s in segments
    ]
    unclassified = counts.get(None, 0)
    return {
        "rows": rows,
        "total": total,
        "unclassified": unclassified,
        "unclassified_share": unclassified / total if total else None,
    }


def segment_shares(*, actor, project: Project | None = None) -> dict:
    """Share of customers per segment among the actor's customers (of one project, if given).

    Aggregated in the database (2 queries). ``rows``: one per segment with ``count``, ``share``
    (0..1 or None when there are no customers) and the seed's ``reference_share``;
    ``unclassified`` counts customers without a segment.
    """
    customers = estates_selectors.customer_list(actor=actor, project=project).order_by()
    counts = {
        r["segment_assignment__segment"]: r["n"] for r in customers.values("segment_assignment__segment").annotate(n=Count("pk"))
    }
    return _share_rows(counts, list(Segment.objects.order_by("order", "code")))


def segment_shares_by_project(*, actor) -> list[dict]:
    """Per project in scope: the share of its buyers (active contracts) per segment (3 queries)."""
    segments = list(Segment.objects.order_by("order", "code"))
    projects = list(estates_selectors.project_list(actor=actor))
    rows = (
        scope_to_actor(Contract.objects.filter(status=Contract.Status.ACTIVE), actor)
        .order_by()
        .values("project_id", "customers__segment_assignment__segment")
        .annotate(n=Count("customers", distinct=True))
    )
    counts: dict[int, dict] = defaultdict(dict)
    for r in rows:
        counts[r["project_id"]][r["customers__segment_assignment__segment"]] = r["n"]
    return [{"project": p, **_share_rows(counts.get(p.pk, {}), segments)} for p in projects]


def segment_complaint_rates(*, actor, start: date, end: date, project: Project | None = None, shares: dict | None = None) -> dict:
    """Complaints per 100 households by segment, for complaints filed from ``start`` to ``end``
    (dates inclusive) in the actor's projects (``project`` only, if given).

    households = the segment's customers among the actor's customers (``segment_shares``' counts;
    pass its result as ``shares`` to save the query); complaints = complaints filed in the period
    whose customer is currently in the segment, read through ``complaints.selectors`` and counted
    in the database (one aggregate, a FILTER per segment). ``per_100`` is complaints / households × 100, or
    None without households. Owners without a segment form the ``unclassified`` row; complaints
    with no customer record (a contact only) are counted in ``without_customer``. Three queries
    (two with ``shares``) whatever the number of complaints, customers or segments.
    """
    from complaints import selectors as complaint_selectors

    if shares is None:
        shares = segment_shares(actor=actor, project=project)
    filed = complaint_selectors.complaints_filed_between(actor=actor, start=start, end=end, project=project)
    # One aggregate with a FILTER per segment ("the filer is one of the segment's customers", a
    # hashed sub-plan each on PostgreSQL) instead of GROUP BY over the complaint → customer →
    # assignment joins: over the 650,000 complaints of a year in ts_bench1m with 90,000 assigned
    # customers, 1.3–1.9 s of execution against 2.5–3.3 s (EXPLAIN ANALYZE, machine load ~10).
    segments = [r["segment"] for r in shares["rows"]]
    totals = filed.aggregate(
        n=Count("pk"),
        with_customer=Count("customer_id"),
        **{
            f"s{seg.pk}": Count("pk", filter=Q(customer_id__in=CustomerSegment.objects.filter(segment=seg).values("customer_id")))
            for seg in segments
        },
    )
    counts: dict[int | None, int] = {seg.pk: totals[f"s{seg.pk}"] for seg in segments}
    counts[None] = totals["with_customer"] - sum(counts.values())
    without_customer = totals["n"] - totals["with_customer"]

    def rate(complaints: int, households: int) -> float | None:
        return complaints * 100 / households if households else None

    rows = []
    for r in shares["rows"]:
        complaints = counts.get(r["segment"].pk, 0)
        rows.append(
            {
                "segment": r["segment"],
                "code": r["code"],
                "households": r["count"],
                "complaints": complaints,
                "per_100": rate(complaints, r["count"]),
            }
        )
    unclassified = counts.get(None, 0)
    total_complaints = sum(counts.values())
    return {
        "start": start,
        "end": end,
        "rows": rows,
        "unclassified": {
            "households": shares["unclassified"],
            "complaints": unclassified,
            "per_100": rate(unclassified, shares["unclassified"]),
        },
        "total": {
            "households": shares["total"],
            "complaints": total_complaints,
            "per_100": rate(total_complaints, shares["total"]),
        },
        "without_customer": without_customer,
    }


def customer_segment_get(*, actor, customer_pk) -> tuple[Customer, CustomerSegment | None]:
    """The customer (scoped; 404 outside) and its assignment, if computed yet."""
    customer = estates_selectors.customer_get(actor=actor, pk=customer_pk)
    assignment = (
        CustomerSegment.objects.select_related("segment", "computed_segment", "rule", "overridden_by")
        .filter(customer=customer)
        .first()
    )
    return customer, assignment


def segment_events(*, customer: Customer, limit: int = 20) -> list[SegmentEvent]:
    return list(SegmentEvent.objects.filter(customer=customer).order_by("-at", "-pk")[:limit])


def rule_list() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("segment").order_by("priority")


def rule_get(*, pk) -> AssignmentRule:
    from django.http import Http404

    try:
        return rule_list().get(pk=pk)
    except (AssignmentRule.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def recompute_runs(*, limit: int = 20) -> list[SegmentRecomputeRun]:
    return list(SegmentRecomputeRun.objects.order_by("-created_at", "-pk")[:limit])


def recompute_run_list():
    return SegmentRecomputeRun.objects.order_by("-created_at", "-pk")


def land_attributes() -> QuerySet[LandAttribute]:
    return LandAttribute.objects.order_by("order", "code")


def land_checklist_matrix() -> dict:
    """The 土地属性需求清单 as a table: attributes × segments with the weight (or None)."""
    segments = list(Segment.objects.order_by("order", "code"))
    weights = {(n.attribute_id, n.segment_id): n.weight for n in SegmentLandNeed.objects.all()}
    rows = [{"attribute": a, "weights": [weights.get((a.pk, s.pk)) for s in segments]} for a in land_attributes()]
    return {"segments": segments, "rows": rows}


def parcel_list(*, actor, project: Project | None = None) -> QuerySet[ParcelAssessment]:
    qs = scope_to_actor(ParcelAssessment.objects.select_related("project", "best_segment"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.order_by("-created_at", "-pk")


def parcel_get(*, actor, pk) -> ParcelAssessment:
    scores = ParcelScore.objects.select_related("segment").order_by("rank")
    qs = ParcelAssessment.objects.select_related("project", "best_segment").prefetch_related(
        Prefetch("scores", queryset=scores), Prefetch("attributes", queryset=land_attributes())
    )
    return get_in_scope_or_404(qs, actor, pk=pk)
