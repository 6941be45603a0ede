"""Endpoints of adverse factors outside the site boundary and their disclosure."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from estates.serializers import ProjectRefField

from .. import selectors, services
from ..models import AdverseFactor, Disclosure
from .common import FORBIDDEN, NOT_FOUND, _valid, project_for_write


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
