"""Every read the satisfaction pages and endpoints use: scoped to the actor, aggregated in the database.

Scores (DOMAIN.md §5):
- satisfaction index — the mean 1–5 overall rating on 0–100 (per dimension: that dimension's ratings);
- share satisfied — overall ratings of 4 or 5 / overall ratings;
- recommend — NPS style: % promoters (9–10) − % detractors (0–6), on −100…100;
- repurchase intent — "yes" / answers to the repurchase question;
- response rate — responses / invitations sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from estates.access import get_in_scope_or_404, scope_to_actor
from estates.models import Project

from . import rules
from .models import (
    TALLY_FIELDS,
    Answer,
    Dimension,
    Event,
    FollowUp,
    Invitation,
    ProjectTally,
    Question,
    Response,
    Run,
    SurveyTemplate,
    Wave,
)

GROUPINGS = ("project", "wave", "dimension", "period", "segment")


# --- catalogue ----------------------------------------------------------------------------------


def wave_list() -> QuerySet[Wave]:
    """Waves are a group-wide catalogue: every member of staff may read them."""
    return Wave.objects.select_related("template").order_by("order", "code")


def wave_get(*, pk) -> Wave:
    from django.http import Http404

    try:
        return wave_list().get(pk=pk)
    except (Wave.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def template_list(*, current_only: bool = True) -> QuerySet[SurveyTemplate]:
    qs = SurveyTemplate.objects.annotate(question_count=Count("questions")).order_by("code", "-version")
    return qs.filter(is_current=True) if current_only else qs


def template_get(*, pk) -> SurveyTemplate:
    from django.http import Http404

    try:
        return SurveyTemplate.objects.prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("order"))).get(
            pk=pk
        )
    except (SurveyTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def template_versions(*, code: str) -> QuerySet[SurveyTemplate]:
    return SurveyTemplate.objects.filter(code=code).order_by("-version")


# --- invitations --------------------------------------------------------------------------------


def invitation_list(*, actor, project: Project | None = None, wave: Wave | None = None, status: str = "") -> QuerySet[Invitation]:
    qs = scope_to_actor(Invitation.objects.select_related("project", "wave", "customer", "contract__unit"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    if wave is not None:
        qs = qs.filter(wave=wave)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-due_on", "-pk")


def invitation_get(*, actor, pk) -> Invitation:
    qs = Invitation.objects.select_related("project", "wave", "customer", "contract__unit", "template").prefetch_related(
        Prefetch("events", queryset=Event.objects.select_related("actor").order_by("at", "pk"))
    )
    return get_in_scope_or_404(qs, actor, pk=pk)


def invitation_status_counts(*, actor, project: Project | None = None) -> dict[str, int]:
    qs = scope_to_actor(Invitation.objects.all(), actor)
    if project is not None:
        qs = qs.filter(project=project)
    return dict(qs.values("status").annotate(n=Count("pk")).values_list("status", "n"))


def invitation_for_token(*, invitation_id: int) -> Invitation | None:
    """The owner's page: no actor, the signed token is the authority (checked by the caller)."""
    return (
        Invitation.objects.select_related("wave", "template", "project", "customer")
        .prefetch_related(Prefetch("template__questions", queryset=Question.objects.order_by("order")))
        .filter(pk=invitation_id)
        .first()
    )


def run_list() -> QuerySet[Run]:
    return Run.objects.order_by("-started_at", "-pk")


# --- responses and follow-ups -------------------------------------------------------------------


def response_list(
    *, actor, project: Project | None = None, wave: Wave | None = None, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Response]:
    qs = scope_to_actor(
        Response.objects.select_related("project", "wave", "invitation__customer", "invitation__contract__unit").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("question").order_by("question__order"))
        ),
        actor,
    )
    qs = _period_filter(qs, "submitted_at", date_from, date_to)
    if project is not None:
        qs = qs.filter(project=project)
    if wave is not None:
        qs = qs.filter(wave=wave)
    return qs.order_by("-submitted_at", "-pk")


