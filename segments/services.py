"""Every write of the segments app: assignment (computed and by hand), bulk recompute runs,
rule edits and parcel assessments."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import GROUP_ROLES, Customer, Project, Role

from . import rules
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

BATCH_SIZE = 500
# A run whose counts have not moved for this long lost its worker; a new run may replace it.
STALE_AFTER = timedelta(minutes=30)
OVERRIDE_ROLES = frozenset({Role.CR_MANAGER, *GROUP_ROLES})


def actor_label(actor) -> str:
    return (getattr(actor, "username", None) or str(actor or "system"))[:150]


def can_override(actor) -> bool:
    return bool(getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in OVERRIDE_ROLES)


def can_edit_rules(actor) -> bool:
    return bool(getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in GROUP_ROLES)


# --- assignment -------------------------------------------------------------------------------


@dataclass
class RecomputeResult:
    changed: int = 0
    unchanged: int = 0


FACT_FIELDS = ["children_ages", "elderly_living_in", "income_band", "age_band", "household_size"]


def _facts(customer: Customer) -> rules.HouseholdFacts:
    return rules.facts_from(**{f: getattr(customer, f) for f in FACT_FIELDS})


def active_rule_specs() -> list[rules.RuleSpec]:
    return [r.as_spec() for r in AssignmentRule.objects.filter(is_active=True).order_by("priority")]


def customer_segments_recompute(*, customer_ids, actor=None, specs: list[rules.RuleSpec] | None = None) -> RecomputeResult:
    """Recompute the computed segment of the given customers from the active rules.

    Idempotent: a customer whose computed segment and rule are unchanged is not written and
    leaves no event. A hand override is kept (only ``computed_segment`` moves). Safe when two
    workers recompute the same customers: rows are locked, and a lost insert race is retried.
    Unknown ids are ignored. Returns the counts.
    """
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return RecomputeResult()
    specs = active_rule_specs() if specs is None else specs
    for attempt in range(2):
        try:
            return _recompute(ids, specs, actor)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def _recompute(ids: list[int], specs: list[rules.RuleSpec], actor) -> RecomputeResult:
    now = timezone.now()
    codes = dict(Segment.objects.values_list("pk", "code"))
    existing = {cs.customer_id: cs for cs in CustomerSegment.objects.select_for_update().filter(customer_id__in=ids)}
    customers = Customer.objects.filter(pk__in=ids).only("pk", *FACT_FIELDS).order_by("pk")
    result = RecomputeResult()
    to_create, to_update, events = [], [], []
    for customer in customers:
        match = rules.assign(_facts(customer), specs)
        segment_id = match.segment_id if match else None
        rule_id = match.id if match else None
        current = existing.get(customer.pk)
        if current is None:
            to_create.append(
                CustomerSegment(
                    customer_id=customer.pk,
                    segment_id=segment_id,
                    computed_segment_id=segment_id,
                    rule_id=rule_id,
                    computed_at=now,
                )
            )
            before = ""
        elif current.computed_segment_id == segment_id and current.rule_id == rule_id:
            result.unchanged += 1
            continue
        else:
            before = codes.get(current.computed_segment_id, "")
            current.computed_segment_id, current.rule_id, current.computed_at = segment_id, rule_id, now
            if not current.is_overridden:
                current.segment_id = segment_id
            to_update.append(current)
        result.changed += 1
        events.append(
            SegmentEvent(
                customer_id=customer.pk,
                kind=SegmentEvent.Kind.COMPUTED,
                actor=actor_label(actor),
                before=before,
                after=codes.get(segment_id, ""),
                detail=f"rule {match.priority}" if match else "no rule matched",
            )
        )
    CustomerSegment.objects.bulk_create(to_create)
    CustomerSegment.objects.bulk_update(to_update, ["segment", "computed_segment", "rule", "computed_at"])
    SegmentEvent.objects.bulk_create(events)
    return result


@transaction.atomic
def customer_segment_override(*, actor, customer: Customer, segment: Segment | None, reason: str) -> CustomerSegment:
    """Set a customer's segment by hand (``segment``) or clear the override (``segment=None``).

    Who and why are recorded; the reason is required (ValidationError). Only customer-relations
    managers and the group centre may do it (PermissionDenied). Repeating the same override is
    a no-op. The caller has resolved ``customer`` through a scoped selector.
    """
    if not can_override(actor):
        raise PermissionDenied(_("Only customer-relations managers and the group centre may override a segment."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the segment is set by hand.")]})
    customer_segments_recompute(customer_ids=[customer.pk], actor=actor)  # ensures the row exists
    assignment = (
        CustomerSegment.objects.select_for_update(of=("self",))
        .select_related("segment", "computed_segment")
        .get(customer=customer)
    )
    before = assignment.segment.code if assignment.segment else ""
    if segment is None:
        if not assignment.is_overridden:
            return assignment
        assignment.segment_id = assignment.computed_segment_id
        assignment.is_overridden, assignment.overridden_by, assignment.override_reason = False, None, ""
        assignment.overridden_at = None
        kind, after = (
            SegmentEvent.Kind.OVERRIDE_CLEARED,
            (assignment.computed_segment.code if assignment.computed_segment else ""),
        )
    else:
        if assignment.is_overridden and assignment.segment_id == segment.pk and assignment.override_reason == reason:
            return assignment
        assignment.segment = segment
        assignment.is_overridden, assignment.overridden_by, assignment.override_reason = True, actor, reason
        assignment.overridden_at = timezone.now()
        kind, after = SegmentEvent.Kind.OVERRIDDEN, segment.code
    assignment.save(update_fields=["segment", "is_overridden", "overridden_by", "override_reason", "overridden_at"])
    SegmentEvent.objects.create(customer=customer, kind=kind, actor=actor_label(actor), before=before, after=after, detail=reason)
    return assignment


# --- bulk recompute runs -----------------------------------------------------------------------


@transaction.atomic
def segment_recompute_start(*, actor) -> tuple[SegmentRecomputeRun, bool]:
    """Queue a bulk recompute of every customer; returns (run, created).

    At most one run is active (a unique index decides): asking again while one is queued or
    running returns that run. A run that has not moved for STALE_AFTER is marked failed first.
    The worker is started after commit.
    """
    from .tasks import recompute_run

    if not can_override(actor):
        raise PermissionDenied(_("Only customer-relations managers and the group centre may recompute segments."))
    SegmentRecomputeRun.objects.filter(active=True, updated_at__lt=timezone.now() - STALE_AFTER).update(
        status=SegmentRecomputeRun.Status.FAILED, active=None, error="stale: no progress", finished_at=timezone.now()
    )
    current = SegmentRecomputeRun.objects.filter(active=True).first()
    if current is not None:
        return current, False
    try:
        with transaction.atomic():
            run = SegmentRecomputeRun.objects.create(started_by=actor_label(actor), total=Customer.objects.count())
    except IntegrityError:
        return SegmentRecomputeRun.objects.get(active=True), False
    transaction.on_commit(partial(recompute_run.delay, run_id=run.pk))
    return run, True


def segment_recompute_run_execute(*, run_id: int, batch_size: int = BATCH_SIZE) -> SegmentRecomputeRun | None:
    """Work through a queued run in batches of customer ids, updating its counts as it goes.

    The run is claimed with a conditional UPDATE (queued → running), so a second delivery of
    the same message finds it claimed and does nothing. Each batch commits on its own; the run
    remembers the last customer id, so counts never double. Marks the run failed on error.
    """
    claimed = SegmentRecomputeRun.objects.filter(pk=run_id, status=SegmentRecomputeRun.Status.QUEUED).update(
        status=SegmentRecomputeRun.Status.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
    )
    if not claimed:
        return SegmentRecomputeRun.objects.filter(pk=run_id).first()
    specs = active_rule_specs()
    try:
        while True:
            run = SegmentRecomputeRun.objects.get(pk=run_id)
            ids = list(
                Customer.objects.filter(pk__gt=run.last_customer_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            with transaction.atomic():
                result = customer_segments_recompute(customer_ids=ids, specs=specs)
                SegmentRecomputeRun.objects.filter(pk=run_id).update(
                    processed=F("processed") + len(ids),
                    changed=F("changed") + result.changed,
                    unchanged=F("unchanged") + (len(ids) - result.changed),
                    last_customer_id=ids[-1],
                    updated_at=timezone.now(),
                )
    except Exception as exc:
        SegmentRecomputeRun.objects.filter(pk=run_id).update(
            status=SegmentRecomputeRun.Status.FAILED, active=None, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    SegmentRecomputeRun.objects.filter(pk=run_id).update(
        status=SegmentRecomputeRun.Status.DONE,
        active=None,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        total=F("processed"),
    )
    return SegmentRecomputeRun.objects.get(pk=run_id)


# --- rules --------------------------------------------------------------------------------------


@transaction.atomic
def assignment_rule_save(*, actor, rule: AssignmentRule) -> AssignmentRule:
    """Create or update a rule from a validated or edited instance.

    Group centre only (PermissionDenied). Raises ValidationError for an impossible range or an
    unknown band (nothing written). Existing assignments change at the next recompute run.
    """
    if not can_edit_rules(actor):
        raise PermissionDenied(_("Only the group customer-relations centre may edit assignment rules."))
    rule.full_clean()
    previous = AssignmentRule.objects.select_for_update().filter(pk=rule.pk).first() if rule.pk else None
    before = _rule_snapshot(previous) if previous else {}
    after = _rule_snapshot(rule)
    if before == after:
        return rule
    rule.save()
    SegmentEvent.objects.create(
        kind=SegmentEvent.Kind.RULE_SAVED, actor=actor_label(actor), before=str(before.get("priority", "")),
        after=str(rule.priority), detail=json.dumps({"rule": rule.pk, "before": before, "after": after}, ensure_ascii=False),
    )
    return rule


def _rule_snapshot(rule: AssignmentRule) -> dict:
    fields = ["segment_id", "priority", "name", "child_age_min", "child_age_max", "elderly", "income_bands", "age_bands",
              "household_size_min", "household_size_max", "is_active"]
    return {f: getattr(rule, f) for f in fields}


# --- parcels ------------------------------------------------------------------------------------


def land_needs() -> dict[str, dict[str, int]]:
    """{segment code: {attribute code: weight}} in segment order (one query)."""
    needs: dict[str, dict[str, int]] = {
        code: {} for code in Segment.objects.order_by("order", "code").values_list("code", flat=True)
    }
    rows = SegmentLandNeed.objects.values_list("segment__code", "attribute__code", "weight").order_by("attribute__order")
    for seg, attr, weight in rows:
        needs[seg][attr] = weight
    return needs


@transaction.atomic
def parcel_assess(*, actor, project: Project, name: str, attribute_codes, location: str = "", note: str = "") -> ParcelAssessment:
    """Record a candidate parcel's attributes and score it for every segment ("city map").

    Raises ValidationError (nothing written) for a blank name, no attributes, or unknown
    attribute codes. Each call creates a new assessment. The caller resolved ``project``
    through a scoped selector.
    """
    name = (name or "").strip()
    codes = list(dict.fromkeys(str(c) for c in (attribute_codes or [])))
    known = {a.code: a for a in LandAttribute.objects.filter(code__in=codes)}
    errors = {}
    if not name:
        errors["name"] = [_("Name the parcel.")]
    if not codes:
        errors["attributes"] = [_("Tick at least one attribute the parcel offers.")]
    unknown = [c for c in codes if c not in known]
    if unknown:
        errors["attributes"] = [_("Unknown attributes: %(codes)s") % {"codes": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    fits = rules.parcel_fit(needs=land_needs(), present=codes)
    segments = {s.code: s for s in Segment.objects.all()}
    parcel = ParcelAssessment.objects.create(
        project=project,
        name=name[:150],
        location=(location or "")[:200],
        note=note or "",
        best_segment=segments[fits[0].segment] if fits else None,
        created_by=actor_label(actor),
    )
    parcel.attributes.set(known.values())
    ParcelScore.objects.bulk_create(
        [
            ParcelScore(
                parcel=parcel,
                segment=segments[f.segment],
                score=Decimal(str(f.score)),
                rank=i,
                drivers=list(f.drivers),
                gaps=list(f.gaps),
            )
            for i, f in enumerate(fits, start=1)
        ]
    )
    return parcel
