"""Open complaints now, by project, without reading every open row: the group dashboard's
"open", "overdue", "escalated", "major" and "hot" figures at a million complaints.

``ComplaintOpenTally`` (rollup_models.py) holds additive deltas that database triggers (migration
0008) append in the writer's own transaction, keyed by (project, status, severity, escalated,
overdue day): the UTC day on which the complaint becomes overdue under ``selectors.overdue_q``.
``open_counts`` sums the keys — a complaint whose overdue day is before today is overdue now, one
whose day is after today is not — and counts the rows that fall due *today* live, from the
due-time indexes (a day's worth of rows at most), in the same round trip. So every figure is exact
at every moment, whatever the worker has or has not done.

``compact`` (Celery, every ten minutes) folds the deltas into one row per key and every day before
yesterday into ``PAST_DAY`` — sums unchanged, so readers see the same figures before, during and
after; ``rebuild`` recounts everything (the bench seeder, ``manage.py complaint_rollups --rebuild``).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone

from .models import Complaint, ComplaintOpenTally
from .selectors import overdue_q

LOCK_KEY = 7_402_119  # pg advisory lock: one compaction or rebuild at a time
PAST_DAY = dt.date(1970, 1, 1)  # every day before yesterday folds into this one key
KEYS = ("project_id", "status", "severity", "escalated", "overdue_day")
Status = Complaint.Status


def _utc_day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def open_counts(project_ids: list[int], *, now: dt.datetime) -> list[dict]:
    """Open complaints of ``project_ids`` at ``now``: one dict per (project, status, severity,
    escalated) with ``n`` (open) and ``overdue`` — one query (UNION ALL of the tally's sums and
    the live count of the rows that fell due today)."""
    if not project_ids:
        return []
    day_start = _utc_day_start(now)
    tally = (
        ComplaintOpenTally.objects.filter(project_id__in=project_ids)
        .order_by()
        .values("project_id", "status", "severity", "escalated")
        .annotate(
            total=Sum("n"),
            overdue=Sum("n", filter=Q(overdue_day__lt=day_start.date())),
        )
    )
    # Today's rows: overdue now but not yet at the start of the (UTC) day. Each half is an
    # ordered range of a due-time index bounded on both sides.
    today = (
        Complaint.objects.filter(project_id__in=project_ids)
        .filter(
            Q(status=Status.RECEIVED, first_response_due__gte=day_start, first_response_due__lt=now)
            | Q(status__in=[Status.RECEIVED, Status.IN_PROGRESS], resolution_due__gte=day_start, resolution_due__lt=now)
        )
        .filter(overdue_q(now))
        .exclude(overdue_q(day_start))
        .order_by()
        .annotate(escalated=ExpressionWrapper(Q(escalation_level__gt=0), output_field=BooleanField()))
        .values("project_id", "status", "severity", "escalated")
        .annotate(total=Value(0, output_field=IntegerField()), overdue=Count("*"))
    )
    merged: dict[tuple, dict] = {}
    for row in tally.union(today, all=True):
        key = (row["project_id"], row["status"], row["severity"], bool(row["escalated"]))
        out = merged.setdefault(
            key,
            {"project_id": key[0], "status": key[1], "severity": key[2], "escalated": key[3], "n": 0, "overdue": 0},
        )
        out["n"] += int(row["total"] or 0)
        out["overdue"] += int(row["overdue"] or 0)
    return [row for row in merged.values() if row["n"]]


def overdue_day():
    """The tally's key, as an ORM expression: the UTC day on which an open complaint becomes
    overdue (received: the earlier of its two due times; in progress: resolution; else never)."""
    earlier = Least(
        Coalesce("first_response_due", "resolution_due"),
        Coalesce("resolution_due", "first_response_due"),
    )
    due = Case(
        When(status=Status.RECEIVED, then=earlier),
        When(status=Status.IN_PROGRESS, then=F("resolution_due")),
    )
    return TruncDate(due, tzinfo=dt.UTC)


def counted() -> dict[tuple, int]:
    """The tally's keys counted from the complaints themselves (one GROUP BY): what the sums must be."""
    rows = (
        Complaint.objects.filter(status__in=Complaint.OPEN_STATUSES)
        .order_by()
        .annotate(
            escalated=ExpressionWrapper(Q(escalation_level__gt=0), output_field=BooleanField()),
            overdue_day=overdue_day(),
        )
        .values(*KEYS)
        .annotate(n=Count("*"))
    )
    return {tuple(r[k] for k in KEYS[:3]) + (bool(r["escalated"]), r["overdue_day"]): r["n"] for r in rows}


