"""The balanced scorecard (平衡计分卡): services for managers' edits and the selector that fills it.

Objectives, measures and targets belong to one project, so a project's managers maintain their
own scorecard and nobody edits another project's. Customer-perspective measures name a live KPI
(``kpi_key``) and take its value for the month; other measures take the actual a manager enters.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from crm_site.models import ScorecardActual, ScorecardMeasure, ScorecardObjective, ScorecardPerspective
from estates.models import Project, Role

from . import audit, rules
from .selectors import invalidate_project

MANAGER_ROLES = frozenset({Role.CR_MANAGER, Role.GROUP_CENTRE, Role.ADMIN})

# Live KPIs a measure may be tied to; each comes from a feature app's section when it is present.
LIVE_KPIS = {
    "complaint_satisfaction": _("Complaint handling satisfaction (%)"),
    "complaint_on_time": _("Complaints handled on time (%)"),
    "complaint_closure": _("Complaints closed (%)"),
    "complaint_revisit": _("Complaints revisited (%)"),
    "survey_satisfaction": _("Survey satisfaction (%)"),
    "survey_recommend": _("Recommend score (−100…100)"),
    "survey_response": _("Survey response rate (%)"),
    "defect_on_time": _("Rectifications on time (%)"),
    "touchpoint_coverage": _("A-grade touchpoint coverage (%)"),
}

# The seed's scorecard, as a starting point a manager then edits (Chinese names are data).
DEFAULTS = [
    (
        ScorecardPerspective.CUSTOMER,
        "客户满意",
        [
            ("投诉处理满意度", "%", "80", "gt", "complaint_satisfaction"),
            ("投诉及时处理率", "%", "90", "gte", "complaint_on_time"),
            ("投诉关闭率", "%", "100", "gte", "complaint_closure"),
            ("投诉回访率", "%", "100", "gte", "complaint_revisit"),
        ],
    ),
    (
        ScorecardPerspective.CUSTOMER,
        "客户忠诚",
        [
            ("满意度调查满意率", "%", "80", "gt", "survey_satisfaction"),
            ("业主推荐值", "分", "30", "gte", "survey_recommend"),
        ],
    ),
    (
        ScorecardPerspective.INTERNAL,
        "缺陷与风险闭环",
        [
            ("缺陷按期整改率", "%", "90", "gte", "defect_on_time"),
            ("风险预控项按期关闭率", "%", "100", "gte", ""),
            ("重大投诉案例编写率", "%", "100", "gte", ""),
        ],
    ),
    (
        ScorecardPerspective.LEARNING,
        "员工能力",
        [
            ("A级触点覆盖率", "%", "100", "gte", "touchpoint_coverage"),
            ("客服人员培训课时", "小时", "16", "gte", ""),
        ],
    ),
    (
        ScorecardPerspective.FINANCIAL,
        "成本控制",
        [
            ("投诉赔偿金额", "万元", "50", "lte", ""),
            ("维修费用", "万元", "100", "lte", ""),
        ],
    ),
]


class ScorecardPermissionDenied(Exception):
    """The actor may read the scorecard but not change it."""


def can_manage_scorecard(actor) -> bool:
    return bool(getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in MANAGER_ROLES)


def _require_manager(actor) -> None:
    if not can_manage_scorecard(actor):
        raise ScorecardPermissionDenied


@transaction.atomic
def scorecard_seed_defaults(*, project: Project, actor) -> int:
    """Add the seed's objectives and measures that the project does not have yet.

    Safe to repeat (existing objectives and measures are left as they are) and safe when two run
    at once (unique constraints decide). Returns how many measures were created. Raises
    ScorecardPermissionDenied for non-managers.
    """
    _require_manager(actor)
    created, names = 0, []
    for position, (perspective, title, measures) in enumerate(DEFAULTS):
        objective, _new = ScorecardObjective.objects.get_or_create(
            project=project, perspective=perspective, title=title, defaults={"position": position}
        )
        for mpos, (name, unit, target, direction, kpi_key) in enumerate(measures):
            _m, new = ScorecardMeasure.objects.get_or_create(
                objective=objective,
                name=name,
                defaults={"unit": unit, "target": Decimal(target), "direction": direction, "kpi_key": kpi_key, "position": mpos},
            )
            created += int(new)
            if new:
                names.append(name)
    if created:
        audit.record(project_id=project.pk, actor=actor, kind=audit.Kind.SEEDED, after={"measures": names})
    transaction.on_commit(lambda: invalidate_project(project.pk))
    return created


@transaction.atomic
def scorecard_measure_save(
    *,
    project: Project,
    actor,
    perspective: str,
    objective_title: str,
    name: str,
    unit: str,
    target: Decimal,
    direction: str,
    kpi_key: str = "",
    measure: ScorecardMeasure | None = None,
) -> ScorecardMeasure:
    """Create a measure (and its objective if new) or update ``measure`` in place.

    Raises ScorecardPermissionDenied for non-managers and ValueError for a duplicate name under
    the same objective (nothing is written then).
    """
    _require_manager(actor)
    objective, _new = ScorecardObjective.objects.get_or_create(
        project=project, perspective=perspective, title=objective_title.strip()
    )
    fields = {
        "objective": objective,
        "name": name.strip(),
        "unit": unit.strip(),
        "target": target,
        "direction": direction,
        "kpi_key": kpi_key,
    }
    before = _measure_values(measure) if measure is not None else {}
    try:
        with transaction.atomic():
            if measure is None:
                measure = ScorecardMeasure.objects.create(**fields)
            else:
                for attr, value in fields.items():
                    setattr(measure, attr, value)
                measure.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise ValueError("duplicate measure") from None
    if before:
        old, new = audit.changes(before, _measure_values(measure))
        if new:
            audit.record(
                project_id=project.pk,
                actor=actor,
                kind=audit.Kind.MEASURE_UPDATED,
                subject=measure.name,
                subject_id=measure.pk,
                before=old,
                after=new,
            )
    else:
        audit.record(
            project_id=project.pk,
            actor=actor,
            kind=audit.Kind.MEASURE_CREATED,
            subject=measure.name,
            subject_id=measure.pk,
            after=_measure_values(measure),
        )
    transaction.on_commit(lambda: invalidate_project(project.pk))
    return measure


def _measure_values(measure: ScorecardMeasure) -> dict:
    """What the trail records of a measure: the fields a manager edits."""
    return {
        "perspective": measure.objective.perspective,
        "objective": measure.objective.title,
        "name": measure.name,
        "unit": measure.unit,
        "target": measure.target,
        "direction": measure.direction,
        "kpi_key": measure.kpi_key,
    }


@transaction.atomic
def scorecard_measure_delete(*, measure: ScorecardMeasure, actor) -> None:
    """Delete a measure with its actuals; an objective left without measures goes too."""
    _require_manager(actor)
    objective, project_id = measure.objective, measure.objective.project_id
    audit.record(
        project_id=project_id,
        actor=actor,
        kind=audit.Kind.MEASURE_DELETED,
        subject=measure.name,
        subject_id=measure.pk,
        before=_measure_values(measure),
    )
    measure.delete()
    if not objective.measures.exists():
        objective.delete()
    transaction.on_commit(lambda: invalidate_project(project_id))


@transaction.atomic
def scorecard_actuals_record(*, project: Project, actor, month: dt.date, values: dict[int, Decimal | None]) -> int:
    """Store the month's hand-entered actuals {measure_id: value}; None removes one.

    Only measures of ``project`` without a live KPI are touched (others are ignored). Repeating
    it with the same values changes nothing. Returns how many rows were written or removed.
    """
    _require_manager(actor)
    measures = {m.pk: m for m in ScorecardMeasure.objects.filter(objective__project=project, kpi_key="", pk__in=list(values))}
    # The month's values before the edit, for the audit trail (one query).
    existing = dict(ScorecardActual.objects.filter(measure_id__in=list(measures), month=month).values_list("measure_id", "value"))
    changed = 0
    for pk, value in values.items():
        if pk not in measures:
            continue
        event = {"project_id": project.pk, "actor": actor, "subject": measures[pk].name, "subject_id": pk}
        if value is None:
            if pk in existing:
                removed = ScorecardActual.objects.filter(measure_id=pk, month=month).delete()[0]
                if removed:
                    audit.record(
                        **event,
                        kind=audit.Kind.ACTUAL_REMOVED,
                        before={"month": month, "value": existing[pk]},
                        after={"month": month},
                    )
                changed += removed
            continue
        row, created = ScorecardActual.objects.get_or_create(
            measure_id=pk, month=month, defaults={"value": value, "recorded_by": actor}
        )
        if created:
            audit.record(
                **event, kind=audit.Kind.ACTUAL_RECORDED, before={"month": month}, after={"month": month, "value": value}
            )
        elif row.value != value:
            audit.record(
                **event,
                kind=audit.Kind.ACTUAL_RECORDED,
                before={"month": month, "value": row.value},
                after={"month": month, "value": value},
            )
            row.value, row.recorded_by = value, actor
            row.save(update_fields=["value", "recorded_by", "recorded_at"])
            changed += 1
        changed += int(created)
    transaction.on_commit(lambda: invalidate_project(project.pk))
    return changed


def scorecard_measures(*, project: Project) -> list[ScorecardMeasure]:
    """The project's measures with their objectives (one query); the project is already in scope."""
    return list(ScorecardMeasure.objects.filter(objective__project=project).select_related("objective"))


