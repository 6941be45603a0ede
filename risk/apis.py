"""REST endpoints of the risk app: reviews, risk items, adverse factors, sales promises.

Each operation parses input with its own InputSerializer, resolves every id through a scoped
selector, calls one service and renders an OutputSerializer. Objects outside the caller's scope
are 404; a write naming a project outside scope is 403 for an API client and 404 for staff (the
staff UI never reveals that a project exists). Sign-off by anyone below the GM level is 403.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from estates.access import project_in_scope
from estates.models import ApiClient, Milestone, Project
from estates.serializers import ProjectRefField
from estates.workflow import AuthorityExceeded

from . import selectors, services
from .models import AdverseFactor, Answer, Disclosure, PromiseChange, Review, ReviewKind, RiskItem, SalesPromise

CONFLICT = OpenApiResponse(description='Not allowed in the current state: {"detail": ...}')
NOT_FOUND = OpenApiResponse(description="Missing or outside the caller's scope.")
FORBIDDEN = OpenApiResponse(description="A project outside the API client's scope, or no authority.")


def project_for_write(actor, code: str) -> Project:
    """The project a write names: 403 for an API client outside its scope, 404 for staff."""
    project = Project.objects.filter(code=code or "").first()
    if project is not None and project_in_scope(actor, project):
        return project
    if isinstance(actor, ApiClient):
        if code in (actor.project_codes or []):
            raise ValidationError({"project": [_("Unknown project.")]})
        raise PermissionDenied(_("This project is outside your scope."))
    raise Http404


def owner_from_username(project: Project, username: str | None):
    if not username:
        return None
    owner = selectors.owner_choices(project=project).filter(username=username).first()
    if owner is None:
        raise ValidationError({"owner": [_("Unknown owner for this project.")]})
    return owner


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    before = serializers.JSONField()
    after = serializers.JSONField()
    detail = serializers.CharField()


# --- risk items --------------------------------------------------------------------------------
class RiskItemOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    owner = serializers.CharField(source="owner.username", default=None)
    review = serializers.IntegerField(source="review_id", allow_null=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = RiskItem
        fields = [
            "id",
            "project",
            "review",
            "origin",
            "title",
            "description",
            "source",
            "customer_view",
            "level",
            "measures",
            "owner",
            "deadline",
            "status",
            "closing_note",
            "closed_at",
            "escalated_at",
            "is_overdue",
            "created_at",
            "updated_at",
        ]

    def get_is_overdue(self, obj) -> bool:
        return selectors.overdue_since(obj) > 0


class RiskItemDetailSerializer(RiskItemOutputSerializer):
    events = serializers.SerializerMethodField()

    class Meta(RiskItemOutputSerializer.Meta):
        fields = [*RiskItemOutputSerializer.Meta.fields, "events"]

    @extend_schema(responses=EventSerializer(many=True))
    def get_events(self, obj) -> list:
        return EventSerializer(selectors.events_for(subject="item", subject_id=obj.pk), many=True).data


class RiskItemFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    status = django_filters.ChoiceFilter(choices=RiskItem.Status.choices)
    level = django_filters.ChoiceFilter(choices=RiskItem.Level.choices)
    source = django_filters.ChoiceFilter(choices=RiskItem.Source.choices)
    customer_view = django_filters.ChoiceFilter(choices=RiskItem.CustomerView.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    ordering = django_filters.OrderingFilter(fields=("deadline", "created_at", "level"))

    class Meta:
        model = RiskItem
        fields = []

    def filter_overdue(self, queryset, name, value):
        from django.db.models import Q
        from django.utils import timezone

        q = Q(status__in=RiskItem.ACTIVE, deadline__lt=timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)


class RiskItemListApi(generics.ListAPIView):
    """The risk register in the caller's scope; POST opens an item."""

    serializer_class = RiskItemOutputSerializer
    filterset_class = RiskItemFilter

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskRiskItemListInput"  # unique component name in the OpenAPI schema

        project = serializers.CharField()
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        source = serializers.ChoiceField(choices=RiskItem.Source.choices)
        customer_view = serializers.ChoiceField(choices=RiskItem.CustomerView.choices)
        level = serializers.ChoiceField(choices=RiskItem.Level.choices)
        measures = serializers.CharField(required=False, allow_blank=True, default="")
        owner = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="username")
        deadline = serializers.DateField()

    def get_queryset(self):
        return selectors.risk_item_list(actor=self.request.user)

    @extend_schema(
        request=InputSerializer,
        responses={201: RiskItemDetailSerializer, 400: None, 403: FORBIDDEN, 404: NOT_FOUND},
        operation_id="risk_items_create",
    )
    def post(self, request):
        data = _valid(self.InputSerializer, request)
        project = project_for_write(request.user, data.pop("project"))
        data["owner"] = owner_from_username(project, data.get("owner"))
        item = services.risk_item_open(project=project, actor=request.user, origin="api", **data)
        return Response(RiskItemDetailSerializer(item, context={"request": request}).data, status=status.HTTP_201_CREATED)


