"""Every read of complaints used by pages, the API and other apps: scoped to the actor with
``estates.access``, related rows loaded for a whole page, aggregates done in the database with a
fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from estates.access import get_in_scope_or_404, project_ids_for, scope_to_actor
from estates.models import Customer, Project, User

from . import rules
from .models import (
    SEVERITY_CODES,
    Case,
    Category,
    Complaint,
    ComplaintEvent,
    GroupCluster,
    Revisit,
    Severity,
)

Status = Complaint.Status


def overdue_q(now: datetime) -> Q:
    """The database form of ``rules.is_overdue`` (both halves answered by partial indexes)."""
    return Q(status=Status.RECEIVED, first_response_due__lt=now) | Q(
        status__in=[Status.RECEIVED, Status.IN_PROGRESS], resolution_due__lt=now
    )


def complaint_list(*, actor) -> QuerySet[Complaint]:
    return scope_to_actor(Complaint.objects.select_related("project", "unit", "assignee", "customer"), actor)


def complaint_get(*, actor, pk) -> Complaint:
    """One complaint in the actor's scope, with its timeline; 404 for anything else."""
    qs = Complaint.objects.select_related(
        "project", "unit__building", "customer", "assignee", "department", "cluster"
    ).prefetch_related(
        Prefetch("events", queryset=ComplaintEvent.objects.select_related("actor").order_by("at", "pk")),
        Prefetch("revisits", queryset=Revisit.objects.select_related("actor").order_by("created_at")),
        Prefetch("escalations"),
    )
    return get_in_scope_or_404(qs, actor, pk=pk)


def _api_timeline() -> Prefetch:
    # The API shows each event's actor label, never the user row: no join.
    return Prefetch("events", queryset=ComplaintEvent.objects.order_by("at", "pk"))


def complaint_get_for_api(*, actor, pk) -> Complaint:
    """One complaint in scope with what its API representation shows: the row with its project,
    unit, customer and handler joined, and its timeline (two queries)."""
    qs = Complaint.objects.select_related("project", "unit", "customer", "assignee").prefetch_related(_api_timeline())
    return get_in_scope_or_404(qs, actor, pk=pk)


def complaint_timeline_load(complaint: Complaint) -> Complaint:
    """A complaint just written, in hand: load its timeline for the API representation (one query)."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects([complaint], _api_timeline())
    return complaint


def complaint_get_for_action(*, actor, pk) -> Complaint:
    """The bare row for a workflow action (the service locks and re-reads it)."""
    return get_in_scope_or_404(Complaint.objects.select_related("project"), actor, pk=pk)


def complaint_case(*, complaint: Complaint) -> Case | None:
    return Case.objects.filter(complaint=complaint).first()


def allowed_actions(*, complaint: Complaint) -> list[str]:
    actions = list(rules.ACTIONS_BY_STATUS.get(complaint.status, ()))
    if complaint.status == Status.RESOLVED and not any(r.created_at >= complaint.resolved_at for r in complaint.revisits.all()):
        actions.remove("close")
    return actions


COUNT_CAP = 100_000  # lists longer than this show "100,000+" (see tier_counts)


def tier_counts(queryset: QuerySet[Complaint], *, now: datetime, cap: int = COUNT_CAP) -> dict:
    """Counts by tier, the total and the overdue count of a (filtered) list, in one round trip:
    two bounded counts, each to ``cap + 1`` rows, joined by ``UNION ALL`` so that each keeps its
    own plan.

    Both count rows, never a column, so PostgreSQL answers them with index-only scans: the GROUP
    BY severity from the partial covering index over open complaints (``complaint_open_inbox``)
    when the list is of open ones, else from (project, severity); the overdue count from the
    partial indexes over open complaints (an overdue complaint is open; index-only for a list of
    open ones, a bitmap heap scan of the open rows for a list of every status). Folding the overdue count
    into the GROUP BY's subquery (``COUNT(*) FILTER (WHERE overdue)``) would make a list of every
    status read the table for the due times: 300-500 ms instead of ~45 ms for a project of 56,000
    complaints at 1M. Any list a project can have is counted exactly; a group-wide list
    of every complaint ever filed stops at ``cap``: ``total`` is then ``cap + 1`` (and ``overdue``
    at most that) and the tiers are None — the page says "more than 100,000" and asks for a
    filter — instead of scanning a million rows on every page view.
    """
    base = queryset.order_by()
    rows = base.annotate(tier=F("severity")).values("tier")[: cap + 1]
    late = base.filter(overdue_q(now)).values("pk")[: cap + 1]
    try:
        rows_sql, rows_params = rows.query.sql_with_params()
        late_sql, late_params = late.query.sql_with_params()
    except EmptyResultSet:  # an actor without projects: nothing to count
        found, overdue = {}, 0
    else:
        sql = (
            f"SELECT tier, COUNT(*) FROM ({rows_sql}) bounded GROUP BY tier"  # noqa: S608 - Django's SQL
            f" UNION ALL SELECT -1, COUNT(*) FROM ({late_sql}) late"
        )
        with connections[rows.db].cursor() as cursor:
            cursor.execute(sql, (*rows_params, *late_params))
            found = dict(cursor.fetchall())
        overdue = found.pop(-1, 0)
    counts = {SEVERITY_CODES[Severity(value)]: found.get(value, 0) for value in SEVERITY_CODES}
    counts["total"] = sum(counts.values())
    counts["overdue"] = overdue
    if counts["total"] > cap:
        counts.update(dict.fromkeys(SEVERITY_CODES.values()))
    return counts


def assignable_staff(*, project: Project) -> QuerySet[User]:
    """Staff who may be named responsible: active and seeing the project."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(projects=project) | Q(role__in=["group_centre", "admin"]))
        .distinct()
        .order_by("username")
    )


