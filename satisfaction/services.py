"""Every write of the satisfaction app: the daily run, answers, opt-outs, follow-ups, waves, templates.

The daily run works in batches with a fixed number of queries each (never one per contract), and
is safe to repeat and to run twice at once: creation is decided by the unique constraint on
(wave, contract, customer, occurrence) with ``ignore_conflicts``; sending, reminding and expiring
claim rows with ``select_for_update(skip_locked=True)`` and move them out of the state that
selected them, so a row is handled by exactly one worker. Messages go out after the batch commits.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from estates import outbox
from estates.models import Contract, Customer, Role, User
from estates.notifications import notify
from estates.workflow import InvalidTransition, require_transition

from . import channels, rules
from .models import Answer, Event, FollowUp, Invitation, Question, Response, Run, SurveyTemplate, Trigger, Wave
from .tokens import make_token

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# Planning writes a batch in one statement on PostgreSQL: bigger batches, fewer commits.
PLAN_BATCH_SIZE = 10_000
# Who hears about a low score: the project's customer-relations staff and managers.
FOLLOW_UP_ROLES = (Role.CR_STAFF, Role.CR_MANAGER)


class SurveyInvalid(Exception):
    """The answers do not fit the questions; ``errors`` maps question keys to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class InvitationClosed(Exception):
    """The invitation can no longer be answered (expired, skipped, opted out)."""


# --- the daily run ------------------------------------------------------------------------------


def daily_run(*, now: datetime | None = None, batch_size: int | None = None) -> Run:
    """Plan, expire, send and remind for the day of ``now``; returns the finished Run record.

    ``batch_size`` overrides every phase's batch (``PLAN_BATCH_SIZE`` for planning, ``BATCH_SIZE``
    for the others).

    Repeating it on the same day creates and sends nothing new. Two runs at once split the work
    between them. Each phase commits batch by batch, so the Run row shows progress while it works
    and a crash leaves every finished batch in place for the next run to continue from.
    """
    now = now or timezone.now()  # the demo replays past days; everything else runs on the real clock
    today = timezone.localdate(now)
    run = Run.objects.create(run_on=today, phase="plan")
    try:
        complaint_triggers_record(run=run, now=now)
        invitations_plan(run=run, now=now, batch_size=batch_size or PLAN_BATCH_SIZE)
        batch_size = batch_size or BATCH_SIZE
        work = _open_work(today, now)
        if work["expire"]:
            invitations_expire(run=run, now=now, batch_size=batch_size)
        if work["send"]:
            invitations_send(run=run, now=now, batch_size=batch_size)
        if work["remind"]:
            invitations_remind(run=run, now=now, batch_size=batch_size)
    except Exception as exc:
        Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED, error=repr(exc)[:2000], finished_at=timezone.now())
        raise
    Run.objects.filter(pk=run.pk).update(status=Run.Status.DONE, phase="", finished_at=timezone.now())
    run.refresh_from_db()
    return run


def _open_work(today: date, now: datetime) -> dict[str, int]:
    """How many open invitations each phase has to handle, in one query over the open rows only
    (the partial index on open invitations), so that a quiet day costs a handful of queries."""
    return Invitation.objects.filter(status__in=Invitation.OPEN).aggregate(
        expire=Count("pk", filter=Q(closes_on__lt=today)),
        send=Count("pk", filter=Q(status=Invitation.Status.PENDING, due_on__lte=today, closes_on__gte=today)),
        remind=Count("pk", filter=Q(status=Invitation.Status.SENT, next_reminder_at__lte=now, closes_on__gte=today)),
    )


def _progress(run: Run, phase: str, **counts) -> None:
    """One UPDATE per batch: the progress page reads the phase and counters while the run works."""
    Run.objects.filter(pk=run.pk).update(phase=phase, batches=F("batches") + 1, **{k: F(k) + v for k, v in counts.items()})


def _candidates_handover(wave: Wave, today: date):
    """(through pk, contract, customer, project, event date) of due contract owners not yet invited."""
    first, last = rules.event_range_open_on(
        today, offset_months=wave.offset_months, offset_days=wave.offset_days, window_days=wave.window_days
    )
    through = Contract.customers.through
    already = Invitation.objects.filter(
        wave=wave, contract_id=OuterRef("contract_id"), customer_id=OuterRef("customer_id"), occurrence=""
    )
    return (
        through.objects.filter(
            contract__handover_on__range=(first, last),
            contract__status=Contract.Status.ACTIVE,
            customer__opted_out=False,
        )
        .exclude(Exists(already))
        .values_list("pk", "contract_id", "customer_id", "contract__project_id", "contract__handover_on")
        .order_by("pk")
    )


def _candidates_trigger(wave: Wave, today: date):
    first, last = rules.event_range_open_on(today, offset_months=0, offset_days=wave.offset_days, window_days=wave.window_days)
    already = Invitation.objects.filter(wave=wave, trigger_id=OuterRef("pk"))
    return (
        Trigger.objects.filter(
            kind=wave.trigger,
            occurred_on__range=(first, last),
            contract__status=Contract.Status.ACTIVE,
            customer__opted_out=False,
        )
        .exclude(Exists(already))
        .values_list("pk", "contract_id", "customer_id", "project_id", "occurred_on")
        .order_by("pk")
    )