def _lock() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return cur.fetchone()[0]


def compact(*, now: dt.datetime | None = None) -> dict:
    """Fold the deltas into one row per key, days before yesterday into ``PAST_DAY``; returns
    ``{"skipped": bool, "rows": n}`` (delta rows read).

    Sums by (project, status, severity, escalated) and "before today" are unchanged, so readers
    get the same figures before, during and after (yesterday is kept as it is: a day of margin for
    a clock that is slightly off). PostgreSQL: one statement (``DELETE … RETURNING`` feeding the
    ``INSERT``, one snapshot) under a try-advisory lock, so a second run at the same time returns
    at once; a delta committed meanwhile is not in the snapshot and stays for the next run. SQLite:
    the transaction holds the database's write lock from its first statement.
    """
    fold_before = _utc_day_start(now or timezone.now()).date() - dt.timedelta(days=1)
    table = ComplaintOpenTally._meta.db_table
    keys = ", ".join(KEYS)
    day = "CASE WHEN overdue_day < %s THEN %s ELSE overdue_day END"
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            if not _lock():
                return {"skipped": True, "rows": 0}
            cur.execute(
                f"WITH gone AS (DELETE FROM {table} RETURNING *), "  # noqa: S608 - names are ours
                f"kept AS (INSERT INTO {table} ({keys}, n) "
                f"SELECT project_id, status, severity, escalated, {day}, SUM(n) FROM gone "
                "GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0) "
                "SELECT COUNT(*) FROM gone",
                [fold_before, PAST_DAY],
            )
            return {"skipped": False, "rows": cur.fetchone()[0]}
        cur.execute(f"SELECT MAX(id), COUNT(*) FROM {table}")  # noqa: S608 - names are ours
        last, rows = cur.fetchone()
        if not rows:
            return {"skipped": False, "rows": 0}
        cur.execute(
            f"INSERT INTO {table} ({keys}, n) "  # noqa: S608 - names are ours
            f"SELECT project_id, status, severity, escalated, {day}, SUM(n) FROM {table} "
            "WHERE id <= %s GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0",
            [fold_before, PAST_DAY, last],
        )
        cur.execute(f"DELETE FROM {table} WHERE id <= %s", [last])  # noqa: S608 - names are ours
        return {"skipped": False, "rows": rows}


def rebuild() -> dict:
    """Recount the tally from the complaints (one snapshot: a change committed meanwhile is
    either counted and its delta deleted, or neither). Returns ``{"keys": n}``."""
    table = ComplaintOpenTally._meta.db_table
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
                # One statement, one snapshot: the recount and the delete see the same rows.
                grouped = (
                    Complaint.objects.filter(status__in=Complaint.OPEN_STATUSES)
                    .order_by()
                    .annotate(
                        esc=ExpressionWrapper(Q(escalation_level__gt=0), output_field=BooleanField()),
                        day=overdue_day(),
                    )
                    .values("project_id", "status", "severity", "esc", "day")
                    .annotate(n=Count("*"))
                )
                sql, params = grouped.query.sql_with_params()
                cur.execute(
                    f"WITH gone AS (DELETE FROM {table}) "  # noqa: S608 - ours and Django's SQL
                    f"INSERT INTO {table} ({', '.join(KEYS)}, n) {sql}",
                    params,
                )
                cur.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - names are ours
                return {"keys": cur.fetchone()[0]}
        ComplaintOpenTally.objects.all().delete()  # SQLite: the write lock is held from here on
        current = counted()
        ComplaintOpenTally.objects.bulk_create(
            [
                ComplaintOpenTally(project_id=k[0], status=k[1], severity=k[2], escalated=k[3], overdue_day=k[4], n=n)
                for k, n in current.items()
            ],
            batch_size=2000,
        )
        return {"keys": len(current)}


def sums() -> dict[tuple, int]:
    """The tally's sums per key as stored (tests compare them with ``counted``; days before
    yesterday compare as ``PAST_DAY`` after a compaction)."""
    rows = ComplaintOpenTally.objects.order_by().values(*KEYS).annotate(total=Sum("n"))
    return {tuple(r[k] for k in KEYS): int(r["total"]) for r in rows if r["total"]}
