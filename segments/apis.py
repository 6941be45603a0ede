"""REST endpoints: segments (read), shares, a customer's assignment and its override, parcels."""

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from estates import selectors as estates_selectors
from estates.models import ApiClient
from estates.serializers import ProjectRefField

from . import selectors, services
from .models import AssignmentRule, CustomerSegment, ParcelAssessment, ParcelScore, Segment, SegmentRecomputeRun


def _project_for_write(actor, code: str):
    """A project named in a write: 403 for an API client outside its scope, 404 for staff."""
    try:
        return estates_selectors.project_get(actor=actor, code=code)
    except Http404:
        if isinstance(actor, ApiClient):
            raise PermissionDenied({"project": ["This project is outside your scope."]}) from None
        raise


class SegmentListApi(generics.ListAPIView):
    """The five segments with their profiles, the seed's reference share and land checklist."""

    class SegmentOutputSerializer(serializers.ModelSerializer):
        land_needs = serializers.SerializerMethodField()

        class Meta:
            model = Segment
            fields = [
                "code",
                "name",
                "name_en",
                "family_traits",
                "family_traits_en",
                "motives",
                "motives_en",
                "attitude",
                "attitude_en",
                "needs",
                "needs_en",
                "reference_share",
                "land_needs",
            ]

        def get_land_needs(self, obj) -> dict[str, int]:
            return {n.attribute.code: n.weight for n in obj.land_needs.all()}

    serializer_class = SegmentOutputSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.segment_list()


class SegmentSharesApi(APIView):
    """Share of the caller's customers per segment, overall or for one ``project`` (code)."""

    class SegmentShareRowSerializer(serializers.Serializer):
        code = serializers.CharField()
        count = serializers.IntegerField()
        share = serializers.FloatField(allow_null=True)
        reference_share = serializers.FloatField(allow_null=True)

    class SegmentSharesOutputSerializer(serializers.Serializer):
        project = serializers.CharField(allow_null=True)
        total = serializers.IntegerField()
        unclassified = serializers.IntegerField()
        rows = serializers.ListField(child=serializers.DictField())

    @extend_schema(parameters=[OpenApiParameter("project", str)], responses={200: SegmentSharesOutputSerializer})
    def get(self, request):
        code = request.query_params.get("project")
        project = estates_selectors.project_get(actor=request.user, code=code) if code else None
        shares = selectors.segment_shares(actor=request.user, project=project)
        rows = self.SegmentShareRowSerializer(shares["rows"], many=True).data
        return Response(
            {
                "project": project.code if project else None,
                "total": shares["total"],
                "unclassified": shares["unclassified"],
                "rows": rows,
            }
        )


class AssignmentOutputSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id")
    segment = serializers.CharField(source="segment.code", default=None)
    computed_segment = serializers.CharField(source="computed_segment.code", default=None)
    rule = serializers.IntegerField(source="rule.priority", default=None)
    overridden_by = serializers.CharField(source="overridden_by.username", default=None)

    class Meta:
        model = CustomerSegment
        fields = [
            "customer",
            "segment",
            "computed_segment",
            "rule",
            "is_overridden",
            "overridden_by",
            "override_reason",
            "overridden_at",
            "computed_at",
        ]


class CustomerSegmentApi(APIView):
    """A customer's segment; all nulls until first computed. 404 for a customer outside scope."""

    @extend_schema(responses={200: AssignmentOutputSerializer})
    def get(self, request, pk):
        customer, assignment = selectors.customer_segment_get(actor=request.user, customer_pk=pk)
        return Response(AssignmentOutputSerializer(assignment or CustomerSegment(customer=customer)).data)


class CustomerSegmentOverrideApi(APIView):
    """Set a customer's segment by hand (``segment`` code) or clear the override (``segment``: null)."""

    class SegmentOverrideInputSerializer(serializers.Serializer):
        segment = serializers.CharField(allow_null=True, max_length=40)
        reason = serializers.CharField(max_length=1000)

    @extend_schema(responses={200: AssignmentOutputSerializer})
    def get(self, request, pk):
        """The assignment the override would change (the same body as GET segments/customers/{id}/)."""
        customer, assignment = selectors.customer_segment_get(actor=request.user, customer_pk=pk)
        return Response(AssignmentOutputSerializer(assignment or CustomerSegment(customer=customer)).data)

    @extend_schema(
        request=SegmentOverrideInputSerializer,
        responses={
            200: AssignmentOutputSerializer,
            400: OpenApiResponse(description="Unknown segment or no reason."),
            403: OpenApiResponse(description="The caller's role may not override."),
            404: OpenApiResponse(description="Customer not found."),
        },
    )
    def post(self, request, pk):
        customer, _assignment = selectors.customer_segment_get(actor=request.user, customer_pk=pk)
        ser = self.SegmentOverrideInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        segment = None
        if ser.validated_data["segment"] is not None:
            segment = selectors.segment_get(code=ser.validated_data["segment"])
            if segment is None:
                raise serializers.ValidationError({"segment": ["Unknown segment."]})
        services.customer_segment_override(
            actor=request.user, customer=customer, segment=segment, reason=ser.validated_data["reason"]
        )
        _customer, assignment = selectors.customer_segment_get(actor=request.user, customer_pk=pk)
        return Response(AssignmentOutputSerializer(assignment).data)