def _waves_with_events(today: date) -> list[Wave]:
    """Active waves that have any event in their open range today: two counting queries in all,
    so that an ordinary day does not ask once per wave."""
    waves = list(Wave.objects.filter(is_active=True).order_by("pk"))
    ranges = {
        w.pk: rules.event_range_open_on(
            today, offset_months=w.offset_months, offset_days=w.offset_days, window_days=w.window_days
        )
        for w in waves
    }
    handover = [w for w in waves if w.trigger == Wave.Trigger.HANDOVER]
    triggered = [w for w in waves if w.trigger != Wave.Trigger.HANDOVER]
    counts = {}
    if handover:
        counts |= Contract.objects.filter(status=Contract.Status.ACTIVE).aggregate(
            **{f"w{w.pk}": Count("pk", filter=Q(handover_on__range=ranges[w.pk])) for w in handover}
        )
    if triggered:
        counts |= Trigger.objects.aggregate(
            **{f"w{w.pk}": Count("pk", filter=Q(kind=w.trigger, occurred_on__range=ranges[w.pk])) for w in triggered}
        )
    return [w for w in waves if counts.get(f"w{w.pk}")]


def invitations_plan(*, run: Run, now: datetime, batch_size: int = PLAN_BATCH_SIZE) -> int:
    """Create the invitations that fall due and are still open on ``today``; returns how many.

    The candidates of a wave are read by one plain query (five integers and a date per owner,
    about 200 bytes: 20 MB for 100,000) and written in batches of ``batch_size``, so reading
    costs grow with the candidates, not with their square. (A keyset loop re-joined the whole
    range per batch; a server-side cursor got a fast-start plan that was quadratic.) Each batch
    commits on its own, with the run's counters, so the run page shows progress. On PostgreSQL a
    batch is one statement (the invitations from arrays, ``ON CONFLICT DO NOTHING``, and the
    "created" events of the rows actually inserted, no model instances); elsewhere four queries
    (insert, read the new ids, insert their events, bump the counters). Cancelled contracts and
    opted-out owners are not invited at all; the send step checks both again.
    """
    from django.db import connection

    today = timezone.localdate(now)
    created_total = high_water = 0  # ids above high_water that carry this run's mark are new
    for wave in _waves_with_events(today):
        is_handover = wave.trigger == Wave.Trigger.HANDOVER
        base = _candidates_handover(wave, today) if is_handover else _candidates_trigger(wave, today)
        stream = iter(list(base))
        dates: dict[date, tuple[date, date]] = {}  # event date -> (due, closes): owners share handover days

        def window(event_on, wave=wave, dates=dates):
            if event_on not in dates:
                due = rules.due_on(event_on, offset_months=wave.offset_months, offset_days=wave.offset_days)
                dates[event_on] = (due, rules.closes_on(due, window_days=wave.window_days))
            return dates[event_on]

        while True:
            batch = list(itertools.islice(stream, batch_size))
            if not batch:
                break
            if connection.vendor == "postgresql":
                with transaction.atomic():
                    # Planning is idempotent (a repeat creates what is missing), so a batch need not
                    # wait for its WAL flush: a database crash can lose at most the last moment's
                    # batches, never corrupt them, and the next run plans them again.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    created = _plan_batch_postgres(
                        wave=wave, run=run, now=now, batch=batch, window=window, is_handover=is_handover
                    )
                    _progress(run, "plan", candidates=len(batch), created=created)
            else:
                created, high_water = _plan_batch(
                    wave=wave, run=run, now=now, batch=batch, window=window, is_handover=is_handover, high_water=high_water
                )
                _progress(run, "plan", candidates=len(batch), created=created)
            created_total += created
            if len(batch) < batch_size:
                break
    return created_total


def _plan_batch(*, wave, run, now, batch, window, is_handover, high_water) -> tuple[int, int]:
    rows = []
    for pk, contract_id, customer_id, project_id, event_on in batch:
        due, closes = window(event_on)
        rows.append(
            Invitation(
                wave=wave,
                template_id=wave.template_id,
                project_id=project_id,
                contract_id=contract_id,
                customer_id=customer_id,
                trigger_id=None if is_handover else pk,
                occurrence="" if is_handover else f"t{pk}",
                run=run,
                channel=wave.channel,
                due_on=due,
                closes_on=closes,
            )
        )
    # The unique constraint decides between two runs racing for the same rows.
    Invitation.objects.bulk_create(rows, ignore_conflicts=True)
    new_ids = list(Invitation.objects.filter(run=run, pk__gt=high_water).values_list("pk", flat=True))
    Event.objects.bulk_create(
        [Event(invitation_id=i, kind=Event.Kind.CREATED, at=now, after=Invitation.Status.PENDING) for i in new_ids]
    )
    return len(new_ids), max([high_water, *new_ids])


# Invitation columns that differ from row to row in a planning batch; the rest are the wave's.
PLAN_VARYING = ("project", "contract", "customer", "trigger", "occurrence", "due_on", "closes_on")