class RiskItemDetailApi(APIView):
    @extend_schema(responses={200: RiskItemDetailSerializer, 404: NOT_FOUND}, operation_id="risk_items_retrieve")
    def get(self, request, pk):
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        return Response(RiskItemDetailSerializer(item, context={"request": request}).data)


class RiskItemCloseApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskRiskItemCloseInput"  # unique component name in the OpenAPI schema

        closing_note = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={200: RiskItemDetailSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT},
        operation_id="risk_items_close",
    )
    def post(self, request, pk):
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        item = services.risk_item_close(item=item, actor=request.user, closing_note=data["closing_note"])
        return Response(RiskItemDetailSerializer(item, context={"request": request}).data)


class RiskItemStartApi(APIView):
    @extend_schema(
        request=None, responses={200: RiskItemDetailSerializer, 404: NOT_FOUND, 409: CONFLICT}, operation_id="risk_items_start"
    )
    def post(self, request, pk):
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        item = services.risk_item_start(item=item, actor=request.user)
        return Response(RiskItemDetailSerializer(item, context={"request": request}).data)


class RiskItemReopenApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskRiskItemReopenInput"  # unique component name in the OpenAPI schema

        reason = serializers.CharField()
        deadline = serializers.DateField(required=False, allow_null=True, default=None)

    @extend_schema(
        request=InputSerializer,
        responses={200: RiskItemDetailSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT},
        operation_id="risk_items_reopen",
    )
    def post(self, request, pk):
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        item = services.risk_item_reopen(item=item, actor=request.user, **data)
        return Response(RiskItemDetailSerializer(item, context={"request": request}).data)


class RiskItemUpdateApi(APIView):
    """Change measures, owner, deadline, level or wording of an active item (only the fields sent)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskItemUpdateInput"  # unique component name in the OpenAPI schema

        title = serializers.CharField(required=False, max_length=200)
        description = serializers.CharField(required=False, allow_blank=True)
        source = serializers.ChoiceField(required=False, choices=RiskItem.Source.choices)
        customer_view = serializers.ChoiceField(required=False, choices=RiskItem.CustomerView.choices)
        level = serializers.ChoiceField(required=False, choices=RiskItem.Level.choices)
        measures = serializers.CharField(required=False, allow_blank=True)
        owner = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="username")
        deadline = serializers.DateField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: RiskItemDetailSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT},
        operation_id="risk_items_update",
    )
    def post(self, request, pk):
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        if "owner" in data:
            data["owner"] = owner_from_username(item.project, data["owner"])
        item = services.risk_item_update(item=item, actor=request.user, **data)
        return Response(RiskItemDetailSerializer(item, context={"request": request}).data)


class RiskItemFollowUpApi(APIView):
    """Record a follow-up (跟) on the item's timeline."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskItemFollowUpInput"  # unique component name in the OpenAPI schema

        note = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: RiskItemDetailSerializer, 400: None, 404: NOT_FOUND},
        operation_id="risk_items_follow_up",
    )
    def post(self, request, pk):
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        services.risk_item_follow_up(item=item, actor=request.user, note=data["note"])
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        return Response(RiskItemDetailSerializer(item, context={"request": request}).data, status=status.HTTP_201_CREATED)


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


# --- adverse factors ---------------------------------------------------------------------------
class DisclosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disclosure
        fields = ["place", "evidence", "disclosed_on", "recorded_at"]


class FactorOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    factor_type = serializers.CharField(source="factor_type.code")
    category = serializers.CharField(source="factor_type.category")
    disclosures = DisclosureSerializer(many=True)

    class Meta:
        model = AdverseFactor
        fields = [
            "id",
            "project",
            "factor_type",
            "category",
            "description",
            "distance_m",
            "direction",
            "info_source",
            "status",
            "disclosed_at",
            "disclosures",
            "created_at",
        ]


class FactorFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    status = django_filters.ChoiceFilter(choices=AdverseFactor.Status.choices)

    class Meta:
        model = AdverseFactor
        fields = []


class FactorListApi(generics.ListAPIView):
    """Adverse factors outside the site boundary; POST records one (it starts undisclosed)."""

    serializer_class = FactorOutputSerializer
    filterset_class = FactorFilter

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskFactorListInput"  # unique component name in the OpenAPI schema

        project = serializers.CharField()
        factor_type = serializers.CharField(help_text="a code from /api/v1/risk/factor-types/")
        description = serializers.CharField()
        distance_m = serializers.IntegerField(min_value=1)
        direction = serializers.ChoiceField(choices=AdverseFactor.Direction.choices)
        info_source = serializers.CharField(max_length=200)

    def get_queryset(self):
        return selectors.factor_list(actor=self.request.user)

    @extend_schema(
        request=InputSerializer,
        responses={201: FactorOutputSerializer, 400: None, 403: FORBIDDEN, 404: NOT_FOUND},
        operation_id="risk_factors_create",
    )
    def post(self, request):
        data = _valid(self.InputSerializer, request)
        project = project_for_write(request.user, data.pop("project"))
        factor = services.factor_create(project=project, actor=request.user, **data)
        factor = selectors.factor_get(actor=request.user, pk=factor.pk)
        return Response(FactorOutputSerializer(factor).data, status=status.HTTP_201_CREATED)


class FactorDetailApi(APIView):
    @extend_schema(responses={200: FactorOutputSerializer, 404: NOT_FOUND}, operation_id="risk_factors_retrieve")
    def get(self, request, pk):
        return Response(FactorOutputSerializer(selectors.factor_get(actor=request.user, pk=pk)).data)


class FactorDiscloseApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskFactorDiscloseInput"  # unique component name in the OpenAPI schema

        place = serializers.ChoiceField(choices=Disclosure.Place.choices)
        evidence = serializers.CharField()
        disclosed_on = serializers.DateField(required=False, allow_null=True, default=None)

    @extend_schema(
        request=InputSerializer,
        responses={200: FactorOutputSerializer, 400: None, 404: NOT_FOUND},
        operation_id="risk_factors_disclose",
    )
    def post(self, request, pk):
        factor = selectors.factor_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        services.factor_disclose(factor=factor, actor=request.user, **data)
        return Response(FactorOutputSerializer(selectors.factor_get(actor=request.user, pk=pk)).data)


class FactorTypeListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskFactorTypeListOutput"  # unique component name in the OpenAPI schema

        code = serializers.CharField()
        category = serializers.CharField()
        name = serializers.CharField()
        name_en = serializers.CharField()

    @extend_schema(responses=OutputSerializer(many=True), operation_id="risk_factor_types_list")
    def get(self, request):
        return Response(self.OutputSerializer(selectors.factor_type_list(), many=True).data)


# --- promises ----------------------------------------------------------------------------------
class PromiseChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PromiseChange
        fields = [
            "id",
            "status",
            "old_wording",
            "new_wording",
            "reason",
            "impact",
            "negotiation_note",
            "confirmation_document",
            "confirmed_on",
            "created_at",
        ]


class PromiseOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    changes = PromiseChangeSerializer(many=True)

    class Meta:
        model = SalesPromise
        fields = [
            "id",
            "project",
            "source",
            "wording",
            "kano",
            "due_milestone",
            "status",
            "verification_note",
            "verified_at",
            "changes",
            "created_at",
        ]


class PromiseFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    status = django_filters.ChoiceFilter(choices=SalesPromise.Status.choices)
    due_milestone = django_filters.ChoiceFilter(choices=Milestone.Kind.choices)

    class Meta:
        model = SalesPromise
        fields = []


