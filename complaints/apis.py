"""The complaints REST surface, exactly as API_CONTRACT.md "Complaints" states it.

Each view parses input with its own serializer, resolves every id through a scoped selector,
calls one service and renders the complaint representation. ``InvalidTransition`` becomes 409
and ``ValidationError`` 400 in the project's one exception handler.
"""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm_site.api import versioning
from estates import access
from estates import selectors as estate_selectors
from estates.models import ApiClient, Project

from . import rules, selectors, services
from .models import (
    DESCRIPTION_MAX,
    MAX_COMPLAINANTS,
    SEVERITY_BY_CODE,
    SEVERITY_CODES,
    TITLE_MAX,
    Category,
    Channel,
    Complaint,
    Severity,
)

SEVERITY_CHOICES = [(code, code) for code in SEVERITY_BY_CODE]
CONFLICT = OpenApiResponse(description="The action is not allowed in the complaint's current state (or beyond authority).")
NOT_FOUND = OpenApiResponse(description="No such complaint in the caller's scope.")


# --- Representation --------------------------------------------------------------------------------


class ComplaintEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    detail = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()


class ComplaintContactSerializer(serializers.Serializer):
    name = serializers.CharField(source="contact_name")
    phone = serializers.SerializerMethodField()

    def get_phone(self, obj) -> str:
        return access.phone_for(self.context["request"].user, obj.contact_phone)


class ComplaintOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    project = serializers.CharField(source="project.code")
    unit = serializers.CharField(source="unit.number", allow_null=True, default=None)
    customer = serializers.CharField(source="customer.external_id", allow_null=True, default=None)
    contact = ComplaintContactSerializer(source="*")
    channel = serializers.CharField()
    category = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    complainant_count = serializers.IntegerField()
    severity = serializers.SerializerMethodField()
    status = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)
    escalation_level = serializers.IntegerField()
    lawsuit_filed = serializers.BooleanField()
    media_exposed = serializers.BooleanField()
    occurred_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    first_response_due = serializers.DateTimeField()
    first_responded_at = serializers.DateTimeField()
    resolution_due = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField()
    hot_at = serializers.DateTimeField()
    major_at = serializers.DateTimeField()
    reopen_count = serializers.IntegerField()
    is_overdue = serializers.SerializerMethodField()

    def get_severity(self, obj) -> str:
        return SEVERITY_CODES[Severity(obj.severity)]

    def get_is_overdue(self, obj) -> bool:
        now = self.context.setdefault("now", timezone.now())
        return rules.is_overdue(
            status=obj.status, first_response_due=obj.first_response_due, resolution_due=obj.resolution_due, now=now
        )


class ComplaintDetailOutputSerializer(ComplaintOutputSerializer):
    events = ComplaintEventSerializer(many=True, source="events.all")


# The representation above, built as plain dicts: the serializers stay the schema's source and
# tests/complaints/test_api_representation.py proves both give the same output key for key. DRF
# deep-copies every declared field for each serializer instance, about a millisecond a detail
# (issue 9: throughput). Dates use DRF's own field, so the format follows DATETIME_FORMAT.
_DATETIME = serializers.DateTimeField()
_DATETIME_FIELDS = (
    "occurred_at", "created_at", "first_response_due", "first_responded_at", "resolution_due",
    "resolved_at", "closed_at", "hot_at", "major_at",
)  # fmt: skip


def _dt(value):
    return None if value is None else _DATETIME.to_representation(value)


def _str(value):
    return None if value is None else str(value)


def complaint_representation(complaint: Complaint, actor, *, now=None, events: bool = False) -> dict:
    """What ComplaintOutputSerializer (``events=True``: ComplaintDetailOutputSerializer) renders."""
    now = now or timezone.now()
    c = complaint
    data = {
        "id": c.id,
        "reference": _str(c.reference),
        "project": _str(c.project.code),
        "unit": _str(c.unit.number) if c.unit_id is not None else None,
        "customer": _str(c.customer.external_id) if c.customer_id is not None else None,
        "contact": {"name": _str(c.contact_name), "phone": access.phone_for(actor, c.contact_phone)},
        "channel": _str(c.channel),
        "category": _str(c.category),
        "title": _str(c.title),
        "description": _str(c.description),
        "complainant_count": None if c.complainant_count is None else int(c.complainant_count),
        "severity": SEVERITY_CODES[Severity(c.severity)],
        "status": _str(c.status),
        "assignee": _str(c.assignee.username) if c.assignee_id is not None else None,
        "escalation_level": None if c.escalation_level is None else int(c.escalation_level),
        "lawsuit_filed": bool(c.lawsuit_filed),
        "media_exposed": bool(c.media_exposed),
    }
    for name in _DATETIME_FIELDS:
        data[name] = _dt(getattr(c, name))
    data["reopen_count"] = None if c.reopen_count is None else int(c.reopen_count)
    data["is_overdue"] = rules.is_overdue(
        status=c.status, first_response_due=c.first_response_due, resolution_due=c.resolution_due, now=now
    )
    if events:
        data["events"] = [
            {
                "at": _dt(e.at),
                "kind": _str(e.kind),
                "actor": _str(e.actor_label),
                "detail": _str(e.detail),
                "before": e.before,
                "after": e.after,
            }
            for e in c.events.all()
        ]
    return data


