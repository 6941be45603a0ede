"""Daily complaint counts for the dashboards: exact, and cheap to read at millions of rows.

``ComplaintDayCount`` holds, per (project, local day, category, severity), the seven counts the
complaint KPIs are made of (see ``rollup_models``). Database triggers (migration 0004) append a
``ComplaintDayDirty`` row (project, UTC day) in the same transaction as every change that can move
a count: a complaint filed, deleted, or changed in project, filing time, category, severity,
status, due or done times; a follow-up call made, changed or deleted (its day, and its complaint's
resolved day, whose "revisited" count it moves).

Readers (``complaint_day_counts``) add the rollup rows of the days that are not dirty to a live
count of the dirty ones (a UTC day makes its local day and both neighbours dirty, so any time
zone is covered), in two queries whatever the period or number of projects. ``rollups_refresh``
(Celery, every minute) recounts the dirty days into the rollup and deletes exactly the dirty rows
it read; ``rollups_rebuild`` recounts everything (the bench seeder and ``manage.py
complaint_rollups --rebuild``). Every count — live, refresh, rebuild — comes from the one
definition in ``_live_parts``, so the three cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from functools import reduce

from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Complaint, ComplaintDayCount, ComplaintDayDirty, Revisit
from .rollup_models import COUNT_FIELDS

DIMS = {"project": "p", "day": "d", "category": "c", "severity": "s"}
LOCK_KEY = 7_402_113  # pg advisory lock held by a refresh or a rebuild
REFRESH_BATCH = 20_000  # dirty marks folded per refresh run (the next run takes the rest)
WINDOWS_PER_STATEMENT = 200  # keeps OR-lists well inside SQLite's expression depth
ON_TIME = Q(first_responded_at__lte=F("first_response_due"), resolved_at__lte=F("resolution_due"))
_ONE_DAY = dt.timedelta(days=1)


# --- the one definition of the counts ------------------------------------------------------------


def _zero():
    return Value(0, output_field=IntegerField())


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    lo = timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz)
    hi = timezone.make_aware(dt.datetime.combine(last + _ONE_DAY, dt.time.min), tz)
    return lo, hi


def _time_q(windows, field: str, project_field: str) -> Q:
    terms = []
    for pid, first, last in windows:
        lo, hi = _bounds(first, last)
        terms.append(Q(**{project_field: pid, f"{field}__gte": lo, f"{field}__lt": hi}))
    return reduce(operator.or_, terms)


def _day_q(windows) -> Q:
    return reduce(operator.or_, (Q(project_id=pid, day__gte=first, day__lte=last) for pid, first, last in windows))


def _live_parts(windows=None) -> list:
    """Three grouped querysets of identical shape (p, d, c, s, n_<count>…): filed, resolved and
    follow-up calls, counted from the rows — restricted to ``windows`` [(project, first, last)]
    of local days, or everything when None."""
    tz = timezone.get_default_timezone()
    filed = Complaint.objects.all()
    resolved = Complaint.objects.filter(resolved_at__isnull=False)
    calls = Revisit.objects.all()
    if windows is not None:
        filed = filed.filter(_time_q(windows, "created_at", "project_id"))
        resolved = resolved.filter(_time_q(windows, "resolved_at", "project_id"))
        calls = calls.filter(_time_q(windows, "created_at", "complaint__project_id"))
    z = _zero
    filed = (
        filed.order_by()
        .annotate(p=F("project_id"), d=TruncDate("created_at", tzinfo=tz), c=F("category"), s=F("severity"))
        .values("p", "d", "c", "s")
        .annotate(
            n_filed=Count("pk"),
            n_closed=Count("pk", filter=Q(status=Complaint.Status.CLOSED)),
            n_resolved=z(),
            n_on_time=z(),
            n_revisited=z(),
            n_revisits=z(),
            n_satisfied=z(),
        )
    )
    resolved = (
        resolved.order_by()
        .annotate(p=F("project_id"), d=TruncDate("resolved_at", tzinfo=tz), c=F("category"), s=F("severity"))
        .values("p", "d", "c", "s")
        .annotate(
            n_filed=z(),
            n_closed=z(),
            n_resolved=Count("pk"),
            n_on_time=Count("pk", filter=ON_TIME),
            n_revisited=Count("pk", filter=Q(Exists(Revisit.objects.filter(complaint=OuterRef("pk"))))),
            n_revisits=z(),
            n_satisfied=z(),
        )
    )
    calls = (
        calls.order_by()
        .annotate(
            p=F("complaint__project_id"),
            d=TruncDate("created_at", tzinfo=tz),
            c=F("complaint__category"),
            s=F("complaint__severity"),
        )
        .values("p", "d", "c", "s")
        .annotate(
            n_filed=z(),
            n_closed=z(),
            n_resolved=z(),
            n_on_time=z(),
            n_revisited=z(),
            n_revisits=Count("pk"),
            n_satisfied=Count("pk", filter=Q(satisfied=True)),
        )
    )
    return [filed, resolved, calls]


def _union_sql(parts) -> tuple[str, list]:
    sqls, params = [], []
    for qs in parts:
        sql, p = qs.query.get_compiler(connection=connection).as_sql()
        sqls.append(f"SELECT * FROM ({sql}) part{len(sqls)}")  # noqa: S608 - compiled ORM SQL, values as params
        params.extend(p)
    return " UNION ALL ".join(sqls), params


_SUMS = ", ".join(f"SUM(u.n_{f})" for f in COUNT_FIELDS)


def _insert(parts) -> None:
    """INSERT … SELECT the grouped counts of ``parts`` into the rollup (one statement)."""
    union, params = _union_sql(parts)
    table = ComplaintDayCount._meta.db_table
    cols = ", ".join(("project_id", "day", "category", "severity", *COUNT_FIELDS))
    sql = f"INSERT INTO {table} ({cols}) SELECT u.p, u.d, u.c, u.s, {_SUMS} FROM ({union}) u GROUP BY u.p, u.d, u.c, u.s"  # noqa: S608 - ours
    with connection.cursor() as cur:
        cur.execute(sql, params)


# --- reading --------------------------------------------------------------------------------------


def _windows(days_by_project: dict[int, set[dt.date]]) -> list[tuple[int, dt.date, dt.date]]:
    """Contiguous runs of days per project: [(project, first, last)]."""
    out = []
    for pid in sorted(days_by_project):
        days = sorted(days_by_project[pid])
        if not days:
            continue
        first = last = days[0]
        for d in days[1:]:
            if d == last + _ONE_DAY:
                last = d
                continue
            out.append((pid, first, last))
            first = last = d
        out.append((pid, first, last))
    return out


def _spans(windows) -> dict[int, tuple[dt.date, dt.date]]:
    """Each project's first and last day over its windows."""
    out = {}
    for pid, first, last in windows:
        lo, hi = out.get(pid, (first, last))
        out[pid] = (min(lo, first), max(hi, last))
    return out