class PromiseListApi(generics.ListAPIView):
    """The sales-promise register; POST registers a promise."""

    serializer_class = PromiseOutputSerializer
    filterset_class = PromiseFilter

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskPromiseListInput"  # unique component name in the OpenAPI schema

        project = serializers.CharField()
        source = serializers.ChoiceField(choices=SalesPromise.Source.choices)
        wording = serializers.CharField()
        kano = serializers.ChoiceField(choices=SalesPromise.Kano.choices)
        due_milestone = serializers.ChoiceField(choices=Milestone.Kind.choices)

    def get_queryset(self):
        return selectors.promise_list(actor=self.request.user).prefetch_related("changes")

    @extend_schema(
        request=InputSerializer,
        responses={201: PromiseOutputSerializer, 400: None, 403: FORBIDDEN, 404: NOT_FOUND},
        operation_id="risk_promises_create",
    )
    def post(self, request):
        data = _valid(self.InputSerializer, request)
        project = project_for_write(request.user, data.pop("project"))
        promise = services.promise_register(project=project, actor=request.user, **data)
        return Response(
            PromiseOutputSerializer(selectors.promise_get(actor=request.user, pk=promise.pk)).data, status=status.HTTP_201_CREATED
        )


class PromiseDetailApi(APIView):
    @extend_schema(responses={200: PromiseOutputSerializer, 404: NOT_FOUND}, operation_id="risk_promises_retrieve")
    def get(self, request, pk):
        return Response(PromiseOutputSerializer(selectors.promise_get(actor=request.user, pk=pk)).data)


class PromiseVerifyApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskPromiseVerifyInput"  # unique component name in the OpenAPI schema

        result = serializers.ChoiceField(
            choices=[SalesPromise.Status.KEPT, SalesPromise.Status.AT_RISK, SalesPromise.Status.BROKEN]
        )
        note = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={200: PromiseOutputSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT},
        operation_id="risk_promises_verify",
    )
    def post(self, request, pk):
        promise = selectors.promise_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        services.promise_verify(promise=promise, actor=request.user, **data)
        return Response(PromiseOutputSerializer(selectors.promise_get(actor=request.user, pk=pk)).data)


class PromiseChangeProposeApi(APIView):
    """Step 1 of a change: the proposal. The promise keeps its wording until written confirmation."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskPromiseChangeProposeInput"  # unique component name in the OpenAPI schema

        new_wording = serializers.CharField()
        reason = serializers.CharField()
        impact = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses={201: PromiseChangeSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT},
        operation_id="risk_promises_change_propose",
    )
    def post(self, request, pk):
        promise = selectors.promise_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        change = services.promise_change_propose(promise=promise, actor=request.user, **data)
        return Response(PromiseChangeSerializer(change).data, status=status.HTTP_201_CREATED)


class PromiseChangeActionApi(APIView):
    """Steps 2 and 3 (negotiate, confirm in writing) or reject, by ``action`` in the path."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RiskPromiseChangeActionInput"  # unique component name in the OpenAPI schema

        note = serializers.CharField(required=False, allow_blank=True, default="", help_text="negotiate")
        reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="reject")
        confirmation_document = serializers.CharField(required=False, allow_blank=True, default="", help_text="confirm")
        confirmed_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="confirm")

    @extend_schema(
        request=InputSerializer,
        responses={200: PromiseChangeSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT},
        operation_id="risk_promise_changes_action",
    )
    def post(self, request, pk, action):
        change = selectors.promise_change_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        if action == "negotiate":
            change = services.promise_change_negotiate(change=change, actor=request.user, note=data["note"])
        elif action == "confirm":
            change = services.promise_change_confirm(
                change=change,
                actor=request.user,
                confirmation_document=data["confirmation_document"],
                confirmed_on=data["confirmed_on"],
            )
        elif action == "reject":
            change = services.promise_change_reject(change=change, actor=request.user, reason=data["reason"])
        else:
            raise Http404
        return Response(PromiseChangeSerializer(change).data)


def _valid(serializer_class, request, *, data=None, prefix: str = ""):
    serializer = serializer_class(data=request.data if data is None else data)
    if not serializer.is_valid():
        errors = serializer.errors
        if prefix:
            errors = {f"{prefix}.{k}": v for k, v in errors.items()}
        raise serializers.ValidationError(errors)
    return dict(serializer.validated_data)
