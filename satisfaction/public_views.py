"""The owner's survey page: no login, a signed expiring link, Chinese first, one response per invitation."""

from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import selectors, services
from .models import Invitation, Question
from .tokens import TokenExpired, TokenInvalid, read_token

RATING_LABELS = {
    1: gettext_lazy("Very dissatisfied"),
    2: gettext_lazy("Dissatisfied"),
    3: gettext_lazy("Neutral"),
    4: gettext_lazy("Satisfied"),
    5: gettext_lazy("Very satisfied"),
}


def _language(request) -> str:
    return "en" if request.GET.get("lang") == "en" else "zh-hans"


def _resolve(request, token: str):
    """(invitation, error page name): the token is the only authority on this page."""
    try:
        data = read_token(token)
    except TokenExpired:
        return None, "expired"
    except TokenInvalid:
        return None, "invalid"
    invitation = selectors.invitation_for_token(invitation_id=data.invitation_id)
    if invitation is None or invitation.closes_on != data.closes_on:
        return None, "invalid"
    return invitation, ""


def _notice(request, kind: str, status: int, invitation=None):
    return render(request, "satisfaction/public_notice.html", {"kind": kind, "invitation": invitation}, status=status)


def _field_rows(questions: list[Question], values: dict, errors: dict) -> list[dict]:
    en = translation.get_language() == "en"
    rows = []
    for q in questions:
        name = f"q_{q.key}"
        current = values.get(q.key)
        chosen = (
            {str(v) for v in current} if isinstance(current, list) else {str(current)} if current not in (None, "") else set()
        )
        if q.kind == Question.Kind.RATING:
            options = [(str(v), f"{v} · {RATING_LABELS[v]}") for v in range(5, 0, -1)]
        elif q.kind == Question.Kind.RECOMMEND:
            options = [(str(v), str(v)) for v in range(11)]
        elif q.kind == Question.Kind.YES_NO:
            options = [("1", _("Yes")), ("0", _("No"))]
        else:
            options = [(c["value"], (c.get("name_en") if en else "") or c["name"]) for c in q.choices]
        rows.append(
            {
                "q": q,
                "name": name,
                "text": (q.text_en if en else "") or q.text,
                "error": errors.get(q.key, [""])[0],
                "options": [
                    {"value": v, "label": label, "checked": v in chosen, "id": f"{name}_{i}"}
                    for i, (v, label) in enumerate(options)
                ],
                "text_value": current if isinstance(current, str) else "",
            }
        )
    return rows


@never_cache
def survey(request, token):
    with translation.override(_language(request)):
        invitation, problem = _resolve(request, token)
        if problem:
            return _notice(request, problem, 410 if problem == "expired" else 404)
        if hasattr(invitation, "response"):
            return redirect("satisfaction:survey-thanks", token=token)
        if invitation.status != Invitation.Status.SENT:
            return _notice(request, "closed", 410, invitation)
        questions = list(invitation.template.questions.all())
        values, errors = {}, {}
        if request.method == "POST":
            values = {
                q.key: request.POST.getlist(f"q_{q.key}")
                if q.kind == Question.Kind.MULTIPLE
                else request.POST.get(f"q_{q.key}", "")
                for q in questions
            }
            try:
                services.response_submit(invitation=invitation, answers=values)
            except services.SurveyInvalid as exc:
                errors = exc.errors
            except services.InvitationClosed:
                return _notice(request, "closed", 410, invitation)
            else:
                return redirect("satisfaction:survey-thanks", token=token)
        return render(
            request,
            "satisfaction/survey.html",
            {"invitation": invitation, "rows": _field_rows(questions, values, errors), "errors": errors, "token": token},
            status=400 if errors else 200,
        )


@never_cache
def survey_thanks(request, token):
    with translation.override(_language(request)):
        invitation, problem = _resolve(request, token)
        if problem == "invalid":
            return _notice(request, "invalid", 404)
        return _notice(request, "thanks", 200, invitation)


@never_cache
def survey_opt_out(request, token):
    with translation.override(_language(request)):
        invitation, problem = _resolve(request, token)
        if problem:
            return _notice(request, problem, 410 if problem == "expired" else 404)
        if request.method == "POST":
            services.invitation_opt_out(invitation=invitation)
            return _notice(request, "opted_out", 200, invitation)
        return render(request, "satisfaction/opt_out.html", {"invitation": invitation, "token": token})