def _detail_response(request, pk, *, code=status.HTTP_200_OK) -> Response:
    complaint = selectors.complaint_get_for_api(actor=request.user, pk=pk)
    response = Response(complaint_representation(complaint, request.user, events=True), status=code)
    response["ETag"] = versioning.etag(complaint.version)  # for If-Match on the actions (optimistic locking)
    return response


# --- List and file ---------------------------------------------------------------------------------


class StableOrderingFilter(django_filters.OrderingFilter):
    """The whitelisted ordering, then the id in the same direction, so that pages never shuffle."""

    def filter(self, qs, value):
        if not value:
            return qs
        fields = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*fields, "-pk" if fields[0].startswith("-") else "pk")


BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class ComplaintFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    status = django_filters.ChoiceFilter(choices=Complaint.Status.choices)
    severity = django_filters.ChoiceFilter(choices=SEVERITY_CHOICES, method="filter_severity")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    overdue = django_filters.ChoiceFilter(choices=BOOLEAN_CHOICES, method="filter_overdue")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    search = django_filters.CharFilter(method="filter_search", max_length=100)
    ordering = StableOrderingFilter(
        fields=(("created_at", "created_at"), ("resolution_due", "resolution_due"), ("severity", "severity"))
    )

    class Meta:
        model = Complaint
        fields = []

    def filter_severity(self, queryset, name, value):
        return queryset.filter(severity=SEVERITY_BY_CODE[value])

    def filter_overdue(self, queryset, name, value):
        overdue = selectors.overdue_q(timezone.now())
        return queryset.filter(overdue) if value == "true" else queryset.exclude(overdue)

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value) | Q(reference__iexact=value))


class ComplaintContactInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class ComplaintListCreateApi(generics.ListAPIView):
    """GET: the complaints in the caller's scope. POST: file a complaint."""

    serializer_class = ComplaintOutputSerializer
    filterset_class = ComplaintFilter

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintListCreateInput"

        project = serializers.CharField(max_length=40)
        unit = serializers.CharField(max_length=40, required=False, allow_null=True, allow_blank=True)
        customer = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
        contact = ComplaintContactInputSerializer(required=False, allow_null=True)
        channel = serializers.ChoiceField(choices=Channel.choices)
        category = serializers.ChoiceField(choices=Category.choices)
        title = serializers.CharField(max_length=TITLE_MAX)
        description = serializers.CharField(max_length=DESCRIPTION_MAX, trim_whitespace=False)
        complainant_count = serializers.IntegerField(min_value=1, max_value=MAX_COMPLAINANTS, default=1)
        lawsuit_filed = serializers.BooleanField(default=False)
        media_exposed = serializers.BooleanField(default=False)
        legal_or_media_risk = serializers.BooleanField(default=False)
        needs_outside_help = serializers.BooleanField(default=False)
        occurred_at = serializers.DateTimeField(required=False, allow_null=True)

        def validate_description(self, value):
            if not value.strip():
                raise serializers.ValidationError(_("This field may not be blank."))
            return value

    def get_queryset(self):
        return selectors.complaint_list(actor=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(
        parameters=[OpenApiParameter("page_size", int, description="At most 200.")],
        responses={200: ComplaintOutputSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        # ComplaintOutputSerializer's output, built as plain dicts (complaint_representation).
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else queryset
        now = timezone.now()
        data = [complaint_representation(complaint, request.user, now=now) for complaint in rows]
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=InputSerializer,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, description="Replays the first response for 24 h.")
        ],
        responses={
            201: ComplaintDetailOutputSerializer,
            400: OpenApiResponse(description="Invalid input; nothing written."),
            403: OpenApiResponse(description="The project is outside the API client's scope."),
        },
        operation_id="complaints_create",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        project = _writable_project(request.user, values["project"])
        unit = customer = None
        if values.get("unit"):
            unit = estate_selectors.unit_list(actor=request.user, project=project).filter(number=values["unit"]).first()
            if unit is None:
                raise exceptions.ValidationError({"unit": [_("No such unit in this project.")]})
        if values.get("customer"):
            try:
                customer = estate_selectors.customer_get_by_external_id(actor=request.user, external_id=values["customer"])
            except Http404:
                raise exceptions.ValidationError({"customer": [_("No such customer.")]}) from None
        contact = values.get("contact") or {}
        complaint = services.complaint_file(
            actor=request.user,
            project=project,
            unit=unit,
            customer=customer,
            contact_name=contact.get("name", ""),
            contact_phone=contact.get("phone", ""),
            channel=values["channel"],
            category=values["category"],
            title=values["title"],
            description=values["description"],
            complainant_count=values["complainant_count"],
            lawsuit_filed=values["lawsuit_filed"],
            media_exposed=values["media_exposed"],
            legal_or_media_risk=values["legal_or_media_risk"],
            needs_outside_help=values["needs_outside_help"],
            occurred_at=values.get("occurred_at"),
        )
        # The complaint just filed is in hand, in scope and current: render it without re-reading it.
        complaint = selectors.complaint_timeline_load(complaint)
        return Response(ComplaintDetailOutputSerializer(complaint, context={"request": request}).data, status=201)


def _writable_project(actor, code: str) -> Project:
    """A project named in a write: outside an API client's scope is 403, a staff member's 404."""
    if isinstance(actor, ApiClient):
        if not access.can_write_project_code(actor, code):
            raise exceptions.PermissionDenied(_("This project is outside your scope."))
        project = access.projects_for(actor).filter(code=code).first()
        if project is None:
            raise exceptions.ValidationError({"project": [_("No such project.")]})
        return project
    project = access.projects_for(actor).filter(code=code).first()
    if project is None:
        raise Http404
    return project


class ComplaintDetailApi(APIView):
    @extend_schema(responses={200: ComplaintDetailOutputSerializer, 404: NOT_FOUND})
    def get(self, request, pk):
        return _detail_response(request, pk)


# --- Workflow actions ------------------------------------------------------------------------------


class _ActionApi(APIView):
    """One workflow action: parse, resolve the complaint in scope, call the service, render."""

    InputSerializer: type[serializers.Serializer] = serializers.Serializer

    def perform(self, *, complaint, actor, data):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    expected_version = None  # the versions If-Match accepts (None: no header, no check)

    def post(self, request, pk):
        complaint = selectors.complaint_get_for_action(actor=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.expected_version = versioning.expected_versions(request)
        self.perform(complaint=complaint, actor=request.user, data=data.validated_data)
        return _detail_response(request, pk)


def _action_schema(input_serializer, summary):
    return extend_schema(
        request=input_serializer,
        summary=summary,
        parameters=[versioning.IF_MATCH],
        responses={
            200: ComplaintDetailOutputSerializer,
            400: OpenApiResponse(description="Invalid input."),
            404: NOT_FOUND,
            409: CONFLICT,
            412: versioning.PRECONDITION_FAILED,
        },
    )


class ComplaintRespondApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintRespondInput"

        message = serializers.CharField(max_length=DESCRIPTION_MAX)

    @_action_schema(InputSerializer, "Record the first response: received → in_progress.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_respond(
            complaint=complaint, actor=actor, expected_version=self.expected_version, message=data["message"]
        )


class ComplaintAssignApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintAssignInput"

        assignee = serializers.CharField(max_length=150)

    @_action_schema(InputSerializer, "Name the person responsible (a username).")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        assignee = selectors.staff_by_username(project=complaint.project, username=data["assignee"])
        if assignee is None:
            raise exceptions.ValidationError({"assignee": [_("No such member of staff on this project.")]})
        services.complaint_assign(complaint=complaint, actor=actor, expected_version=self.expected_version, assignee=assignee)


class ComplaintHoldApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintHoldInput"

        reason = serializers.CharField(max_length=2000)

    @_action_schema(InputSerializer, "in_progress → on_hold: waiting on the customer or a third party; the clocks stop.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_hold(complaint=complaint, actor=actor, expected_version=self.expected_version, reason=data["reason"])


class ComplaintResumeApi(_ActionApi):
    @_action_schema(None, "on_hold → in_progress; due times pushed back by the time held.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_resume(complaint=complaint, actor=actor, expected_version=self.expected_version)


class ComplaintResolveApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintResolveInput"

        resolution = serializers.CharField(max_length=DESCRIPTION_MAX)
        compensation = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, default=0)

    @_action_schema(InputSerializer, "in_progress → resolved.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_resolve(
            complaint=complaint,
            actor=actor,
            expected_version=self.expected_version,
            resolution=data["resolution"],
            compensation=data["compensation"],
        )


class ComplaintRevisitApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintRevisitInput"

        satisfied = serializers.BooleanField()
        score = serializers.IntegerField(min_value=1, max_value=5)
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @_action_schema(InputSerializer, "Record the follow-up call (回访) on a resolved complaint.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_revisit(
            complaint=complaint,
            actor=actor,
            expected_version=self.expected_version,
            satisfied=data["satisfied"],
            score=data["score"],
            note=data["note"],
        )


class ComplaintCloseApi(_ActionApi):
    @_action_schema(None, "resolved → closed; requires a recorded follow-up call (and a case for a major complaint).")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_close(complaint=complaint, actor=actor, expected_version=self.expected_version)


class ComplaintReopenApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintReopenInput"

        reason = serializers.CharField(max_length=2000)

    @_action_schema(InputSerializer, "resolved or closed → in_progress; severity becomes at least important.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_reopen(complaint=complaint, actor=actor, expected_version=self.expected_version, reason=data["reason"])


class ComplaintEscalateApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintEscalateInput"

        reason = serializers.CharField(max_length=2000)

    @_action_schema(InputSerializer, "Send the complaint one level up the escalation ladder, with a reason.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_escalate(
            complaint=complaint, actor=actor, expected_version=self.expected_version, reason=data["reason"]
        )


class ComplaintSetSeverityApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintSetSeverityInput"

        severity = serializers.ChoiceField(choices=SEVERITY_CHOICES)
        reason = serializers.CharField(max_length=2000)

    @_action_schema(InputSerializer, "A manager sets the severity by hand, with a reason.")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, complaint, actor, data):
        services.complaint_set_severity(
            complaint=complaint,
            actor=actor,
            expected_version=self.expected_version,
            severity=SEVERITY_BY_CODE[data["severity"]],
            reason=data["reason"],
        )


# --- KPIs ------------------------------------------------------------------------------------------


class ComplaintKpisApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ComplaintKpisInput"

        project = serializers.CharField(max_length=40, required=False)
        from_ = serializers.DateField(required=False)
        to = serializers.DateField(required=False)

        def get_fields(self):
            fields = super().get_fields()
            fields["from"] = fields.pop("from_")
            return fields

        def validate(self, attrs):
            if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
                raise serializers.ValidationError({"from": [_("“from” must not be after “to”.")]})
            return attrs

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, description="Project code; all projects in scope when omitted."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive); defaults to 30 days ago."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); defaults to today."),
        ],
        responses={
            200: inline_serializer(
                "ComplaintKpis",
                fields={
                    "satisfaction_rate": serializers.FloatField(allow_null=True),
                    "on_time_rate": serializers.FloatField(allow_null=True),
                    "closure_rate": serializers.FloatField(allow_null=True),
                    "revisit_rate": serializers.FloatField(allow_null=True),
                    "targets": serializers.DictField(child=serializers.FloatField()),
                    "by_category": serializers.DictField(child=serializers.DictField(child=serializers.IntegerField())),
                    "by_severity": serializers.DictField(child=serializers.DictField(child=serializers.IntegerField())),
                    "counts": serializers.DictField(child=serializers.IntegerField()),
                },
            ),
            400: OpenApiResponse(description="Bad dates."),
            404: OpenApiResponse(description="No such project in the caller's scope."),
        },
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        today = timezone.localdate()
        end = values.get("to") or today
        start = values.get("from") or (end - timedelta(days=29))
        project = None
        if values.get("project"):
            project = access.projects_for(request.user).filter(code=values["project"]).first()
            if project is None:
                raise Http404
        return Response(selectors.complaint_kpis(actor=request.user, project=project, start=start, end=end))


ACTION_VIEWS = {
    "respond": ComplaintRespondApi,
    "assign": ComplaintAssignApi,
    "hold": ComplaintHoldApi,
    "resume": ComplaintResumeApi,
    "resolve": ComplaintResolveApi,
    "revisit": ComplaintRevisitApi,
    "close": ComplaintCloseApi,
    "reopen": ComplaintReopenApi,
    "escalate": ComplaintEscalateApi,
    "set-severity": ComplaintSetSeverityApi,
}