def scorecard_measure_get(*, project: Project, pk) -> ScorecardMeasure:
    """One measure of ``project``; another project's measure is a 404 like a missing one."""
    from django.http import Http404

    try:
        return ScorecardMeasure.objects.select_related("objective").get(objective__project=project, pk=pk)
    except (ScorecardMeasure.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def scorecard_manual_actuals(*, measures: list[ScorecardMeasure], month: dt.date) -> dict[int, Decimal]:
    """{measure id: value} entered for ``month`` (one query)."""
    if not measures:
        return {}
    return dict(ScorecardActual.objects.filter(measure__in=measures, month=month).values_list("measure_id", "value"))


def scorecard_get(*, project: Project, month: dt.date, live_kpis: dict) -> list[dict]:
    """The scorecard by perspective for ``month``: three queries, whatever its size.

    ``live_kpis`` maps KPI keys to the month's values (from the dashboard); a live measure whose
    KPI is not available yet shows no actual rather than a made-up one.
    """
    objectives = list(ScorecardObjective.objects.filter(project=project).prefetch_related("measures"))
    manual = {a.measure_id: a for a in ScorecardActual.objects.filter(measure__objective__project=project, month=month)}
    perspectives = []
    for key, label in ScorecardPerspective.choices:
        objs = []
        for o in (o for o in objectives if o.perspective == key):
            measures = []
            for m in o.measures.all():
                if m.kpi_key:
                    actual, source = live_kpis.get(m.kpi_key), "live"
                else:
                    row = manual.get(m.pk)
                    actual, source = (row.value if row else None), "manual"
                measures.append(
                    {
                        "measure": m,
                        "actual": actual,
                        "source": source,
                        "met": rules.meets(actual, m.target, m.direction),
                        "kpi_label": LIVE_KPIS.get(m.kpi_key, m.kpi_key),
                    }
                )
            objs.append({"objective": o, "measures": measures})
        met = [m["met"] for o in objs for m in o["measures"] if m["met"] is not None]
        perspectives.append(
            {"key": key, "label": label, "objectives": objs, "met": sum(1 for x in met if x), "measured": len(met)}
        )
    return perspectives
