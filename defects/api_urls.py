from django.urls import path

from . import apis

urlpatterns = [
    path("defects/", apis.DefectListCreateApi.as_view(), name="defects-api-list"),
    path("defects/from-complaint/", apis.DefectFromComplaintApi.as_view(), name="defects-api-from-complaint"),
    path("defects/summary/", apis.DefectSummaryApi.as_view(), name="defects-api-summary"),
    path("defects/handbook/", apis.HandbookListApi.as_view(), name="defects-api-handbook"),
    path("defects/<int:pk>/", apis.DefectDetailApi.as_view(), name="defects-api-detail"),
    path("defects/<int:pk>/photos/", apis.DefectPhotoUploadApi.as_view(), name="defects-api-photos"),
    *[
        path(f"defects/<int:pk>/{action}/", view.as_view(), name=f"defects-api-{action}")
        for action, (view, _summary) in apis.ACTIONS.items()
    ],
]