def staff_by_username(*, project: Project, username: str) -> User | None:
    return assignable_staff(project=project).filter(username=username).first()


def customer_complaints(*, actor, customer: Customer, limit: int = 20) -> list[Complaint]:
    """The customer's complaints the actor may see (the customer-page panel): one query."""
    qs = complaint_list(actor=actor).filter(Q(customer=customer) | Q(complainants=customer)).distinct()
    return list(qs.order_by("-created_at")[:limit])


# --- Clusters and cases ----------------------------------------------------------------------------


def cluster_list(*, actor, min_complainants: int = 2) -> QuerySet[GroupCluster]:
    return (
        scope_to_actor(GroupCluster.objects.select_related("project", "building"), actor)
        .filter(complainant_count__gte=min_complainants)
        .order_by("-complainant_count", "-last_at")
    )


def cluster_get(*, actor, pk) -> GroupCluster:
    qs = GroupCluster.objects.select_related("project", "building").prefetch_related(
        Prefetch("members", queryset=Complaint.objects.select_related("unit", "assignee").order_by("created_at"))
    )
    return get_in_scope_or_404(qs, actor, pk=pk)


def cluster_timeline(*, cluster: GroupCluster) -> QuerySet[ComplaintEvent]:
    return (
        ComplaintEvent.objects.filter(complaint__cluster=cluster).select_related("complaint", "actor").order_by("at", "pk")[:200]
    )


def case_list(*, actor, search: str = "") -> QuerySet[Case]:
    """Cases are shared across every project the reader may see."""
    qs = scope_to_actor(Case.objects.select_related("project", "complaint", "author"), actor)
    search = (search or "").strip()
    if search:
        qs = qs.filter(
            Q(title__icontains=search)
            | Q(background__icontains=search)
            | Q(causes__icontains=search)
            | Q(handling__icontains=search)
            | Q(lessons__icontains=search)
            | Q(complaint__reference__iexact=search)
        )
    return qs.order_by("-created_at")


def case_get(*, actor, pk) -> Case:
    return get_in_scope_or_404(Case.objects.select_related("project", "complaint", "author"), actor, pk=pk)


# --- KPIs and summaries ----------------------------------------------------------------------------


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the server's zone: both dates are inclusive."""
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def _scoped(actor, project: Project | None, model=Complaint, project_field: str = "project"):
    qs = scope_to_actor(model.objects.all(), actor, project_field=project_field)
    if project is not None:
        qs = qs.filter(**{project_field: project})
    return qs


