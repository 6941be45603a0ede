"""Endpoints of the risk register (风险预控表)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm_site.api import versioning
from estates.serializers import ProjectRefField

from .. import selectors, services
from ..models import RiskItem
from .common import CONFLICT, FORBIDDEN, NOT_FOUND, EventSerializer, _valid, owner_from_username, project_for_write


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
        response = Response(RiskItemDetailSerializer(item, context={"request": request}).data)
        response["ETag"] = versioning.etag(item.version)  # for If-Match on the update (optimistic locking)
        return response


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
        parameters=[versioning.IF_MATCH],
        responses={200: RiskItemDetailSerializer, 400: None, 404: NOT_FOUND, 409: CONFLICT, 412: versioning.PRECONDITION_FAILED},
        operation_id="risk_items_update",
    )
    def post(self, request, pk):
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        data = _valid(self.InputSerializer, request)
        if "owner" in data:
            data["owner"] = owner_from_username(item.project, data["owner"])
        expected = versioning.expected_versions(request)  # optional If-Match: 412 if the item changed since
        item = services.risk_item_update(item=item, actor=request.user, expected_version=expected, **data)
        response = Response(RiskItemDetailSerializer(item, context={"request": request}).data)
        response["ETag"] = versioning.etag(item.version)
        return response


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
