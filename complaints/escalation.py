"""The escalation ladder, who is told at each level, and the SLA sweep.

The sweep asks four partial indexes which complaints have passed a due time (first response,
resolution, a week's age, a month's age), locks them with ``FOR UPDATE SKIP LOCKED`` so that two
sweeps share the work instead of doubling it, and handles a batch with a fixed number of queries:
one escalation per breach (a unique (complaint, level) row), tiers raised by age, events written,
due times re-derived for raised tiers. Notifications go through ``estates.notifications.notify``
with a dedupe key per (complaint, level), so a task delivered twice notifies once.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Project, User
from estates.notifications import Message, notify, notify_many

from . import rules, sla
from .models import SEVERITY_CODES, Complaint, ComplaintEvent, Escalation, EscalationLevel, Severity

# A batch costs the same dozen queries whether it holds one complaint or 5,000: a minute's worth of
# breaches, even at a million complaints, is one batch.
SWEEP_BATCH = 5000
SWEEP_MAX_BATCHES = 20
RUNNING = [s.value for s in Complaint.RUNNING_STATUSES]

# reason -> (due-time field, the partial index's condition, severity the breach raises to)
BREACHES = {
    Escalation.Reason.FIRST_RESPONSE: (
        "first_response_due",
        Q(status=Complaint.Status.RECEIVED, first_response_breached=False),
        None,
    ),
    Escalation.Reason.RESOLUTION: ("resolution_due", Q(status__in=RUNNING, resolution_breached=False), None),
    Escalation.Reason.HOT_AGE: ("hot_at", Q(status__in=RUNNING, severity__lt=Severity.HOT), Severity.HOT),
    Escalation.Reason.MAJOR_AGE: ("major_at", Q(status__in=RUNNING, severity__lt=Severity.MAJOR), Severity.MAJOR),
}


def _url(complaint: Complaint) -> str:
    # reverse() costs a millisecond; the sweep builds thousands of links: derive them from one.
    return _detail_url_pattern(get_script_prefix()).replace("/0/", f"/{complaint.pk}/")


@functools.lru_cache(maxsize=8)
def _detail_url_pattern(_script_prefix: str) -> str:
    return reverse("complaints:detail", args=[0])


# --- Who is told -----------------------------------------------------------------------------------


class Staffing:
    """Everyone the ladder may notify, loaded once (two queries) for any number of complaints."""

    def __init__(self, levels):
        roles = {lv.notify_role for lv in levels if lv.notify_role}
        self.users = list(User.objects.filter(is_active=True, role__in=roles).prefetch_related("projects")) if roles else []
        # Each user's projects and cities, read once: the sweep asks for thousands of complaints.
        self._reach = {
            user.pk: ({p.pk for p in user.projects.all()}, {p.city for p in user.projects.all()}) for user in self.users
        }

    def for_level(self, level: EscalationLevel | None, complaint: Complaint) -> list[User]:
        if level is None:
            return []
        if level.scope == EscalationLevel.Scope.HANDLER:
            return [complaint.assignee] if complaint.assignee_id else []
        people = []
        for user in self.users:
            if user.role != level.notify_role:
                continue
            project_ids, cities = self._reach[user.pk]
            if level.scope == EscalationLevel.Scope.GROUP:
                in_scope = True
            elif level.scope == EscalationLevel.Scope.PROJECT:
                in_scope = complaint.project_id in project_ids
            elif level.scope == EscalationLevel.Scope.CITY:
                in_scope = complaint.project.city in cities
            else:
                in_scope = False
            if in_scope:
                people.append(user)
        return people


def ladder() -> dict[int, EscalationLevel]:
    return {lv.level: lv for lv in EscalationLevel.objects.all()}


def _level_message(
    *, complaint: Complaint, level: EscalationLevel | None, staffing: Staffing, reason: str, key: str
) -> Message | None:
    recipients = staffing.for_level(level, complaint)
    if complaint.assignee_id and complaint.assignee not in recipients:
        recipients.append(complaint.assignee)
    if not recipients:
        return None
    title = _("%(reference)s escalated to %(level)s: %(reason)s") % {
        "reference": complaint.reference,
        "level": level.name if level else "-",
        "reason": Escalation.Reason(reason).label,
    }
    return Message(tuple(recipients), "complaint_escalated", title, key, complaint.title, _url(complaint), complaint.project)


def _notify_level(*, complaint: Complaint, level: EscalationLevel | None, staffing: Staffing, reason: str, key: str) -> None:
    message = _level_message(complaint=complaint, level=level, staffing=staffing, reason=reason, key=key)
    if message is not None:
        notify_many([message])


# --- One escalation --------------------------------------------------------------------------------


def escalate_one(*, complaint: Complaint, actor, reason: str, detail: str = "", levels=None) -> Escalation | None:
    """Move a locked complaint one level up (one row per (complaint, level)); None at the top."""
    from .services import event_record

    levels = levels or ladder()
    target = complaint.escalation_level + 1
    if target not in levels:
        return None
    user = actor if isinstance(actor, User) else None
    try:
        with transaction.atomic():
            row = Escalation.objects.create(complaint=complaint, level=target, reason=reason, detail=detail, actor=user)
    except IntegrityError:
        return None  # someone else reached this level first; their row is the one
    before = complaint.escalation_level
    complaint.escalation_level = target
    complaint.save(update_fields=["escalation_level", "updated_at"])
    event_record(
        complaint=complaint,
        actor=actor,
        kind=ComplaintEvent.Kind.ESCALATED,
        before={"escalation_level": before},
        after={"escalation_level": target, "reason": reason},
        detail=detail,
    )
    _notify_level(
        complaint=complaint,
        level=levels[target],
        staffing=Staffing([levels[target]]),
        reason=reason,
        key=f"complaint:{complaint.pk}:escalation:{target}",
    )
    return row


def notify_filed(*, complaint: Complaint) -> None:
    """Early warning (投诉预警): a complaint filed hot or major goes to level 1 at once."""
    recipients = [complaint.assignee] if complaint.assignee_id else []
    if complaint.severity >= Severity.HOT:
        levels = ladder()
        recipients += Staffing([levels[1]]).for_level(levels.get(1), complaint) if 1 in levels else []
    notify(
        recipients=recipients,
        kind="complaint_filed",
        title=_("New %(severity)s complaint %(reference)s")
        % {"severity": Severity(complaint.severity).label, "reference": complaint.reference},
        body=complaint.title,
        url=_url(complaint),
        dedupe_key=f"complaint:{complaint.pk}:filed",
        project=complaint.project,
    )


def notify_assigned(*, complaint: Complaint) -> None:
    notify(
        recipients=[complaint.assignee],
        kind="complaint_assigned",
        title=_("Complaint %(reference)s assigned to you") % {"reference": complaint.reference},
        body=complaint.title,
        url=_url(complaint),
        dedupe_key=f"complaint:{complaint.pk}:assigned:{complaint.assignee_id}:{complaint.updated_at.timestamp()}",
        project=complaint.project,
    )


def notify_status(*, complaint: Complaint, kind: str) -> None:
    if kind != "reopened":
        return
    levels = ladder()
    recipients = Staffing([levels[1]]).for_level(levels[1], complaint) if 1 in levels else []
    notify(
        recipients=recipients,
        kind="complaint_reopened",
        title=_("Complaint %(reference)s reopened") % {"reference": complaint.reference},
        body=complaint.title,
        url=_url(complaint),
        dedupe_key=f"complaint:{complaint.pk}:reopened:{complaint.reopen_count}",
        project=complaint.project,
    )


# --- The sweep -------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    complaints: int = 0
    escalations: int = 0
    raised: int = 0
    batches: int = 0
    reasons: dict = field(default_factory=lambda: defaultdict(int))


def due_condition(now: datetime) -> Q:
    """Any of the four breaches: each arm is answered by its own partial index (a BitmapOr)."""
    condition = Q(pk__in=[])
    for due_field, arm, _raise_to in BREACHES.values():
        condition |= arm & Q(**{f"{due_field}__lt": now})
    return condition


def _claimable(now: datetime, limit: int) -> Q:
    """Which rows a batch may claim. On PostgreSQL the ids come from the four index-ordered
    questions joined by UNION ALL (each an index range scan, whatever the statistics say: an OR
    of the four let the planner choose a sequential scan of the table); elsewhere the plain OR."""
    from django.db import connection

    if not connection.features.supports_slicing_ordering_in_compound:
        return due_condition(now)
    arms = [qs.order_by(due_field).values("pk")[:limit] for _reason, due_field, qs in due_querysets(now)]
    return Q(pk__in=arms[0].union(*arms[1:], all=True))


def due_querysets(now: datetime):
    """The four questions the sweep asks, each answered by its partial index."""
    for reason, (due_field, condition, _raise_to) in BREACHES.items():
        yield reason, due_field, Complaint.objects.filter(condition, **{f"{due_field}__lt": now})


def complaints_sweep(
    *, now: datetime | None = None, batch_size: int = SWEEP_BATCH, max_batches: int = SWEEP_MAX_BATCHES
) -> SweepResult:
    """Escalate and raise every complaint whose due time has passed.

    Safe to run twice at once (rows are claimed with SKIP LOCKED and re-checked under the lock;
    the unique (complaint, level) constraint backs "exactly once") and to repeat (a handled
    breach leaves the partial index). A batch costs a fixed number of queries whatever it holds:
    one claims and loads the due rows, one INSERT per table written, one UPDATE writes every
    row back. With nothing due the sweep is one SELECT in a transaction.
    """
    result = SweepResult()
    now = now or timezone.now()
    context: dict = {}
    for _batch in range(max_batches):
        handled = _sweep_batch(now=now, batch_size=batch_size, result=result, context=context)
        if handled < batch_size:
            break
    return result


@transaction.atomic
def _sweep_batch(*, now: datetime, batch_size: int, result: SweepResult, context: dict) -> int:
    from .services import actor_parts

    # One query claims and loads the batch: every complaint with any breach, locked (SKIP LOCKED,
    # so two sweeps share the work), its project and handler joined.
    complaints = list(
        Complaint.objects.filter(_claimable(now, batch_size)).select_for_update(skip_locked=True).order_by()[:batch_size]
    )
    if not complaints:
        return 0
    complaints.sort(key=lambda c: c.pk)
    # Their projects and handlers, one shared instance each (two queries; a join would build one per row).
    projects = Project.objects.in_bulk({c.project_id for c in complaints})
    handlers = User.objects.in_bulk({c.assignee_id for c in complaints if c.assignee_id})
    for c in complaints:
        c.project = projects[c.project_id]
        c.assignee = handlers.get(c.assignee_id) if c.assignee_id else None
    if "levels" not in context:  # the ladder and its staff, once per sweep (two or three queries)
        context["levels"] = ladder()
        context["staffing"] = Staffing(context["levels"].values())
    levels, staffing = context["levels"], context["staffing"]
    breaches = {c.pk: [reason for reason in BREACHES if _still_due(c, reason, now)] for c in complaints}
    raised = [c.pk for c in complaints if c.held_since is None and any(BREACHES[r][2] is not None for r in breaches[c.pk])]
    book = sla.SlaBook.cached() if raised else None
    holds = sla.holds_by_complaint(raised) if raised else {}
    _user, system = actor_parts(None)

    escalations, events, notices = [], [], []
    for complaint in complaints:
        for reason in breaches[complaint.pk]:
            raise_to = BREACHES[reason][2]
            if not _still_due(complaint, reason, now):  # an earlier breach may have moved this one
                continue
            label = str(Escalation.Reason(reason).label)
            if reason == Escalation.Reason.FIRST_RESPONSE:
                complaint.first_response_breached = True
            elif reason == Escalation.Reason.RESOLUTION:
                complaint.resolution_breached = True
            if raise_to is not None and complaint.severity < raise_to:
                before = complaint.severity
                complaint.severity = rules.raise_only(complaint.severity, raise_to)
                if complaint.held_since is None:
                    sla.apply_due_times(complaint, book=book, holds=holds.get(complaint.pk, []))
                events.append(
                    ComplaintEvent(
                        complaint=complaint,
                        at=now,
                        actor_label=system,
                        kind=ComplaintEvent.Kind.SEVERITY_RAISED,
                        before={"severity": SEVERITY_CODES[Severity(before)]},
                        after={"severity": SEVERITY_CODES[Severity(complaint.severity)]},
                        detail=label,
                    )
                )
                result.raised += 1
            target = complaint.escalation_level + 1
            if target in levels:
                escalations.append(Escalation(complaint=complaint, level=target, reason=reason, detail=label))
                events.append(
                    ComplaintEvent(
                        complaint=complaint,
                        at=now,
                        actor_label=system,
                        kind=ComplaintEvent.Kind.ESCALATED,
                        before={"escalation_level": complaint.escalation_level},
                        after={"escalation_level": target, "reason": reason},
                        detail=label,
                    )
                )
                complaint.escalation_level = target
                notices.append((complaint, levels[target], reason, f"complaint:{complaint.pk}:escalation:{target}"))
                result.escalations += 1
            elif raise_to is not None:
                notices.append(
                    (
                        complaint,
                        levels.get(max(levels)) if levels else None,
                        reason,
                        f"complaint:{complaint.pk}:severity:{complaint.severity}",
                    )
                )
            result.reasons[reason] += 1
        complaint.updated_at = now
    if escalations:
        Escalation.objects.bulk_create(escalations, ignore_conflicts=True)
    if events:
        ComplaintEvent.objects.bulk_create(events)
    from .webhooks import announce_many

    announce_many(events)  # the escalations' webhook events, in the batch's transaction
    _save_batch(complaints)
    # One batch of notifications for the whole batch of complaints (a fixed number of queries).
    notify_many(
        m
        for m in (_level_message(complaint=c, level=lv, staffing=staffing, reason=r, key=k) for c, lv, r, k in notices)
        if m is not None
    )
    result.complaints += len(complaints)
    result.batches += 1
    return len(complaints)


# What the sweep may change on a complaint; the batch writes all of them back in one statement.
WRITTEN_FIELDS = (
    "escalation_level",
    "first_response_breached",
    "resolution_breached",
    "severity",
    "policy",
    "first_response_due",
    "resolution_due",
    "hot_at",
    "major_at",
    "revisit_due",
    "updated_at",
    "version",
)


def _save_batch(complaints: list[Complaint]) -> None:
    """Write a batch back with one ``UPDATE … FROM (VALUES …)``: each row's own values, joined
    on the primary key. (``bulk_update`` builds a CASE per column and, on SQLite, splits.)"""
    for complaint in complaints:
        complaint.version += 1  # the batch's rows are locked: a stale form or If-Match now conflicts
    bulk_update_from_values(Complaint, complaints, WRITTEN_FIELDS)


def bulk_update_from_values(model, objs: list, field_names) -> int:
    """``UPDATE table SET col = v.col, … FROM (VALUES (pk, …), …) v WHERE table.pk = v.pk``.

    One statement for any number of rows on PostgreSQL; on SQLite (3.33 and later have
    UPDATE … FROM) as many as its bound-parameter limit requires, else ``bulk_update``.
    """
    from django.db import connection

    if not objs:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    postgres = connection.vendor == "postgresql"
    if not postgres and not (connection.vendor == "sqlite" and _sqlite_has_update_from()):
        return model.objects.bulk_update(objs, list(field_names))
    qn = connection.ops.quote_name
    pk = meta.pk
    columns = [pk.column, *(f.column for f in fields)]

    def cast(field, ref: str) -> str:
        # VALUES infers a column's type from its literals; a column that is NULL in every row
        # would be text, so on PostgreSQL every value is cast to the column's own type.
        return f"CAST({ref} AS {field.db_type(connection)})" if postgres else ref

    # psycopg2 adapts ints, booleans, datetimes and None itself; Django's preparation (a dozen
    # calls per value) is needed only where the backend wants another form (SQLite's datetimes).
    plain_types = {"IntegerField", "SmallIntegerField", "PositiveSmallIntegerField", "PositiveIntegerField", "BigIntegerField",
                   "BooleanField", "DateTimeField", "ForeignKey"}  # fmt: skip
    plain = {f.name for f in fields if postgres and f.get_internal_type() in plain_types}

    def prepare(field, value):
        return value if field.name in plain else field.get_db_prep_save(value, connection)

    table, key = qn(meta.db_table), qn(pk.column)
    assignments = ", ".join(f"{qn(f.column)} = {cast(f, f'v.{qn(f.column)}')}" for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    limit = connection.features.max_query_params
    per_statement = len(objs) if limit is None else max(1, limit // len(columns))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start : start + per_statement]
            params = []
            for obj in chunk:
                params.append(obj.pk)
                params.extend(prepare(f, getattr(obj, f.attname)) for f in fields)
            # Identifiers come from the model's meta, quoted; every value is a bound parameter.
            values = ", ".join([row_sql] * len(chunk))
            sql = f"WITH v({', '.join(qn(c) for c in columns)}) AS (VALUES {values}) UPDATE {table} SET {assignments} FROM v WHERE {table}.{key} = v.{key}"  # noqa: S608
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated


def _sqlite_has_update_from() -> bool:
    import sqlite3

    return sqlite3.sqlite_version_info >= (3, 33)


def _still_due(complaint: Complaint, reason: str, now: datetime) -> bool:
    """Re-check a claimed row in Python (it is locked, so this is its current state)."""
    due_field, _condition, raise_to = BREACHES[reason]
    due = getattr(complaint, due_field)
    if due is None or due >= now or complaint.status not in RUNNING:
        return False
    if reason == Escalation.Reason.FIRST_RESPONSE:
        return complaint.status == Complaint.Status.RECEIVED and not complaint.first_response_breached
    if reason == Escalation.Reason.RESOLUTION:
        return not complaint.resolution_breached
    return complaint.severity < raise_to
