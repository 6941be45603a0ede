from django.urls import path

from . import apis

urlpatterns = [
    path("complaints/", apis.ComplaintListCreateApi.as_view(), name="api-complaint-list"),
    path("complaints/kpis/", apis.ComplaintKpisApi.as_view(), name="api-complaint-kpis"),
    path("complaints/<int:pk>/", apis.ComplaintDetailApi.as_view(), name="api-complaint-detail"),
    *[
        path(f"complaints/<int:pk>/{action}/", view.as_view(), name=f"api-complaint-{action}")
        for action, view in apis.ACTION_VIEWS.items()
    ],
]