def _plan_batch_postgres(*, wave, run, now, batch, window, is_handover) -> int:
    """One statement: INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING RETURNING id,
    feeding INSERT of the "created" events. Returns how many invitations it created."""
    from django.db import connection

    qn = connection.ops.quote_name
    columns: dict[str, list] = {name: [] for name in PLAN_VARYING}
    for pk, contract_id, customer_id, project_id, event_on in batch:
        due, closes = window(event_on)
        columns["project"].append(project_id)
        columns["contract"].append(contract_id)
        columns["customer"].append(customer_id)
        columns["trigger"].append(None if is_handover else pk)
        columns["occurrence"].append("" if is_handover else f"t{pk}")
        columns["due_on"].append(due)
        columns["closes_on"].append(closes)
    # Every other column's value as Django would write it (defaults, auto_now), from one instance.
    model = Invitation(wave=wave, template_id=wave.template_id, run=run, channel=wave.channel, due_on=now, closes_on=now)
    fields = [f for f in Invitation._meta.concrete_fields if not f.primary_key]
    select, params = [], []
    unnest = []
    for f in fields:
        db_type = f.db_type(connection)
        if f.name in PLAN_VARYING:
            select.append(f"r.{qn(f.column)}")
            unnest.append((f.column, db_type, [f.get_db_prep_save(v, connection) for v in columns[f.name]]))
        else:
            select.append(f"CAST(%s AS {db_type})")
            params.append(f.get_db_prep_save(f.pre_save(model, add=True), connection))
    array_sql = ", ".join(f"CAST(%s AS {db_type}[])" for _column, db_type, _values in unnest)
    array_params = [values for _column, _db_type, values in unnest]
    event = Event(kind=Event.Kind.CREATED, at=now, after=Invitation.Status.PENDING)
    event_fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    event_select, event_params = [], []
    for f in event_fields:
        if f.name == "invitation":
            event_select.append("new.id")
        else:
            event_select.append(f"CAST(%s AS {f.db_type(connection)})")
            event_params.append(f.get_db_prep_save(f.pre_save(event, add=True), connection))
    invitation_table, event_table = qn(Invitation._meta.db_table), qn(Event._meta.db_table)
    invitation_columns = ", ".join(qn(f.column) for f in fields)
    array_columns = ", ".join(qn(c) for c, _t, _v in unnest)
    event_columns = ", ".join(qn(f.column) for f in event_fields)
    insert = f"INSERT INTO {invitation_table} ({invitation_columns}) SELECT {', '.join(select)} FROM unnest({array_sql}) AS r({array_columns})"  # noqa: S608
    # Identifiers come from the models' meta, quoted; every value is a bound parameter.
    sql = f"WITH new AS ({insert} ON CONFLICT DO NOTHING RETURNING id) INSERT INTO {event_table} ({event_columns}) SELECT {', '.join(event_select)} FROM new"  # noqa: S608
    # Parameter order follows the SQL text: the SELECT's constants, the arrays, the event's constants.
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *array_params, *event_params])
        return cursor.rowcount


def _survey_url(invitation_id: int, closes_on: date) -> str:
    token = make_token(invitation_id=invitation_id, closes_on=closes_on)
    return settings.SITE_URL.rstrip("/") + reverse("satisfaction:survey", args=[token])


def _messages(invitations: list[Invitation], *, reminder: bool) -> list[channels.Message]:
    """The owners' messages, in Chinese, each with its own signed link."""
    out = []
    with translation.override("zh-hans"):
        subject_format = _("Reminder: %(survey)s") if reminder else "%(survey)s"
        body_format = _(
            "Dear %(name)s, please tell us how we are doing. The survey takes about three minutes and is open until "
            "%(closes)s: %(url)s"
        )
        for inv in invitations:
            url = _survey_url(inv.pk, inv.closes_on)
            body = body_format % {"name": inv.customer.name, "closes": inv.closes_on.isoformat(), "url": url}
            out.append(
                channels.Message(
                    inv.pk, inv.channel, inv.customer.email, inv.customer.phone, subject_format % {"survey": inv.wave.name}, body
                )
            )
    return out


def _update_grouped(batch: list[Invitation], fields: list[str]) -> int:
    """Write the batch's new values with one UPDATE per distinct combination of values.

    The combinations are few and do not grow with the batch (a status, a channel, a reminder
    time per wave), unlike ``bulk_update``'s CASE per row, which is slow on thousands of rows.
    """
    groups: dict[tuple, list[int]] = {}
    for inv in batch:
        groups.setdefault(tuple(getattr(inv, f) for f in fields), []).append(inv.pk)
    for values, ids in groups.items():
        Invitation.objects.filter(pk__in=ids).update(**dict(zip(fields, values, strict=True)))
    return len(groups)


def _claim(queryset, batch_size: int) -> list[Invitation]:
    """Lock a batch nobody else holds; the related rows are read, not locked."""
    return list(
        queryset.select_for_update(skip_locked=True, of=("self",))
        .select_related("wave", "customer", "contract")
        .order_by("pk")[:batch_size]
    )