def follow_up_list(*, actor, status: str = "") -> QuerySet[FollowUp]:
    qs = scope_to_actor(
        FollowUp.objects.select_related("project", "assignee", "response__wave", "response__invitation__customer"), actor
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-pk")


def follow_up_get(*, actor, pk) -> FollowUp:
    qs = FollowUp.objects.select_related(
        "project", "assignee", "response__wave", "response__invitation__customer", "response__invitation__contract__unit"
    ).prefetch_related(
        Prefetch("events", queryset=Event.objects.select_related("actor").order_by("at", "pk")),
        Prefetch("response__answers", queryset=Answer.objects.select_related("question").order_by("question__order")),
    )
    return get_in_scope_or_404(qs, actor, pk=pk)


# --- scores -------------------------------------------------------------------------------------


@dataclass
class ScoreRow:
    key: object
    label: str
    responses: int
    sent: int | None
    response_rate: float | None
    satisfaction_index: float | None
    share_satisfied: float | None
    recommend_score: float | None
    repurchase_intent: float | None

    def as_dict(self) -> dict:
        return {k: (str(v) if k == "label" else v) for k, v in self.__dict__.items()}


def _period_filter(qs, field: str, date_from: date | None, date_to: date | None):
    if date_from:
        qs = qs.filter(**{f"{field}__date__gte": date_from})
    if date_to:
        qs = qs.filter(**{f"{field}__date__lte": date_to})
    return qs


_RESPONSE_AGGREGATES = {
    "n": Count("pk"),
    "avg_overall": Avg("overall"),
    "overall_n": Count("overall"),
    "satisfied": Count("pk", filter=Q(overall__gte=rules.SATISFIED_FROM)),
    "recommend_n": Count("recommend"),
    "promoters": Count("pk", filter=Q(recommend__gte=rules.PROMOTER_FROM)),
    "detractors": Count("pk", filter=Q(recommend__lte=rules.DETRACTOR_UP_TO)),
    "repurchase_n": Count("repurchase"),
    "repurchase_yes": Count("pk", filter=Q(repurchase=True)),
}


def _row(key, label, agg: dict, sent: int | None) -> ScoreRow:
    return ScoreRow(
        key=key,
        label=label,
        responses=agg["n"],
        sent=sent,
        response_rate=rules.share(agg["n"], sent) if sent is not None else None,
        satisfaction_index=rules.satisfaction_index(agg["avg_overall"]),
        share_satisfied=rules.share(agg["satisfied"], agg["overall_n"]),
        recommend_score=rules.recommend_score(
            promoters=agg["promoters"], detractors=agg["detractors"], answers=agg["recommend_n"]
        ),
        repurchase_intent=rules.share(agg["repurchase_yes"], agg["repurchase_n"]),
    )


def segment_selector():
    """The segments app's catalogue selector (``segments.selectors.segment_list``), or None.

    DESIGN.md: satisfaction ──► segments. Scores by segment group responses in the database by
    the owner's current segment (``Customer.segment_assignment.segment``, the segments app's
    one-to-one) and take labels and order from this selector; without the app the "segment"
    grouping is empty.
    """
    try:
        from segments import selectors as segment_selectors
    except ImportError:  # pragma: no cover - the app is installed in this project
        return None
    return getattr(segment_selectors, "segment_list", None)


SEGMENT_PATH = "invitation__customer__segment_assignment__segment"


def scores(
    *,
    actor,
    group_by: str = "wave",
    project: Project | None = None,
    wave: Wave | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[ScoreRow]:
    """Scores grouped by project, wave, dimension, month (period) or segment: three queries at most."""
    if group_by not in GROUPINGS:
        raise ValueError(group_by)
    responses = scope_to_actor(Response.objects.all(), actor)
    sent = scope_to_actor(Invitation.objects.filter(sent_at__isnull=False), actor)
    if project is not None:
        responses, sent = responses.filter(project=project), sent.filter(project=project)
    if wave is not None:
        responses, sent = responses.filter(wave=wave), sent.filter(wave=wave)
    responses = _period_filter(responses, "submitted_at", date_from, date_to)
    sent = _period_filter(sent, "sent_at", date_from, date_to)

    if group_by == "dimension":
        return _scores_by_dimension(responses)
    if group_by == "segment":
        segment_list = segment_selector()
        if segment_list is None:
            return []
        agg = {a["k"]: a for a in responses.annotate(k=F(SEGMENT_PATH)).values("k").annotate(**_RESPONSE_AGGREGATES)}
        sent_by = dict(
            sent.annotate(k=F("customer__segment_assignment__segment")).values("k").annotate(n=Count("pk")).values_list("k", "n")
        )
        empty = dict.fromkeys(_RESPONSE_AGGREGATES, 0) | {"avg_overall": None}
        rows = [
            _row(
                seg.code,
                seg.name_en if translation.get_language() == "en" and seg.name_en else seg.name,
                agg.get(seg.pk, empty),
                sent_by.get(seg.pk, 0),
            )
            for seg in segment_list()
            if seg.pk in agg or seg.pk in sent_by
        ]
        if None in agg or None in sent_by:
            rows.append(_row(None, _("No segment"), agg.get(None, empty), sent_by.get(None, 0)))
        return rows
    if group_by == "period":
        agg = responses.annotate(k=TruncMonth("submitted_at")).values("k").annotate(**_RESPONSE_AGGREGATES).order_by("k")
        sent_by = dict(sent.annotate(k=TruncMonth("sent_at")).values("k").annotate(n=Count("pk")).values_list("k", "n"))
        sent_by = {_month(k): v for k, v in sent_by.items()}
        return [_row(_month(a["k"]), _month(a["k"]).strftime("%Y-%m"), a, sent_by.get(_month(a["k"]), 0)) for a in agg]
    field = "project" if group_by == "project" else "wave"
    agg = list(responses.values(field).annotate(**_RESPONSE_AGGREGATES))
    sent_by = dict(sent.values(field).annotate(n=Count("pk")).values_list(field, "n"))
    keys = set(sent_by) | {a[field] for a in agg}
    model = Project if field == "project" else Wave
    objects = model.objects.in_bulk(keys)
    by_key = {a[field]: a for a in agg}
    empty = dict.fromkeys(_RESPONSE_AGGREGATES, 0) | {"avg_overall": None}
    order = (lambda o: o.code) if field == "project" else (lambda o: (o.order, o.code))
    return [
        _row(obj.pk, obj.name, by_key.get(obj.pk, empty), sent_by.get(obj.pk, 0)) for obj in sorted(objects.values(), key=order)
    ]


def _month(value) -> date:
    return value.date().replace(day=1) if hasattr(value, "date") else value.replace(day=1)


def _scores_by_dimension(responses) -> list[ScoreRow]:
    ratings = Answer.objects.filter(response__in=responses, question__kind=Question.Kind.RATING, value_int__isnull=False)
    agg = {
        a["question__dimension"]: a
        for a in ratings.values("question__dimension").annotate(
            n=Count("response", distinct=True),
            avg=Avg("value_int"),
            answers=Count("pk"),
            satisfied=Count("pk", filter=Q(value_int__gte=rules.SATISFIED_FROM)),
        )
    }
    rows = []
    for value, label in Dimension.choices:
        a = agg.get(value)
        if a is None:
            continue
        rows.append(
            ScoreRow(
                value,
                label,
                a["n"],
                None,
                None,
                rules.satisfaction_index(a["avg"]),
                rules.share(a["satisfied"], a["answers"]),
                None,
                None,
            )
        )
    return rows


def headline(
    *, actor, project: Project | None = None, wave: Wave | None = None, date_from: date | None = None, date_to: date | None = None
) -> ScoreRow:
    """The whole selection as one row: two queries."""
    responses = scope_to_actor(Response.objects.all(), actor)
    sent = scope_to_actor(Invitation.objects.filter(sent_at__isnull=False), actor)
    if project is not None:
        responses, sent = responses.filter(project=project), sent.filter(project=project)
    if wave is not None:
        responses, sent = responses.filter(wave=wave), sent.filter(wave=wave)
    responses = _period_filter(responses, "submitted_at", date_from, date_to)
    sent = _period_filter(sent, "sent_at", date_from, date_to)
    return _row(None, _("All"), responses.aggregate(**_RESPONSE_AGGREGATES), sent.count())


def satisfaction_project_summary(*, actor, projects: list[Project] | None = None) -> dict[int, dict]:
    """Headline scores per project for the dashboards, in two queries whatever the number of projects.

    Returns ``{project_id: {"responses", "sent", "response_rate", "satisfaction_index",
    "share_satisfied", "recommend_score", "repurchase_intent", "open_follow_ups"}}`` for the
    projects in the actor's scope (narrowed to ``projects`` when given) that have any survey data.

    The all-time response and sent counts come from the trigger-kept tallies (``ProjectTally``:
    a few rows per project, exact at every moment) instead of aggregating every response and
    sent invitation; ``tests/satisfaction/test_tallies.py`` holds them to that aggregate.
    """
    tallies = scope_to_actor(ProjectTally.objects.all(), actor)
    follow_ups = scope_to_actor(FollowUp.objects.exclude(status=FollowUp.Status.CLOSED), actor)
    if projects is not None:
        ids = [p.pk for p in projects]
        tallies, follow_ups = (qs.filter(project_id__in=ids) for qs in (tallies, follow_ups))
    sums = {
        row["project"]: row
        for row in tallies.order_by().values("project").annotate(**{f"t_{c}": Sum(c) for c in TALLY_FIELDS})
        if row["t_responses"] or row["t_sent"]
    }
    open_by = dict(follow_ups.values("project").annotate(n=Count("pk")).values_list("project", "n"))
    empty = dict.fromkeys(_RESPONSE_AGGREGATES, 0) | {"avg_overall": None}
    out = {}
    for pk in set(sums) | set(open_by):
        t = sums.get(pk)
        agg = _tally_aggregates(t) if t else empty
        row = _row(pk, "", agg, t["t_sent"] if t else 0)
        out[pk] = {k: v for k, v in row.__dict__.items() if k not in ("key", "label")} | {"open_follow_ups": open_by.get(pk, 0)}
    return out


def _tally_aggregates(t: dict) -> dict:
    """``_RESPONSE_AGGREGATES`` computed from summed tallies (AVG = sum / count of the answers)."""
    agg = {
        k: t[f"t_{k}"]
        for k in ("overall_n", "satisfied", "recommend_n", "promoters", "detractors", "repurchase_n", "repurchase_yes")
    }
    agg["n"] = t["t_responses"]
    agg["avg_overall"] = t["t_overall_sum"] / t["t_overall_n"] if t["t_overall_n"] else None
    return agg


WAVE_COLUMNS = ("wave", "wave__order", "wave__code", "wave__name")


def dashboard_scores(*, actor, project: Project, date_from: date, date_to: date) -> dict:
    """One project's headline, by-wave and by-segment scores for a period, in three queries.

    The same numbers as ``headline`` and ``scores(group_by="wave"|"segment")`` (a test holds them
    together), from one grid of responses by (wave, segment) and one of invitations sent: every
    response has a wave, so the headline and each wave are sums over the grid. The period is
    compared as a range of the site's local days, so the (project, wave, submitted_at) index serves it.
    """
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(date_from, time.min), tz)
    hi = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), tz)
    responses = scope_to_actor(Response.objects.filter(project=project, submitted_at__gte=lo, submitted_at__lt=hi), actor)
    sent = scope_to_actor(Invitation.objects.filter(project=project, sent_at__gte=lo, sent_at__lt=hi), actor)
    additive = {k: v for k, v in _RESPONSE_AGGREGATES.items() if k != "avg_overall"}
    grid = list(
        responses.order_by()
        .annotate(k=F(SEGMENT_PATH))
        .values(*WAVE_COLUMNS, "k")
        .annotate(sum_overall=Sum("overall"), **additive)
    )
    sent_grid = list(
        sent.order_by().annotate(k=F("customer__segment_assignment__segment")).values(*WAVE_COLUMNS, "k").annotate(n=Count("pk"))
    )

    def fold(rows) -> dict:
        out = dict.fromkeys((*additive, "sum_overall"), 0)
        for r in rows:
            for key in out:
                out[key] += r[key] or 0
        out["avg_overall"] = out["sum_overall"] / out["overall_n"] if out["overall_n"] else None
        return out

    def sent_of(rows) -> int:
        return sum(r["n"] for r in rows)

    head = _row(None, _("All"), fold(grid), sent_of(sent_grid))
    # The waves' names and order come with the grids (no query of their own).
    waves = {r["wave"]: (r["wave__order"], r["wave__code"], r["wave__name"]) for r in (*grid, *sent_grid)}
    by_wave = [
        _row(pk, name, fold(r for r in grid if r["wave"] == pk), sent_of(r for r in sent_grid if r["wave"] == pk))
        for pk, (_order, _code, name) in sorted(waves.items(), key=lambda kv: kv[1][:2])
    ]
    by_segment = []
    segment_list = segment_selector()
    if segment_list is not None:
        english = translation.get_language() == "en"
        keys = {r["k"] for r in grid} | {r["k"] for r in sent_grid}
        for seg in segment_list().prefetch_related(None):
            if seg.pk in keys:
                label = seg.name_en if english and seg.name_en else seg.name
                by_segment.append(
                    _row(
                        seg.code,
                        label,
                        fold(r for r in grid if r["k"] == seg.pk),
                        sent_of(r for r in sent_grid if r["k"] == seg.pk),
                    )
                )
        if None in keys:
            by_segment.append(
                _row(
                    None,
                    _("No segment"),
                    fold(r for r in grid if r["k"] is None),
                    sent_of(r for r in sent_grid if r["k"] is None),
                )
            )
    return {"headline": head, "waves": by_wave, "segments": by_segment}
