"""Factories and builders for risk tests; they go through the services so events are real."""

from datetime import timedelta

from django.utils import timezone

from estates.models import Department, Role
from risk import services
from risk.models import Review
from tests.factories import UserFactory


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


def gm_for(project):
    return UserFactory(username=f"gm_{project.code}", role=Role.DEPARTMENT_HEAD, department=dept("gm_office"), projects=[project])


def open_item(project, actor, **kw):
    defaults = {
        "title": "楼书周边示意图未标注垃圾场",
        "source": "external",
        "customer_view": "marketing",
        "level": "high",
        "deadline": timezone.localdate() + timedelta(days=10),
    }
    defaults.update(kw)
    return services.risk_item_open(project=project, actor=actor, **defaults)


def answer_all(review: Review, actor, result="ok"):
    for a in review.answers.all():
        if a.result == "pending":
            services.review_answer(answer=a, actor=actor, result=result, evidence="现场照片", note="不适用")
