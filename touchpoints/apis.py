"""REST endpoints: the catalogue (read), project checks and coverage, and the contact log.

Every id in a request is resolved through a scoped selector: a project outside the caller's
scope named in a write is 403 for API clients and 404 for staff (estates' convention for
writes), and any object outside scope is 404.
"""

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from estates import selectors as estates_selectors
from estates.models import ApiClient, LifecycleStage
from estates.serializers import ProjectRefField

from . import selectors, services
from .models import CustomerContact, Grade, PointCheck, SensitivityPoint


def resolve_project_for_write(actor, code: str):
    """A project named in a write: 403 for an API client outside its scope, 404 for staff."""
    try:
        return estates_selectors.project_get(actor=actor, code=code)
    except Http404:
        if isinstance(actor, ApiClient):
            raise PermissionDenied({"project": ["This project is outside your scope."]}) from None
        raise


def choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField documented by a pattern instead of an enum component.

    drf-spectacular names enum components after the field ("StatusEnum"); other apps have fields
    with the same names and other values (contract status, complaint channels, defect grades), and
    a collision is a schema warning. A pattern states the same allowed values without a component.
    """
    values = [value for value, _label in choices]
    schema = {"type": "string", "pattern": "^(" + "|".join(values) + ")$", "description": " | ".join(values)}
    field_class = extend_schema_field(schema)(type("PatternChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)


# --- catalogue --------------------------------------------------------------------------------


class PointOutputSerializer(serializers.ModelSerializer):
    grade = choice_field(Grade.choices)

    class Meta:
        model = SensitivityPoint
        fields = ["code", "name", "name_en", "grade", "standard", "standard_en"]


class CatalogueFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices, method="by_stage")
    grade = django_filters.ChoiceFilter(choices=Grade.choices, method="by_grade")

    def by_stage(self, queryset, name, value):
        return queryset

    def by_grade(self, queryset, name, value):
        return queryset


class CatalogueListApi(generics.ListAPIView):
    """Touchpoints with their sensitivity points; ``stage`` and ``grade`` narrow both (unknown → 400)."""

    class TouchpointCatalogueOutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        stage = serializers.CharField()
        name = serializers.CharField()
        name_en = serializers.CharField()
        department = serializers.CharField(source="department.code")
        department_name = serializers.CharField(source="department.name")
        points = PointOutputSerializer(many=True)

    serializer_class = TouchpointCatalogueOutputSerializer
    filterset_class = CatalogueFilter

    def get_queryset(self):
        params = self.request.query_params
        return selectors.touchpoint_catalogue(stage=params.get("stage") or None, grade=params.get("grade") or None)


class PointFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices, field_name="touchpoint__stage")
    grade = django_filters.ChoiceFilter(choices=Grade.choices)


class PointListApi(generics.ListAPIView):
    """Sensitivity points, filterable by ``stage`` and ``grade``."""

    class SensitivityPointListOutputSerializer(PointOutputSerializer):
        touchpoint = serializers.CharField(source="touchpoint.code")
        stage = serializers.CharField(source="touchpoint.stage")

        class Meta(PointOutputSerializer.Meta):
            fields = [*PointOutputSerializer.Meta.fields, "touchpoint", "stage"]

    serializer_class = SensitivityPointListOutputSerializer
    filterset_class = PointFilter

    def get_queryset(self):
        return selectors.sensitivity_point_list()


# --- checks -----------------------------------------------------------------------------------


class CheckOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    point = serializers.CharField(source="point.code")
    grade = serializers.CharField(source="point.grade")
    stage = serializers.CharField(source="point.touchpoint.stage")
    checked_by = serializers.CharField(source="checked_by.username", default=None)
    status = choice_field(PointCheck.Status.choices)

    class Meta:
        model = PointCheck
        fields = ["id", "project", "point", "grade", "stage", "status", "evidence", "checked_by", "checked_at"]


class CheckFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices, field_name="point__touchpoint__stage")
    grade = django_filters.ChoiceFilter(choices=Grade.choices, field_name="point__grade")
    status = django_filters.ChoiceFilter(choices=PointCheck.Status.choices)


class CheckListCreateApi(generics.ListAPIView):
    """GET: answered checks in the caller's projects. POST: answer one point for a project."""

    class PointCheckInputSerializer(serializers.Serializer):
        project = serializers.CharField(max_length=40)
        point = serializers.CharField(max_length=24)
        status = choice_field(PointCheck.Status.choices)
        evidence = serializers.CharField(max_length=4000)

    serializer_class = CheckOutputSerializer
    filterset_class = CheckFilter

    def get_queryset(self):
        return selectors.check_list(actor=self.request.user)

    @extend_schema(
        request=PointCheckInputSerializer,
        responses={
            201: CheckOutputSerializer,
            400: OpenApiResponse(description="Unknown status or point, blank evidence."),
            403: OpenApiResponse(description="Project outside the client's scope."),
        },
    )
    def post(self, request):
        ser = self.PointCheckInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        project = resolve_project_for_write(request.user, ser.validated_data["project"])
        try:
            point = selectors.sensitivity_point_get(code=ser.validated_data["point"])
        except Http404:
            raise serializers.ValidationError({"point": ["Unknown sensitivity point."]}) from None
        check = services.point_check_record(
            actor=request.user,
            project=project,
            point=point,
            status=ser.validated_data["status"],
            evidence=ser.validated_data["evidence"],
        )
        check = selectors.check_list(actor=request.user).get(pk=check.pk)
        return Response(CheckOutputSerializer(check, context={"request": request}).data, status=status.HTTP_201_CREATED)