class ParcelScoreSerializer(serializers.ModelSerializer):
    segment = serializers.CharField(source="segment.code")
    score = serializers.FloatField()

    class Meta:
        model = ParcelScore
        fields = ["rank", "segment", "score", "drivers", "gaps"]


class ParcelOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    attributes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    best_segment = serializers.CharField(source="best_segment.code", default=None)
    scores = ParcelScoreSerializer(many=True)

    class Meta:
        model = ParcelAssessment
        fields = ["id", "project", "name", "location", "note", "attributes", "best_segment", "scores", "created_by", "created_at"]


class ParcelFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")


class ParcelListCreateApi(generics.ListAPIView):
    """GET: parcel assessments in the caller's projects. POST: assess a parcel (attribute codes)."""

    class ParcelInputSerializer(serializers.Serializer):
        project = serializers.CharField(max_length=40)
        name = serializers.CharField(max_length=150)
        location = serializers.CharField(max_length=200, required=False, allow_blank=True)
        note = serializers.CharField(required=False, allow_blank=True)
        attributes = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False, max_length=100)

    serializer_class = ParcelOutputSerializer
    filterset_class = ParcelFilter

    def get_queryset(self):
        return selectors.parcel_list(actor=self.request.user).prefetch_related("attributes", "scores__segment")

    @extend_schema(
        request=ParcelInputSerializer,
        responses={
            201: ParcelOutputSerializer,
            400: OpenApiResponse(description="Unknown attributes or missing fields; nothing written."),
            403: OpenApiResponse(description="Project outside the client's scope."),
        },
    )
    def post(self, request):
        ser = self.ParcelInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        project = _project_for_write(request.user, data["project"])
        parcel = services.parcel_assess(
            actor=request.user,
            project=project,
            name=data["name"],
            location=data.get("location", ""),
            note=data.get("note", ""),
            attribute_codes=data["attributes"],
        )
        parcel = selectors.parcel_get(actor=request.user, pk=parcel.pk)
        return Response(ParcelOutputSerializer(parcel).data, status=status.HTTP_201_CREATED)


class ParcelDetailApi(generics.RetrieveAPIView):
    serializer_class = ParcelOutputSerializer

    def get_object(self):
        return selectors.parcel_get(actor=self.request.user, pk=self.kwargs["pk"])


class RuleListApi(generics.ListAPIView):
    """The assignment rules in priority order (edited by the group centre in the admin or its page)."""

    class AssignmentRuleOutputSerializer(serializers.ModelSerializer):
        segment = serializers.CharField(source="segment.code")

        class Meta:
            model = AssignmentRule
            fields = [
                "id",
                "priority",
                "segment",
                "name",
                "child_age_min",
                "child_age_max",
                "elderly",
                "income_bands",
                "age_bands",
                "household_size_min",
                "household_size_max",
                "is_active",
            ]

    serializer_class = AssignmentRuleOutputSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.rule_list()


class RecomputeRunOutputSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField()
    # A plain string in the schema: an enum here would collide with PointCheck's "status" enum name.
    status = serializers.CharField(help_text="queued | running | done | failed")

    class Meta:
        model = SegmentRecomputeRun
        fields = [
            "id",
            "status",
            "total",
            "processed",
            "changed",
            "unchanged",
            "progress",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
        ]


class RecomputeRunsApi(generics.ListAPIView):
    """GET: recent bulk recompute runs with their progress, newest first. POST: queue a run
    (202 with the new run, or 200 with the run already under way)."""

    serializer_class = RecomputeRunOutputSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.recompute_run_list()

    @extend_schema(
        request=None,
        responses={
            200: RecomputeRunOutputSerializer,
            202: RecomputeRunOutputSerializer,
            403: OpenApiResponse(description="The caller's role may not recompute."),
        },
    )
    def post(self, request):
        run, created = services.segment_recompute_start(actor=request.user)
        return Response(RecomputeRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
