"""Demo data: replay the last 13 months of daily runs on the demo contracts, with owners answering.

Everything goes through the services (invitations, sends, reminders, expiries, answers, low-score
follow-ups and their notifications), with the clock of each replayed day passed in.
"""

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings

from crm_site.demo_context import DemoContext

from . import services
from .models import Invitation, Response, Wave

REPLAY_DAYS = 400
ANSWER_SHARE = 0.55


def _answers(rng, questions, mood: float) -> dict:
    """Answers leaning on ``mood`` (0 unhappy … 1 delighted); optional questions often skipped."""

    def rating():
        return max(1, min(5, round(rng.gauss(1 + 4 * mood, 0.8))))

    out = {}
    for q in questions:
        if not q.required and rng.random() < 0.5:
            continue
        if q.kind == "rating":
            out[q.key] = rating()
        elif q.kind == "recommend":
            out[q.key] = max(0, min(10, round(rng.gauss(10 * mood, 1.6))))
        elif q.kind == "yes_no":
            out[q.key] = 1 if rng.random() < 0.2 + 0.7 * mood else 0
        elif q.kind == "single":
            out[q.key] = rng.choice(q.choices)["value"]
        elif q.kind == "multiple":
            out[q.key] = sorted({rng.choice(q.choices)["value"] for _ in range(rng.randint(1, 2))})
        else:
            out[q.key] = rng.choice(["", "希望物业响应再快一些。", "整体不错,绿化很好。", "地下车库渗水,请尽快处理。"])
    return out


def load(ctx: DemoContext) -> str:
    rng = ctx.rng
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    # Each project has its own mood, so that the results pages have something to compare.
    moods = {p.pk: m for p, m in zip(ctx.projects, (0.82, 0.66, 0.48), strict=False)}
    days = ctx.extra.get("satisfaction_replay_days", REPLAY_DAYS)
    start = ctx.today - timedelta(days=days)
    # Some owners joined a frame-completion or finished-home visit in the last year.
    for contract in rng.sample(ctx.contracts, k=min(40, len(ctx.contracts))):
        kind = rng.choice([Wave.Trigger.FRAME_VISIT, Wave.Trigger.FINISHED_VISIT])
        day = start + timedelta(days=rng.randint(min(30, days - 5), days - 5))
        services.trigger_record(kind=kind, contract=contract, occurred_on=day, source_ref=f"demo-visit:{contract.pk}")

    runs = 0
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        morning = datetime.combine(day, time(9, 30), tzinfo=tz)
        services.daily_run(now=morning)
        runs += 1
        # Owners answer some of the invitations sent in the last week, a few hours after reading them.
        fresh = Invitation.objects.filter(
            status=Invitation.Status.SENT, sent_at__gte=morning - timedelta(days=7), sent_at__lte=morning
        ).select_related("template", "wave")
        for inv in fresh:
            if rng.random() > ANSWER_SHARE / 3:
                continue
            questions = list(inv.template.questions.order_by("order"))
            mood = max(0.0, min(1.0, rng.gauss(moods.get(inv.project_id, 0.7), 0.18)))
            services.response_submit(
                invitation=inv, answers=_answers(rng, questions, mood), now=morning + timedelta(hours=rng.randint(1, 10))
            )
    total = Invitation.objects.count()
    answered = Response.objects.count()
    low = Response.objects.filter(is_low=True).count()
    return f"{runs} daily runs replayed: {total} invitations, {answered} responses, {low} low scores with follow-ups"
