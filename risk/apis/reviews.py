"""Endpoints of project reviews and the general manager's sign-off."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from estates.serializers import ProjectRefField
from estates.workflow import AuthorityExceeded

from .. import selectors, services
from ..models import Answer, Review, ReviewKind, RiskItem
from .common import CONFLICT, FORBIDDEN, NOT_FOUND, _valid, owner_from_username, project_for_write


# --- reviews -----------------------------------------------------------------------------------
class AnswerOutputSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id")
    order = serializers.IntegerField(source="item.order")
    control_point = serializers.CharField(source="item.name")
    lead_department = serializers.CharField(source="item.lead_department.code")
    participating_departments = serializers.SerializerMethodField()
    risk_item = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = [
            "item",
            "order",
            "control_point",
            "lead_department",
            "participating_departments",
            "result",
            "note",
            "evidence",
            "answered_at",
            "risk_item",
        ]

    def get_participating_departments(self, obj) -> list[str]:
        return [d.code for d in obj.item.participating_departments.all()]

    def get_risk_item(self, obj) -> int | None:
        item = getattr(obj, "risk_item", None)
        return item.pk if item else None


class ReviewOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    template = serializers.CharField(source="template.__str__")
    signed_off_by = serializers.CharField(source="signed_off_by.username", default=None)

    class Meta:
        model = Review
        fields = [
            "id",
            "project",
            "kind",
            "template",
            "scheduled_on",
            "method",
            "participants",
            "status",
            "signed_off_by",
            "signed_off_at",
            "sign_off_note",
            "created_at",
        ]


class ReviewDetailSerializer(ReviewOutputSerializer):
    answers = AnswerOutputSerializer(many=True)
    sign_off_blockers = serializers.SerializerMethodField()

    class Meta(ReviewOutputSerializer.Meta):
        fields = [*ReviewOutputSerializer.Meta.fields, "answers", "sign_off_blockers"]

    def get_sign_off_blockers(self, obj) -> list[str]:
        if obj.status == Review.Status.SIGNED_OFF:
            return []
        return selectors.describe_blockers(selectors.review_sign_off_blockers(review=obj))


class ReviewFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices)
    status = django_filters.ChoiceFilter(choices=Review.Status.choices)
    ordering = django_filters.OrderingFilter(fields=("scheduled_on", "created_at"))

    class Meta:
        model = Review
        fields = []


class ReviewListApi(generics.ListAPIView):
    """Reviews in the caller's scope; POST starts a review against the current template."""

    serializer_class = ReviewOutputSerializer
    filterset_class = ReviewFilter

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskReviewListInput"  # unique component name in the OpenAPI schema

        project = serializers.CharField()
        kind = serializers.ChoiceField(choices=ReviewKind.choices)
        scheduled_on = serializers.DateField()
        method = serializers.ChoiceField(choices=Review.Method.choices, default=Review.Method.MEETING)
        participants = serializers.CharField(required=False, allow_blank=True, default="")

    def get_queryset(self):
        return selectors.review_list(actor=self.request.user)

    @extend_schema(
        request=InputSerializer,
        responses={201: ReviewDetailSerializer, 400: None, 403: FORBIDDEN, 404: NOT_FOUND},
        operation_id="risk_reviews_create",
    )
    def post(self, request):
        data = _valid(self.InputSerializer, request)
        project = project_for_write(request.user, data.pop("project"))
        review = services.review_create(project=project, actor=request.user, **data)
        review = selectors.review_get(actor=request.user, pk=review.pk)
        return Response(ReviewDetailSerializer(review, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ReviewDetailApi(APIView):
    @extend_schema(responses={200: ReviewDetailSerializer, 404: NOT_FOUND}, operation_id="risk_reviews_retrieve")
    def get(self, request, pk):
        review = selectors.review_get(actor=request.user, pk=pk)
        return Response(ReviewDetailSerializer(review, context={"request": request}).data)


class ReviewAnswerApi(APIView):
    """Answer one checklist item; a finding opens a risk item from ``finding``."""

    class FindingSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskReviewAnswerFinding"  # unique component name in the OpenAPI schema

        title = serializers.CharField(required=False, allow_blank=True, max_length=200)
        source = serializers.ChoiceField(choices=RiskItem.Source.choices)
        customer_view = serializers.ChoiceField(choices=RiskItem.CustomerView.choices)
        level = serializers.ChoiceField(choices=RiskItem.Level.choices)
        measures = serializers.CharField(required=False, allow_blank=True, default="")
        owner = serializers.CharField(required=False, allow_blank=True, allow_null=True)
        deadline = serializers.DateField()

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskReviewAnswerInput"  # unique component name in the OpenAPI schema

        result = serializers.ChoiceField(choices=[Answer.Result.OK, Answer.Result.FINDING, Answer.Result.NOT_APPLICABLE])
        note = serializers.CharField(required=False, allow_blank=True, default="")
        evidence = serializers.CharField(required=False, allow_blank=True, default="")
        finding = serializers.DictField(
            required=False,
            allow_null=True,
            default=None,
            help_text="title, source, customer_view, level, measures, owner, deadline",
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: ReviewDetailSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT},
        operation_id="risk_reviews_answer",
    )
    def post(self, request, pk, item_id):
        review = selectors.review_get(actor=request.user, pk=pk)
        answer = selectors.answer_get(actor=request.user, review=review, item_id=item_id)
        data = _valid(self.InputSerializer, request)
        finding = None
        if data["result"] == Answer.Result.FINDING and getattr(answer, "risk_item", None) is None:
            finding = _valid(self.FindingSerializer, request, data=data.get("finding") or {}, prefix="finding")
            finding["owner"] = owner_from_username(review.project, finding.get("owner"))
        services.review_answer(
            answer=answer,
            actor=request.user,
            result=data["result"],
            note=data["note"],
            evidence=data["evidence"],
            finding=finding,
        )
        review = selectors.review_get(actor=request.user, pk=pk)
        return Response(ReviewDetailSerializer(review, context={"request": request}).data)


class ReviewSignOffApi(APIView):
    """The general manager's sign-off. 409 with ``reasons`` while anything blocks it; 403 below GM level."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskReviewSignOffInput"  # unique component name in the OpenAPI schema

        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: ReviewDetailSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: inline_serializer(
                "SignOffRefused",
                fields={"detail": serializers.CharField(), "reasons": serializers.ListField(child=serializers.CharField())},
            ),
        },
        operation_id="risk_reviews_sign_off",
    )
    def post(self, request, pk):
        review = selectors.review_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        try:
            services.review_sign_off(review=review, actor=request.user, note=data["note"])
        except AuthorityExceeded as exc:
            raise PermissionDenied(exc.message)
        except services.SignOffBlocked as exc:
            return Response({"detail": exc.message, "reasons": exc.reasons}, status=status.HTTP_409_CONFLICT)
        review = selectors.review_get(actor=request.user, pk=pk)
        return Response(ReviewDetailSerializer(review, context={"request": request}).data)