def _local_days(utc_day: dt.date):
    return (utc_day - _ONE_DAY, utc_day, utc_day + _ONE_DAY)


def _as_date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def complaint_day_counts(*, project_ids: list[int], start: dt.date, end: dt.date, group_by=("project",)) -> list[dict]:
    """Counts of complaints in ``project_ids`` for local days ``start``..``end`` (inclusive), grouped
    by any of project, day, category, severity: rows {dim: value, filed, closed, resolved,
    on_time, revisited, revisits, satisfied}. Two queries. The caller scopes ``project_ids``."""
    if not project_ids:
        return []
    dims = [DIMS[g] for g in group_by]
    marks = (
        ComplaintDayDirty.objects.filter(project_id__in=project_ids, day__gte=start - _ONE_DAY, day__lte=end + _ONE_DAY)
        .values_list("project_id", "day")
        .distinct()
    )
    dirty = defaultdict(set)
    for pid, day in marks:
        dirty[pid].update(d for d in _local_days(day) if start <= d <= end)
    windows = _windows(dirty)
    if len(windows) > WINDOWS_PER_STATEMENT:
        # Any superset of the dirty days gives the same figures (those days are counted live):
        # one range per project keeps the statement short when the worker has fallen behind.
        windows = _windows({pid: {min(days), max(days)} for pid, days in dirty.items() if days})
        windows = [(pid, first, last) for pid, (first, last) in _spans(windows).items()]
    rollup = ComplaintDayCount.objects.filter(project_id__in=project_ids, day__gte=start, day__lte=end)
    if windows:
        rollup = rollup.exclude(_day_q(windows))
    rollup = rollup.order_by().annotate(
        p=F("project_id"), d=F("day"), c=F("category"), s=F("severity"), **{f"n_{f}": F(f) for f in COUNT_FIELDS}
    )
    parts = [rollup.values("p", "d", "c", "s", *(f"n_{f}" for f in COUNT_FIELDS))]
    if windows:
        parts += _live_parts(windows)
    union, params = _union_sql(parts)
    select = ", ".join([*(f"u.{d}" for d in dims), _SUMS])
    sql = f"SELECT {select} FROM ({union}) u"  # noqa: S608 - column names are ours
    if dims:
        sql += " GROUP BY " + ", ".join(f"u.{d}" for d in dims)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    out = []
    for row in rows:
        item = dict(zip(group_by, row[: len(dims)], strict=True))
        if "day" in item:
            item["day"] = _as_date(item["day"])
        item.update({f: int(v or 0) for f, v in zip(COUNT_FIELDS, row[len(dims) :], strict=True)})
        out.append(item)
    return out


