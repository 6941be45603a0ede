"""Scope factories for the route matrix (tests/security/routes.py): make(project) -> url kwargs.

Routes left out on purpose:
- POST-only routes (workflow actions, photo upload, prevention tags/tick): the matrix asks GET to
  answer 200 for one's own object; they answer 405 to GET. Their scope is tested in tests/defects.
- defects:handbook-detail: the handbook is the company's lesson book, readable by every member of
  staff whatever the project (that is how a project in design learns from another); API clients
  read only their projects' entries (tests/defects/test_apis.py).
"""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from estates.models import Role
from tests.factories import UserFactory


def _defect(project):
    from defects import services

    actor = UserFactory(role=Role.GROUP_CENTRE)
    return services.defect_create(actor=actor, project=project, title="屋面天窗渗水", description="天窗上盖进水",
                                  source="warranty", found_on=date(2026, 5, 1))


def make_defect(project) -> dict:
    return {"pk": _defect(project).pk}


def make_photo(project) -> dict:
    from defects import services

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(out, format="JPEG")
    photo = services.photo_add(defect=_defect(project), actor=None, upload=SimpleUploadedFile("a.jpg", out.getvalue()))
    return {"pk": photo.pk, "variant": "thumb"}


def make_meeting(project) -> dict:
    from defects.models import ReviewMeeting

    return {"pk": ReviewMeeting.objects.create(project=project, held_on=date(2026, 5, 10), minutes="纪要").pk}


def make_prevention(project) -> dict:
    return {"code": project.code}


def make_complaint(project) -> dict:
    from complaints import services

    complaint = services.complaint_file(actor=None, project=project, channel="hotline", category="construction_quality",
                                        title="天窗漏水", description="下雨进水")
    return {"complaint_pk": complaint.pk}


FACTORIES = {
    "defects:detail": make_defect,
    "defects-api-detail": make_defect,
    "defects:photo": make_photo,
    "defects:meeting-detail": make_meeting,
    "defects:prevention": make_prevention,
    "defects:create-from-complaint": make_complaint,
}
