"""Route-matrix registrations for satisfaction (tests/security/routes.py).

Invitations and follow-ups belong to a project and get scope factories; waves and survey
templates are the group's catalogue (shared by every project); the owners' survey pages and
their API are opened by token, without an account: public.
"""

from django.utils import timezone


def make_invitation(project) -> dict:
    from satisfaction import rules, services
    from satisfaction.models import Invitation, Wave
    from tests.factories import ContractFactory, CustomerFactory

    wave = Wave.objects.get(code="handover-3m")
    contract = ContractFactory(
        unit__building__project=project,
        handover_on=rules.add_months(timezone.localdate(), -wave.offset_months),
        customers=[CustomerFactory(email=f"matrix-{project.code}@example.com")],
    )
    services.daily_run()
    return {"pk": Invitation.objects.get(contract=contract, wave=wave).pk}


def make_follow_up(project) -> dict:
    from satisfaction import services
    from satisfaction.models import FollowUp, Invitation
    from tests.satisfaction.conftest import answers_all

    invitation = Invitation.objects.get(pk=make_invitation(project)["pk"])
    services.response_submit(invitation=invitation, answers=answers_all(overall=1, recommend=0))
    return {"pk": FollowUp.objects.get(project=project).pk}


FACTORIES = {
    "satisfaction-invitation-detail": make_invitation,
    "satisfaction:invitation-detail": make_invitation,
    "satisfaction:follow-up-detail": make_follow_up,
}

UNSCOPED = {
    "satisfaction-wave-detail": "waves are the group's survey plan, shared by every project",
    "satisfaction:wave-edit": "waves are the group's survey plan, shared by every project",
    "satisfaction:template-detail": "survey templates are a group-wide catalogue",
}

PUBLIC = {
    "satisfaction:survey",
    "satisfaction:survey-thanks",
    "satisfaction:survey-opt-out",
    "satisfaction-public-survey",
}