# --- keeping it up to date ------------------------------------------------------------------------


def _lock(*, wait: bool) -> bool:
    """One refresh or rebuild at a time (PostgreSQL advisory lock, released at commit)."""
    if connection.vendor != "postgresql":
        return True  # SQLite serialises writers itself
    with connection.cursor() as cur:
        if wait:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cur.fetchone()[0])


def rollups_refresh(*, batch: int = REFRESH_BATCH) -> dict:
    """Fold the dirty days into the rollup. Idempotent; a second run at the same time returns
    ``{"skipped": True}`` at once. Reads the dirty marks first and deletes only those, so a change
    committed meanwhile keeps its mark (and is counted live) until the next run."""
    with transaction.atomic():
        if not _lock(wait=False):
            return {"skipped": True, "marks": 0, "days": 0}
        marks = list(ComplaintDayDirty.objects.order_by("id").values_list("id", "project_id", "day")[:batch])
        if not marks:
            return {"skipped": False, "marks": 0, "days": 0}
        days = defaultdict(set)
        for _id, pid, day in marks:
            days[pid].update(_local_days(day))
        windows = _windows(days)
        for i in range(0, len(windows), WINDOWS_PER_STATEMENT):
            chunk = windows[i : i + WINDOWS_PER_STATEMENT]
            ComplaintDayCount.objects.filter(_day_q(chunk)).delete()
            _insert(_live_parts(chunk))
        ids = [m[0] for m in marks]
        for i in range(0, len(ids), 900):
            ComplaintDayDirty.objects.filter(id__in=ids[i : i + 900]).delete()
        return {"skipped": False, "marks": len(marks), "days": sum(len(v) for v in days.values())}


def rollups_rebuild() -> dict:
    """Recount every day from the rows (set-based: one INSERT … SELECT). Waits for a running refresh."""
    with transaction.atomic():
        _lock(wait=True)
        # Marks first: a change committed after this statement keeps its mark (counted live).
        ComplaintDayDirty.objects.all().delete()
        ComplaintDayCount.objects.all().delete()
        _insert(_live_parts())
        return {"rows": ComplaintDayCount.objects.count()}