def complaint_kpis(*, actor, project: Project | None = None, start: date, end: date) -> dict:
    """The contract's KPIs for a period (dates inclusive), in three queries.

    satisfaction = satisfied revisits / revisits (calls made in the period);
    on time = complaints resolved in the period whose first response and resolution both met
    their due times / complaints resolved in the period; closure = closed / filed in the period;
    revisit = resolved in the period with a follow-up call / resolved in the period.
    Each is 0..1, or None when there is nothing to measure.
    """
    lo, hi = period_bounds(start, end)
    complaints = _scoped(actor, project)
    filed = complaints.filter(created_at__gte=lo, created_at__lt=hi)
    resolved = complaints.filter(resolved_at__gte=lo, resolved_at__lt=hi)
    resolved_row = resolved.aggregate(
        resolved=Count("pk"),
        on_time=Count("pk", filter=Q(first_responded_at__lte=F("first_response_due"), resolved_at__lte=F("resolution_due"))),
        revisited=Count("pk", filter=Q(Exists(Revisit.objects.filter(complaint=OuterRef("pk"))))),
    )
    revisit_row = (
        _scoped(actor, project, Revisit, "complaint__project")
        .filter(created_at__gte=lo, created_at__lt=hi)
        .aggregate(calls=Count("pk"), satisfied=Count("pk", filter=Q(satisfied=True)))
    )
    by_category = {code: {"filed": 0, "closed": 0} for code in Category.values}
    by_severity = {code: {"filed": 0, "closed": 0} for code in SEVERITY_CODES.values()}
    filed_total = closed_total = 0
    rows = (
        filed.order_by()
        .values("category", "severity")
        .annotate(n=Count("pk"), closed=Count("pk", filter=Q(status=Status.CLOSED)))
    )
    for row in rows:
        sev = SEVERITY_CODES[Severity(row["severity"])]
        for bucket in (by_category[row["category"]], by_severity[sev]):
            bucket["filed"] += row["n"]
            bucket["closed"] += row["closed"]
        filed_total += row["n"]
        closed_total += row["closed"]
    return {
        "satisfaction_rate": rules.rate(revisit_row["satisfied"], revisit_row["calls"]),
        "on_time_rate": rules.rate(resolved_row["on_time"], resolved_row["resolved"]),
        "closure_rate": rules.rate(closed_total, filed_total),
        "revisit_rate": rules.rate(resolved_row["revisited"], resolved_row["resolved"]),
        "targets": dict(rules.TARGETS),
        "by_category": by_category,
        "by_severity": by_severity,
        "counts": {
            "filed": filed_total,
            "closed": closed_total,
            "resolved": resolved_row["resolved"],
            "on_time": resolved_row["on_time"],
            "revisited": resolved_row["revisited"],
            "revisits": revisit_row["calls"],
            "satisfied": revisit_row["satisfied"],
        },
    }


def complaint_project_summary(
    *, actor, project: Project | None = None, start: date | None = None, end: date | None = None, now: datetime | None = None
) -> dict:
    """Counts by category, severity and status, the open and overdue counts — two queries.

    Filed in [start, end] when given, else all; for the dashboards to compose.
    """
    now = now or timezone.now()
    qs = _scoped(actor, project).order_by()
    if start and end:
        lo, hi = period_bounds(start, end)
        qs = qs.filter(created_at__gte=lo, created_at__lt=hi)
    by_category = dict.fromkeys(Category.values, 0)
    by_severity = dict.fromkeys(SEVERITY_CODES.values(), 0)
    by_status = dict.fromkeys(Status.values, 0)
    for row in qs.values("category", "severity", "status").annotate(n=Count("pk")):
        by_category[row["category"]] += row["n"]
        by_severity[SEVERITY_CODES[Severity(row["severity"])]] += row["n"]
        by_status[row["status"]] += row["n"]
    totals = qs.aggregate(overdue=Count("pk", filter=overdue_q(now)), escalated=Count("pk", filter=Q(escalation_level__gt=0)))
    return {
        "total": sum(by_status.values()),
        "open": sum(by_status[s] for s in Complaint.OPEN_STATUSES),
        "overdue": totals["overdue"],
        "escalated": totals["escalated"],
        "by_category": by_category,
        "by_severity": by_severity,
        "by_status": by_status,
    }


def projects_for_filter(*, actor) -> QuerySet[Project]:
    ids = project_ids_for(actor)
    qs = Project.objects.all() if ids is None else Project.objects.filter(pk__in=ids)
    return qs.order_by("code")


def _day_bounds(start: date | None, end: date | None) -> dict:
    """created_at-style range lookups for inclusive days in the server's zone (Asia/Shanghai)."""
    tz = timezone.get_current_timezone()
    lookups = {}
    if start:
        lookups["gte"] = datetime.combine(start, time.min, tzinfo=tz)
    if end:
        lookups["lt"] = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    return lookups


