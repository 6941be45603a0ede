"""Scope factories for the route matrix (tests/security/routes.py): each makes an object of
``project`` and returns the kwargs of the route that addresses it."""


from django.utils import timezone

from estates.models import Role
from tests.factories import UserFactory


def _actor(project):
    return UserFactory(role=Role.CR_STAFF, projects=[project])


def make_project(project) -> dict:
    return {"code": project.code}


def make_item(project) -> dict:
    from tests.risk.factories import open_item

    return {"pk": open_item(project, _actor(project)).pk}


def _review(project):
    from risk import services

    return services.review_create(project=project, kind="pre_opening", scheduled_on=timezone.localdate(), actor=_actor(project))


def make_review(project) -> dict:
    return {"pk": _review(project).pk}


def make_answer(project) -> dict:
    review = _review(project)
    return {"pk": review.pk, "item_id": review.answers.first().item_id}


def make_factor(project) -> dict:
    from risk import services

    factor = services.factor_create(
        project=project, factor_type="landfill", description="垃圾填埋场", distance_m=500, direction="SE",
        info_source="规划公示", actor=_actor(project),
    )
    return {"pk": factor.pk}


def _promise(project):
    from risk import services
    from risk.models import Milestone

    return services.promise_register(
        project=project, source="brochure", wording="小区内设恒温泳池", kano="excitement",
        due_milestone=Milestone.Kind.HANDOVER, actor=_actor(project),
    )


def make_promise(project) -> dict:
    return {"pk": _promise(project).pk}


def make_change(project) -> dict:
    from risk import services

    promise = _promise(project)
    change = services.promise_change_propose(promise=promise, new_wording="无泳池", reason="设备无法到货", actor=_actor(project))
    return {"pk": change.pk, "action": "negotiate"}


def _with(make, **extra):
    def inner(project) -> dict:
        return {**make(project), **extra}

    return inner


FACTORIES = {
    "risk:item-detail": make_item,
    "risk:item-action": _with(make_item, action="start"),
    "risk:project-detail": make_project,
    "risk:item-new": make_project,
    "risk:review-new": make_project,
    "risk:factor-new": make_project,
    "risk:promise-new": make_project,
    "risk:disclosure-sheet": make_project,
    "risk:review-detail": make_review,
    "risk:review-answer": make_answer,
    "risk:review-sign-off": make_review,
    "risk:factor-detail": make_factor,
    "risk:factor-disclose": make_factor,
    "risk:promise-detail": make_promise,
    "risk:promise-action": _with(make_promise, action="verify"),
    "api-risk-item-detail": make_item,
    "api-risk-item-start": make_item,
    "api-risk-item-close": make_item,
    "api-risk-item-reopen": make_item,
    "api-risk-item-update": make_item,
    "api-risk-item-follow-up": make_item,
    "api-risk-review-detail": make_review,
    "api-risk-review-answer": make_answer,
    "api-risk-review-sign-off": make_review,
    "api-risk-factor-detail": make_factor,
    "api-risk-factor-disclose": make_factor,
    "api-risk-promise-detail": make_promise,
    "api-risk-promise-verify": make_promise,
    "api-risk-promise-change": make_promise,
    "api-risk-promise-change-action": make_change,
}

# Checklist templates are group-wide (one catalogue for every project), edited by the group centre.
UNSCOPED = {
    "risk:template-detail": "group-wide checklist template",
    "risk:template-new-version": "group-wide checklist template",
    "risk:template-item-edit": "group-wide checklist template",
}
