"""Endpoints of the sales-promise register and promise changes."""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from estates.models import Milestone
from estates.serializers import ProjectRefField

from .. import selectors, services
from ..models import PromiseChange, SalesPromise
from .common import CONFLICT, FORBIDDEN, NOT_FOUND, _valid, project_for_write


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