def invitations_send(*, run: Run, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Send every pending invitation that is due, after checking eligibility again; returns sends.

    Per batch: claim invitations, lock their owners (in pk order, so two workers never deadlock
    and the cooldown sees the other worker's sends), read each owner's last send, update the
    batch (one UPDATE per distinct outcome, a handful), write events, bump counters, then deliver
    after commit. The count does not grow with the batch.
    """
    today = timezone.localdate(now)
    due = Invitation.objects.filter(status=Invitation.Status.PENDING, due_on__lte=today, closes_on__gte=today)
    total = after = 0
    while True:
        with transaction.atomic():
            # Keyset: never rescan what this loop has handled (or skipped as locked by another worker).
            batch = _claim(due.filter(pk__gt=after), batch_size)
            if not batch:
                break
            after = batch[-1].pk
            customer_ids = sorted({inv.customer_id for inv in batch})
            owners = {
                pk: (opted_out, email, phone)
                for pk, opted_out, email, phone in Customer.objects.select_for_update()
                .filter(pk__in=customer_ids)
                .order_by("pk")
                .values_list("pk", "opted_out", "email", "phone")
            }
            last_sent = dict(
                Invitation.objects.filter(customer_id__in=customer_ids, sent_at__isnull=False)
                .values("customer_id")
                .annotate(last=Max("sent_at"))
                .values_list("customer_id", "last")
            )
            events, messages, sent, skipped = [], [], 0, 0
            for inv in batch:
                inv.updated_at = now  # bulk_update does not touch auto_now fields
                opted_out, email, phone = owners[inv.customer_id]
                inv.customer.opted_out, inv.customer.email, inv.customer.phone = opted_out, email, phone
                reason = rules.ineligible_reason(
                    rules.Recipient(inv.contract.status, opted_out, last_sent.get(inv.customer_id), email, phone),
                    now=now,
                    cooldown_days=inv.wave.cooldown_days,
                    channel=inv.channel,
                )
                if reason:
                    inv.status, inv.skip_reason, inv.closed_at = Invitation.Status.SKIPPED, reason, now
                    events.append(
                        Event(invitation=inv, kind=Event.Kind.SKIPPED, at=now, before="pending", after="skipped", detail=reason)
                    )
                    skipped += 1
                    continue
                inv.status, inv.sent_at = Invitation.Status.SENT, now
                inv.channel = rules.pick_channel(inv.wave.channel, email=email, phone=phone)
                inv.next_reminder_at = rules.next_reminder_at(
                    sent_or_reminded_at=now,
                    reminders_sent=0,
                    reminder_max=inv.wave.reminder_max,
                    interval_days=inv.wave.reminder_interval_days,
                )
                last_sent[inv.customer_id] = now  # a second survey to the same owner in this batch waits its cooldown
                events.append(
                    Event(invitation=inv, kind=Event.Kind.SENT, at=now, before="pending", after="sent", detail=inv.channel)
                )
                messages.append(inv)
                sent += 1
            _update_grouped(batch, ["status", "skip_reason", "channel", "closed_at", "sent_at", "next_reminder_at", "updated_at"])
            Event.objects.bulk_create(events)
            _progress(run, "send", sent=sent, skipped=skipped)
        channels.deliver(_messages(messages, reminder=False))
        total += sent
        if len(batch) < batch_size:
            break
    return total


def invitations_remind(*, run: Run, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Remind sent, unanswered invitations whose reminder is due, up to the wave's cap.

    A cancelled contract or an opted-out owner stops the reminders (the invitation is closed).
    """
    today = timezone.localdate(now)
    due = Invitation.objects.filter(
        status=Invitation.Status.SENT,
        next_reminder_at__lte=now,
        closes_on__gte=today,
        reminder_count__lt=F("wave__reminder_max"),
    )
    total = after = 0
    while True:
        with transaction.atomic():
            batch = _claim(due.filter(pk__gt=after), batch_size)
            if not batch:
                break
            after = batch[-1].pk
            events, messages, reminded, skipped = [], [], 0, 0
            for inv in batch:
                inv.updated_at = now
                if inv.contract.status != Contract.Status.ACTIVE or inv.customer.opted_out:
                    reason = "cancelled" if inv.contract.status != Contract.Status.ACTIVE else "opted_out"
                    inv.status, inv.skip_reason, inv.closed_at, inv.next_reminder_at = (
                        Invitation.Status.SKIPPED,
                        reason,
                        now,
                        None,
                    )
                    events.append(
                        Event(invitation=inv, kind=Event.Kind.SKIPPED, at=now, before="sent", after="skipped", detail=reason)
                    )
                    skipped += 1
                    continue
                inv.reminder_count += 1
                inv.next_reminder_at = rules.next_reminder_at(
                    sent_or_reminded_at=now,
                    reminders_sent=inv.reminder_count,
                    reminder_max=inv.wave.reminder_max,
                    interval_days=inv.wave.reminder_interval_days,
                )
                events.append(Event(invitation=inv, kind=Event.Kind.REMINDED, at=now, detail=str(inv.reminder_count)))
                messages.append(inv)
                reminded += 1
            _update_grouped(batch, ["status", "skip_reason", "closed_at", "reminder_count", "next_reminder_at", "updated_at"])
            Event.objects.bulk_create(events)
            _progress(run, "remind", reminded=reminded, skipped=skipped)
        channels.deliver(_messages(messages, reminder=True))
        total += reminded
        if len(batch) < batch_size:
            break
    return total


def invitations_expire(*, run: Run, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Close open invitations whose window ended before ``today``."""
    open_late = Invitation.objects.filter(status__in=Invitation.OPEN, closes_on__lt=timezone.localdate(now))
    total = after = 0
    while True:
        with transaction.atomic():
            claim = open_late.filter(pk__gt=after).select_for_update(skip_locked=True).order_by("pk")
            batch = list(claim.values_list("pk", "status")[:batch_size])
            if not batch:
                break
            after = batch[-1][0]
            ids = [pk for pk, _status in batch]
            Invitation.objects.filter(pk__in=ids).update(
                status=Invitation.Status.EXPIRED, closed_at=now, next_reminder_at=None, updated_at=now
            )
            Event.objects.bulk_create(
                [Event(invitation_id=pk, kind=Event.Kind.EXPIRED, at=now, before=status, after="expired") for pk, status in batch]
            )
            _progress(run, "expire", expired=len(ids))
        total += len(ids)
        if len(batch) < batch_size:
            break
    return total


# --- triggers -----------------------------------------------------------------------------------


def trigger_record(
    *, kind: str, contract: Contract, occurred_on: date, source_ref: str, customers: list[Customer] | None = None
) -> int:
    """Record a touch point (a visit, a closed complaint) for the contract's owners.

    Event-triggered waves of that kind invite them from the next daily run. Recording the same
    ``source_ref`` again is a no-op. Returns how many owners were recorded now. Raises ValueError
    for the handover kind (handover waves read the contract's handover date).
    """
    if kind not in Wave.Trigger.values or kind == Wave.Trigger.HANDOVER:
        raise ValueError(f"not a trigger kind: {kind}")
    owners = customers if customers is not None else list(contract.customers.all())
    rows = [
        Trigger(
            project_id=contract.project_id,
            contract=contract,
            customer=c,
            kind=kind,
            occurred_on=occurred_on,
            source_ref=source_ref,
        )
        for c in owners
    ]
    before = Trigger.objects.filter(kind=kind, source_ref=source_ref).count()
    Trigger.objects.bulk_create(rows, ignore_conflicts=True)
    return Trigger.objects.filter(kind=kind, source_ref=source_ref).count() - before


# --- surveys after a complaint is closed -------------------------------------------------------


def complaint_source_ref(complaint_id: int) -> str:
    """The trigger's key for a complaint: one survey per complaint, however often it is closed."""
    return f"complaint:{complaint_id}"


def complaint_triggers_window(*, run: Run | None, now: datetime) -> tuple[datetime, datetime] | None:
    """[start, end) of the closing times the run reads, or None when no complaint-closed wave is active.

    ``end`` is the run's own clock (the cut-off): a complaint closed later is the next run's. ``start``
    is midnight of the day of the last finished run ("since the last run", with the morning of that
    day read again: a close committed while that run was reading is not lost, and the unique
    trigger makes the repeat harmless), but never earlier than the oldest closing day whose survey
    would still be open today — so the first run, or one after days without runs, catches up
    exactly what can still be surveyed.
    """
    waves = list(
        Wave.objects.filter(is_active=True, trigger=Wave.Trigger.COMPLAINT_CLOSED).values_list("offset_days", "window_days")
    )
    if not waves:
        return None
    today = timezone.localdate(now)
    oldest = min(
        rules.event_range_open_on(today, offset_months=0, offset_days=days, window_days=window)[0] for days, window in waves
    )
    finished = Run.objects.filter(status=Run.Status.DONE, run_on__lte=today)
    if run is not None:
        finished = finished.exclude(pk=run.pk)
    last_run_on = finished.aggregate(last=Max("run_on"))["last"]
    since = max(oldest, last_run_on) if last_run_on else oldest
    return datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone()), now


def complaint_triggers_record(*, run: Run | None = None, now: datetime | None = None) -> int:
    """Record a complaint-closed touch point for each complaint closed since the last run; returns
    how many triggers are new. The complaint-closed wave (seeded: two days after closing, 14 days
    to answer, by SMS) invites from them in the same daily run's planning, once it falls due.

    The complainant (the complaint's customer) is surveyed through their active contract in the
    complaint's project — the one on the complaint's unit when there is one, else the most recently
    signed. Complaints with no customer (a contact name and phone only) or whose customer owns
    nothing in the project are not surveyed. Once per complaint: the trigger is unique per
    (kind, ``complaint:<id>``, customer), so repeating the run, two runs at once, or closing the
    same complaint again after a reopen record nothing more. A fixed number of queries (at most 7).
    """
    from complaints import selectors as complaint_selectors

    now = now or timezone.now()
    window = complaint_triggers_window(run=run, now=now)
    if window is None:
        return 0
    closed = [r for r in complaint_selectors.complaints_closed_between(start=window[0], end=window[1]) if r["customer_id"]]
    if not closed:
        return 0
    links = (
        Contract.customers.through.objects.filter(
            customer_id__in={r["customer_id"] for r in closed},
            contract__project_id__in={r["project_id"] for r in closed},
            contract__status=Contract.Status.ACTIVE,
        )
        .order_by("-contract__signed_on", "-contract_id")
        .values_list("customer_id", "contract__project_id", "contract_id", "contract__unit_id")
    )
    contracts: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for customer_id, project_id, contract_id, unit_id in links:
        contracts.setdefault((customer_id, project_id), []).append((contract_id, unit_id))
    rows = []
    for r in closed:
        owned = contracts.get((r["customer_id"], r["project_id"]))
        if not owned:
            continue
        contract_id = next((c for c, unit_id in owned if unit_id == r["unit_id"]), owned[0][0])
        rows.append(
            Trigger(
                project_id=r["project_id"],
                contract_id=contract_id,
                customer_id=r["customer_id"],
                kind=Wave.Trigger.COMPLAINT_CLOSED,
                occurred_on=timezone.localdate(r["closed_at"]),
                source_ref=complaint_source_ref(r["id"]),
            )
        )
    if not rows:
        return 0
    existing = Trigger.objects.filter(kind=Wave.Trigger.COMPLAINT_CLOSED, source_ref__in=[t.source_ref for t in rows])
    before = existing.count()
    Trigger.objects.bulk_create(rows, ignore_conflicts=True)  # the unique constraint decides between two runs
    return existing.count() - before


# --- owners' answers ----------------------------------------------------------------------------


def _clean_answers(questions: list[Question], answers: Mapping[str, Any]) -> dict[str, rules.CleanAnswer]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, rules.CleanAnswer] = {}
    keys = {q.key for q in questions}
    for key in answers:
        if key not in keys:
            errors[str(key)] = [_("Not a question of this survey.")]
    for q in questions:
        try:
            cleaned[q.key] = rules.clean_answer(kind=q.kind, required=q.required, choices=q.choices, raw=answers.get(q.key))
        except rules.AnswerError as exc:
            errors[q.key] = [str(exc)]
    if errors:
        raise SurveyInvalid(errors)
    return cleaned


@transaction.atomic
def response_submit(*, invitation: Invitation, answers: Mapping[str, Any], now: datetime | None = None) -> tuple[Response, bool]:
    """Store the owner's answers, once. Returns (response, created).

    A second submit — a double click, a retry, a second tab — returns the first response and
    changes nothing (the invitation row is locked, and the one-to-one decides in any case).
    Raises SurveyInvalid with per-question messages (nothing is written) and InvitationClosed
    when the invitation is not open. A low overall score opens a follow-up for staff.
    """
    inv = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("wave", "template", "project", "customer")
        .get(pk=invitation.pk)
    )
    existing = Response.objects.filter(invitation=inv).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    if inv.status != Invitation.Status.SENT or inv.closes_on < timezone.localdate(now):
        raise InvitationClosed(inv.status)
    questions = list(inv.template.questions.order_by("order"))
    cleaned = _clean_answers(questions, answers)
    by_metric = {q.metric: cleaned[q.key] for q in questions if q.metric}
    overall = by_metric.get(Question.Metric.OVERALL, rules.CleanAnswer()).value_int
    recommend = by_metric.get(Question.Metric.RECOMMEND, rules.CleanAnswer()).value_int
    repurchase_raw = by_metric.get(Question.Metric.REPURCHASE, rules.CleanAnswer()).value_int
    is_low = rules.is_low_score(overall=overall, threshold=inv.wave.low_score_threshold)
    response = Response.objects.create(
        invitation=inv,
        project=inv.project,
        wave_id=inv.wave_id,
        template_id=inv.template_id,
        submitted_at=now,
        overall=overall,
        recommend=recommend,
        repurchase=None if repurchase_raw is None else bool(repurchase_raw),
        is_low=is_low,
    )
    Answer.objects.bulk_create(
        [
            Answer(
                response=response,
                question=q,
                value_int=cleaned[q.key].value_int,
                value_text=cleaned[q.key].value_text,
                value_choices=list(cleaned[q.key].value_choices),
            )
            for q in questions
            if not cleaned[q.key].empty
        ]
    )
    inv.status, inv.responded_at, inv.next_reminder_at = Invitation.Status.RESPONDED, now, None
    inv.save(update_fields=["status", "responded_at", "next_reminder_at", "updated_at"])
    Event.objects.create(invitation=inv, kind=Event.Kind.RESPONDED, at=now, before="sent", after="responded")
    if is_low:
        follow_up_open(response=response, wave=inv.wave, now=now)
    _announce_answered(invitation=inv, response=response)
    return response, True


def _announce_answered(*, invitation: Invitation, response: Response) -> None:
    """The ``survey.answered`` webhook (docs/trust.md), written to the outbox in the submit's
    transaction: once per response, since a repeat submit returns before it gets here.

    The payload carries ids, codes, scores and the time only: no name, phone, email, ID number or
    free-text answer (an owner may write anything there); the customer by external id.
    """
    outbox.emit(
        event=outbox.SURVEY_ANSWERED,
        project=invitation.project,
        payload={
            "invitation": invitation.pk,
            "wave": invitation.wave.code,
            "scores": {"overall": response.overall, "recommend": response.recommend, "repurchase": response.repurchase},
            "answered_at": response.submitted_at.isoformat(),
            "customer": invitation.customer.external_id or None,
        },
    )


@transaction.atomic
def invitation_opt_out(*, invitation: Invitation) -> int:
    """The owner asks for no more surveys: mark the customer opted out and close every open
    invitation of theirs. Repeating it is a no-op. Returns how many invitations it closed.

    ``Customer.opted_out`` belongs to estates, which has no service for it yet; this conditional
    update is the one place that sets it.
    """
    now = timezone.now()
    Customer.objects.filter(pk=invitation.customer_id, opted_out=False).update(opted_out=True, updated_at=now)
    open_rows = list(
        Invitation.objects.select_for_update()
        .filter(customer_id=invitation.customer_id, status__in=Invitation.OPEN)
        .order_by("pk")
        .values_list("pk", "status")
    )
    if not open_rows:
        return 0
    Invitation.objects.filter(pk__in=[pk for pk, _s in open_rows]).update(
        status=Invitation.Status.OPTED_OUT,
        skip_reason=Invitation.SkipReason.OPTED_OUT,
        closed_at=now,
        next_reminder_at=None,
        updated_at=now,
    )
    Event.objects.bulk_create(
        [Event(invitation_id=pk, kind=Event.Kind.OPTED_OUT, at=now, before=status, after="opted_out") for pk, status in open_rows]
    )
    return len(open_rows)


# --- follow-ups ---------------------------------------------------------------------------------


def follow_up_open(*, response: Response, wave: Wave, now: datetime) -> FollowUp:
    """Open the follow-up for a low score and tell the project's customer-relations staff.

    Called inside ``response_submit``'s transaction; one follow-up per response (one-to-one).
    """
    with translation.override("zh-hans"):
        reason = _("Overall satisfaction %(score)s of 5 in “%(wave)s”") % {"score": response.overall, "wave": wave.name}
    follow_up = FollowUp.objects.create(response=response, project_id=response.project_id, reason=reason)
    Event.objects.create(
        follow_up=follow_up,
        invitation_id=response.invitation_id,
        kind=Event.Kind.FOLLOW_UP_OPENED,
        at=now,
        after=FollowUp.Status.OPEN,
        detail=reason,
    )
    recipients = User.objects.filter(projects=response.project_id, role__in=FOLLOW_UP_ROLES, is_active=True)
    with translation.override("zh-hans"):
        title = _("Low survey score: follow up with the owner")
    notify(
        recipients=recipients,
        kind="satisfaction.low_score",
        title=title,
        body=reason,
        dedupe_key=f"satisfaction:follow_up:{follow_up.pk}",
        url=reverse("satisfaction:follow-up-detail", args=[follow_up.pk]),
        project=response.project,
    )
    return follow_up


@transaction.atomic
def follow_up_transition(*, follow_up: FollowUp, actor: User, status: str, note: str = "") -> FollowUp:
    """Move a follow-up to ``status`` (contacted, closed), recording who and why.

    No-op when it already is in that status; raises InvalidTransition otherwise.
    """
    fu = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if fu.status == status:
        return fu
    require_transition(
        FollowUp.TRANSITIONS,
        fu.status,
        status,
        action=str(FollowUp.Status(status).label) if status in FollowUp.Status.values else status,
    )
    before, now = fu.status, timezone.now()
    fu.status, fu.assignee = status, fu.assignee or actor
    fields = ["status", "assignee", "updated_at"]
    if note:
        fu.note = f"{fu.note}\n{note}".strip()
        fields.append("note")
    if status == FollowUp.Status.CLOSED:
        fu.closed_at = now
        fields.append("closed_at")
    fu.save(update_fields=fields)
    Event.objects.create(
        follow_up=fu, kind=Event.Kind.FOLLOW_UP_CHANGED, actor=actor, at=now, before=before, after=status, detail=note
    )
    return fu


# --- waves and templates ------------------------------------------------------------------------

WAVE_FIELDS = (
    "name",
    "name_en",
    "template",
    "trigger",
    "offset_months",
    "offset_days",
    "window_days",
    "channel",
    "reminder_interval_days",
    "reminder_max",
    "cooldown_days",
    "low_score_threshold",
    "is_active",
    "order",
)


def _wave_check(values: Mapping[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    errors = {}
    for field in ("offset_months", "offset_days", "reminder_max", "cooldown_days"):
        if values.get(field) is not None and values[field] < 0:
            errors[field] = [_("Must not be negative.")]
    for field in ("window_days", "reminder_interval_days"):
        if values.get(field) is not None and values[field] < 1:
            errors[field] = [_("Must be at least 1.")]
    threshold = values.get("low_score_threshold")
    if threshold is not None and not 1 <= threshold <= 5:
        errors["low_score_threshold"] = [_("Choose a value from %(low)s to %(high)s.") % {"low": 1, "high": 5}]
    if values.get("trigger") not in (None, Wave.Trigger.HANDOVER) and values.get("offset_months"):
        errors["offset_months"] = [_("Only handover waves are offset in months.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def wave_create(*, actor: User, code: str, **values) -> Wave:
    """Create a wave. Raises django ValidationError for negative offsets and other bad values."""
    _wave_check(values)
    wave = Wave.objects.create(code=code, **{k: v for k, v in values.items() if k in WAVE_FIELDS})
    Event.objects.create(wave=wave, kind=Event.Kind.WAVE_CHANGED, actor=actor, at=timezone.now(), after="created")
    return wave


@transaction.atomic
def wave_update(*, wave: Wave, actor: User, **values) -> Wave:
    """Change a wave's settings; invitations already created keep their dates. No-op if nothing changes.

    Raises django ValidationError for negative offsets and other bad values (nothing is written).
    """
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    merged = {f: getattr(wave, f) for f in WAVE_FIELDS} | {k: v for k, v in values.items() if k in WAVE_FIELDS}
    _wave_check(merged)
    changed = [f for f in WAVE_FIELDS if f in values and getattr(wave, f) != values[f]]
    if not changed:
        return wave
    detail = ", ".join(f"{f}: {getattr(wave, f)} → {values[f]}" for f in changed)
    for f in changed:
        setattr(wave, f, values[f])
    wave.save(update_fields=[*changed, "updated_at"])
    Event.objects.create(wave=wave, kind=Event.Kind.WAVE_CHANGED, actor=actor, at=timezone.now(), detail=detail[:2000])
    return wave


@transaction.atomic
def template_question_revise(
    *, template: SurveyTemplate, actor: User, key: str, text: str, text_en: str = "", required: bool | None = None
) -> SurveyTemplate:
    """Publish a new version of ``template`` with question ``key`` reworded; waves move to it.

    Answers given so far keep pointing at the old wording. Raises InvalidTransition when
    ``template`` is not the current version and ValueError for an unknown key. No-op (returns the
    current version) when nothing changes.
    """
    current = SurveyTemplate.objects.select_for_update().get(pk=template.pk)
    if not current.is_current:
        raise InvalidTransition(_("Only the current version of a template can be revised."))
    questions = list(current.questions.order_by("order"))
    target = next((q for q in questions if q.key == key), None)
    if target is None:
        raise ValueError(f"unknown question {key}")
    text = text.strip()
    new_required = target.required if required is None else required
    if text == target.text and (text_en or target.text_en) == target.text_en and new_required == target.required:
        return current
    SurveyTemplate.objects.filter(pk=current.pk).update(is_current=False)
    fresh = SurveyTemplate.objects.create(
        code=current.code, version=current.version + 1, name=current.name, name_en=current.name_en, intro=current.intro
    )
    copies = []
    for q in questions:
        copy = Question(
            template=fresh,
            key=q.key,
            order=q.order,
            kind=q.kind,
            dimension=q.dimension,
            metric=q.metric,
            text=q.text,
            text_en=q.text_en,
            choices=q.choices,
            required=q.required,
        )
        if q.key == key:
            copy.text, copy.text_en, copy.required = text, text_en or q.text_en, new_required
        copies.append(copy)
    Question.objects.bulk_create(copies)
    Wave.objects.filter(template=current).update(template=fresh, updated_at=timezone.now())
    Event.objects.create(
        template=fresh,
        kind=Event.Kind.TEMPLATE_PUBLISHED,
        actor=actor,
        at=timezone.now(),
        before=f"v{current.version}",
        after=f"v{fresh.version}",
        detail=f"{key}: {target.text} → {text}",
    )
    return fresh


def token_for(invitation: Invitation) -> str:
    """The owner's link token (staff copy it for a phone call, the demo prints it)."""
    return make_token(invitation_id=invitation.pk, closes_on=invitation.closes_on)


# --- survey tallies (the group dashboard's counts; models.ProjectTally) --------------------------

TALLY_LOCK_KEY = 7_402_117  # pg advisory lock: one compaction at a time


def tallies_compact() -> dict:
    """Fold the tally deltas the triggers appended into one row per project; returns
    ``{"skipped": bool, "rows": n}`` (rows folded).

    Sums are unchanged by construction, so readers get the same figures before, during and after.
    PostgreSQL: one statement (``DELETE … RETURNING`` feeding the ``INSERT``, one snapshot), under
    a try-advisory lock so that a second run at the same time returns at once; a delta committed
    meanwhile is not in that snapshot and stays for the next run. SQLite: the transaction holds the
    database's write lock from its first statement, so the sum and the delete see the same rows.
    """
    from django.db import connection

    from .models import TALLY_FIELDS, ProjectTally

    table = ProjectTally._meta.db_table
    cols = ", ".join(TALLY_FIELDS)
    sums = ", ".join(f"SUM({c})" for c in TALLY_FIELDS)
    nonzero = " OR ".join(f"SUM({c}) <> 0" for c in TALLY_FIELDS)
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [TALLY_LOCK_KEY])
            if not cur.fetchone()[0]:
                return {"skipped": True, "rows": 0}
            cur.execute(
                f"WITH gone AS (DELETE FROM {table} RETURNING *), "  # noqa: S608 - names are ours
                f"kept AS (INSERT INTO {table} (project_id, {cols}) "
                f"SELECT project_id, {sums} FROM gone GROUP BY project_id HAVING {nonzero}) "
                "SELECT COUNT(*) FROM gone"
            )
            return {"skipped": False, "rows": cur.fetchone()[0]}
        cur.execute(f"SELECT MAX(id), COUNT(*) FROM {table}")  # noqa: S608 - names are ours
        last, rows = cur.fetchone()
        if not rows:
            return {"skipped": False, "rows": 0}
        cur.execute(
            f"INSERT INTO {table} (project_id, {cols}) SELECT project_id, {sums} FROM {table} "  # noqa: S608 - ours
            f"WHERE id <= %s GROUP BY project_id HAVING {nonzero}",
            [last],
        )
        cur.execute(f"DELETE FROM {table} WHERE id <= %s", [last])  # noqa: S608 - names are ours
        return {"skipped": False, "rows": rows}
