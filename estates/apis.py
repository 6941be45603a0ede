"""Read endpoints for the portfolio, and the sales sync."""

import django_filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .serializers import CustomerOutputSerializer, ProjectOutputSerializer, UnitOutputSerializer
from .sync import ContractRecordSerializer, contracts_sync


class ProjectListApi(generics.ListAPIView):
    serializer_class = ProjectOutputSerializer
    filterset_fields = ["city", "stage"]

    def get_queryset(self):
        return selectors.project_list(actor=self.request.user)


class ProjectDetailApi(generics.RetrieveAPIView):
    serializer_class = ProjectOutputSerializer

    def get_object(self):
        return selectors.project_get(actor=self.request.user, code=self.kwargs["code"])


class UnitFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    building = django_filters.CharFilter(field_name="building__name")


class UnitListApi(generics.ListAPIView):
    serializer_class = UnitOutputSerializer
    filterset_class = UnitFilter

    def get_queryset(self):
        return selectors.unit_list(actor=self.request.user)


class UnitDetailApi(generics.RetrieveAPIView):
    serializer_class = UnitOutputSerializer

    def get_object(self):
        return selectors.unit_get(actor=self.request.user, pk=self.kwargs["pk"])


class CustomerListApi(generics.ListAPIView):
    serializer_class = CustomerOutputSerializer
    filter_backends = []

    @extend_schema(parameters=[OpenApiParameter("search", str, description="Name, phone, external id or unit number.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.customer_list(actor=self.request.user, search=self.request.query_params.get("search", ""))


class CustomerDetailApi(generics.RetrieveAPIView):
    serializer_class = CustomerOutputSerializer

    def get_object(self):
        return selectors.customer_get(actor=self.request.user, pk=self.kwargs["pk"])


class ContractSyncApi(APIView):
    """Upsert up to 1,000 signed contracts by their external keys (API_CONTRACT.md "Portfolio sync")."""

    parser_classes = [JSONParser]

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        updated = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        errors = inline_serializer(
            "SyncRecordError", fields={"index": serializers.IntegerField(), "errors": serializers.DictField()}, many=True
        )

    @extend_schema(
        request=ContractRecordSerializer(many=True),
        responses={200: OutputSerializer, 400: OpenApiResponse(description="Not a list, or more than 1,000 records.")},
        operation_id="sync_contracts",
    )
    def post(self, request):
        result = contracts_sync(actor=request.user, records=request.data)
        return Response(self.OutputSerializer(result.as_dict()).data, status=status.HTTP_200_OK)
