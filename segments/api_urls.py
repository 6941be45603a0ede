from django.urls import path

from . import apis

urlpatterns = [
    path("segments/", apis.SegmentListApi.as_view(), name="api-segment-list"),
    path("segments/shares/", apis.SegmentSharesApi.as_view(), name="api-segment-shares"),
    path("segments/customers/<int:pk>/", apis.CustomerSegmentApi.as_view(), name="api-customer-segment"),
    path(
        "segments/customers/<int:pk>/override/", apis.CustomerSegmentOverrideApi.as_view(), name="api-customer-segment-override"
    ),
    path("segments/parcels/", apis.ParcelListCreateApi.as_view(), name="api-parcel-list"),
    path("segments/parcels/<int:pk>/", apis.ParcelDetailApi.as_view(), name="api-parcel-detail"),
    path("segments/rules/", apis.RuleListApi.as_view(), name="api-segment-rules"),
    path("segments/recompute/", apis.RecomputeRunsApi.as_view(), name="api-segment-recompute"),
]