class CoverageApi(APIView):
    """Coverage per grade of a project's stage (its current stage unless ``stage`` is given)."""

    class CoverageGradeOutputSerializer(serializers.Serializer):
        grade = serializers.CharField()
        total = serializers.IntegerField()
        met = serializers.IntegerField()
        issue = serializers.IntegerField()
        not_applicable = serializers.IntegerField()
        unchecked = serializers.IntegerField()
        met_pct = serializers.FloatField(allow_null=True)
        checked_pct = serializers.FloatField(allow_null=True)

    class CoverageQuerySerializer(serializers.Serializer):
        stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)

    @extend_schema(
        parameters=[OpenApiParameter("stage", str, enum=LifecycleStage.values)], responses={200: CoverageGradeOutputSerializer(many=True)}
    )
    def get(self, request, code):
        project = estates_selectors.project_get(actor=request.user, code=code)
        query = self.CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stage = query.validated_data.get("stage") or project.stage
        rows = selectors.project_coverage(project=project, stage=stage)
        return Response({"project": project.code, "stage": stage, "grades": self.CoverageGradeOutputSerializer(rows, many=True).data})


# --- contacts ---------------------------------------------------------------------------------


class ContactOutputSerializer(serializers.ModelSerializer):
    project = ProjectRefField()
    customer = serializers.IntegerField(source="customer_id")
    customer_external_id = serializers.CharField(source="customer.external_id", default=None)
    touchpoint = serializers.CharField(source="touchpoint.code", default=None)
    staff = serializers.CharField(source="staff.username", default=None)
    channel = choice_field(CustomerContact.Channel.choices)
    direction = choice_field(CustomerContact.Direction.choices)
    sentiment = choice_field(CustomerContact.Sentiment.choices)

    class Meta:
        model = CustomerContact
        fields = [
            "id",
            "customer",
            "customer_external_id",
            "project",
            "touchpoint",
            "channel",
            "direction",
            "summary",
            "sentiment",
            "staff",
            "source",
            "occurred_at",
            "created_at",
        ]


class ContactFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    customer = django_filters.NumberFilter(field_name="customer_id")
    customer_external_id = django_filters.CharFilter(field_name="customer__external_id")
    channel = django_filters.ChoiceFilter(choices=CustomerContact.Channel.choices)
    sentiment = django_filters.ChoiceFilter(choices=CustomerContact.Sentiment.choices)
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")


class ContactListCreateApi(generics.ListAPIView):
    """GET: contacts in the caller's projects, newest first. POST: record a contact.

    The customer is named by ``customer`` (id) or ``customer_external_id``; a customer outside
    the caller's scope is 404, a project outside it 403 (API clients) or 404 (staff).
    """

    class ContactInputSerializer(serializers.Serializer):
        project = serializers.CharField(max_length=40)
        customer = serializers.IntegerField(required=False)
        customer_external_id = serializers.CharField(max_length=64, required=False)
        touchpoint = serializers.CharField(max_length=20, required=False, allow_blank=True)
        channel = choice_field(CustomerContact.Channel.choices)
        direction = choice_field(CustomerContact.Direction.choices)
        summary = serializers.CharField(max_length=4000)
        sentiment = choice_field(CustomerContact.Sentiment.choices, default=CustomerContact.Sentiment.NEUTRAL)
        occurred_at = serializers.DateTimeField(required=False)

        def validate(self, attrs):
            if ("customer" in attrs) == ("customer_external_id" in attrs):
                raise serializers.ValidationError({"customer": ["Give exactly one of customer or customer_external_id."]})
            return attrs

    serializer_class = ContactOutputSerializer
    filterset_class = ContactFilter

    def get_queryset(self):
        return selectors.contact_list(actor=self.request.user)

    @extend_schema(
        request=ContactInputSerializer,
        responses={
            201: ContactOutputSerializer,
            400: OpenApiResponse(description="Invalid input; nothing written."),
            403: OpenApiResponse(description="Project outside the client's scope."),
            404: OpenApiResponse(description="Customer or touchpoint not found in the caller's scope."),
        },
    )
    def post(self, request):
        ser = self.ContactInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        project = resolve_project_for_write(request.user, data["project"])
        if "customer" in data:
            customer = estates_selectors.customer_get(actor=request.user, pk=data["customer"])
        else:
            customer = estates_selectors.customer_get_by_external_id(actor=request.user, external_id=data["customer_external_id"])
        touchpoint = None
        if data.get("touchpoint"):
            try:
                touchpoint = selectors.touchpoint_get(code=data["touchpoint"])
            except Http404:
                raise serializers.ValidationError({"touchpoint": ["Unknown touchpoint."]}) from None
        contact = services.contact_log(
            actor=request.user,
            customer=customer,
            project=project,
            touchpoint=touchpoint,
            channel=data["channel"],
            direction=data["direction"],
            summary=data["summary"],
            sentiment=data["sentiment"],
            occurred_at=data.get("occurred_at"),
        )
        contact = selectors.contact_list(actor=request.user).get(pk=contact.pk)
        return Response(ContactOutputSerializer(contact, context={"request": request}).data, status=status.HTTP_201_CREATED)