def complaint_inbox(
    *,
    actor,
    project: str = "",
    status: str = "",
    open: str = "",  # the query-string key (shadows the builtin here only)
    severity: int | None = None,
    category: str = "",
    channel: str = "",
    overdue: str = "",
    escalated: str = "",
    assignee: str = "",
    filed_from: date | None = None,
    filed_to: date | None = None,
    resolved_from: date | None = None,
    resolved_to: date | None = None,
    revisited_from: date | None = None,
    revisited_to: date | None = None,
    q: str = "",
    now: datetime | None = None,
):
    """The staff inbox: the actor's complaints, filtered, newest first.

    Every filter is served by an index: (project, status, created_at) and the partial indexes over
    open complaints (``open``, the tier counts), over escalated complaints (``escalated``),
    (project, created_at) for the filing dates, (project, resolved_at) for the resolution dates and
    the follow-up calls' created_at for ``revisited_*``. Dates are inclusive days in the server's
    zone, so a dashboard figure "filed in the period" opens a list of exactly those complaints.
    """
    now = now or timezone.now()
    qs = complaint_list(actor=actor)
    if project:
        qs = qs.filter(project__code=project)
    if status:
        qs = qs.filter(status=status)
    if open == "yes":
        qs = qs.filter(status__in=Complaint.OPEN_STATUSES)
    elif open == "no":
        qs = qs.exclude(status__in=Complaint.OPEN_STATUSES)
    if escalated == "yes":
        qs = qs.filter(escalation_level__gt=0)
    elif escalated == "no":
        qs = qs.filter(escalation_level=0)
    for field, (start, end) in (("created_at", (filed_from, filed_to)), ("resolved_at", (resolved_from, resolved_to))):
        for lookup, value in _day_bounds(start, end).items():
            qs = qs.filter(**{f"{field}__{lookup}": value})
    revisit_range = _day_bounds(revisited_from, revisited_to)
    if revisit_range:
        calls = Revisit.objects.filter(complaint=OuterRef("pk"), **{f"created_at__{k}": v for k, v in revisit_range.items()})
        qs = qs.filter(Exists(calls))
    if severity is not None:
        qs = qs.filter(severity=severity)
    if category:
        qs = qs.filter(category=category)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue == "yes":
        qs = qs.filter(overdue_q(now))
    elif overdue == "no":
        qs = qs.exclude(overdue_q(now))
    if assignee == "me":
        qs = qs.filter(assignee=actor)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(reference__iexact=q) | Q(contact_phone=q))
    return qs.order_by("-created_at", "-pk")


# The inbox page's columns: the list, its related names and nothing else (no description, no
# customer: the page shows neither; the export loads what it needs itself).
INBOX_PAGE_COLUMNS = (
    "reference",
    "title",
    "severity",
    "status",
    "category",
    "channel",
    "escalation_level",
    "first_response_due",
    "resolution_due",
    "created_at",
    "project__name",
    "unit__number",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


def inbox_page_columns(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """``complaint_inbox``'s rows with only the columns the inbox page renders, in one query."""
    return queryset.select_related(None).select_related("project", "unit", "assignee").only(*INBOX_PAGE_COLUMNS)


def complaint_export(*, actor, **filters) -> QuerySet[Complaint]:
    """The inbox's rows for an export: the same scope, filters and order, with the customer's
    ID number and the people a row names loaded in the same query (no query per row)."""
    return complaint_inbox(actor=actor, **filters).select_related("customer", "unit", "assignee", "project")


def customers_for_intake(*, actor, find: str, limit: int = 10) -> list[dict]:
    """Customers matching a phone, name or unit number, each with their contracts in scope —
    three queries whatever the number of matches."""
    from estates import selectors as estate_selectors
    from estates.models import Contract

    find = (find or "").strip()
    if len(find) < 2:
        return []
    customers = list(estate_selectors.customer_list(actor=actor, search=find)[:limit])
    contracts = scope_to_actor(
        Contract.objects.filter(customers__in=customers)
        .select_related("project", "unit__building")
        .prefetch_related("customers"),
        actor,
    ).distinct()
    by_customer: dict[int, list] = {c.pk: [] for c in customers}
    for contract in contracts:
        for owner in contract.customers.all():
            if owner.pk in by_customer:
                by_customer[owner.pk].append(contract)
    return [{"customer": c, "contracts": by_customer[c.pk]} for c in customers]


def customer_for_intake(*, actor, pk) -> Customer | None:
    from estates import selectors as estate_selectors

    return estate_selectors.customer_list(actor=actor).filter(pk=pk).first()


# --- For other apps' periodic jobs (read-only, run as the system, not for an actor) ----------------


def complaints_closed_between(*, start: datetime | None, end: datetime) -> list[dict]:
    """Complaints closed in [start, end) that are still closed, oldest first, as plain rows
    ``{"id", "project_id", "unit_id", "customer_id", "closed_at"}`` — one query.

    For the satisfaction app's survey after a complaint is closed (its daily run): a system read
    with no actor scope, so callers must not show the rows to anyone. A reopened complaint has no
    ``closed_at`` and is not returned until it is closed again. ``start`` None means no lower bound.
    """
    qs = Complaint.objects.filter(status=Status.CLOSED, closed_at__lt=end)
    if start is not None:
        qs = qs.filter(closed_at__gte=start)
    return list(qs.order_by("closed_at", "pk").values("id", "project_id", "unit_id", "customer_id", "closed_at"))


def complaints_filed_between(*, actor, start: date, end: date, project: Project | None = None) -> QuerySet[Complaint]:
    """The actor's complaints (of ``project`` if given) filed from ``start`` to ``end`` (dates
    inclusive, in the server's zone), unordered: for other apps to aggregate in the database with
    ``values(...).annotate(...)`` (the segments app's complaints per 100 households)."""
    lo, hi = period_bounds(start, end)
    return _scoped(actor, project).filter(created_at__gte=lo, created_at__lt=hi).order_by()
