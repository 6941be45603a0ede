from django.urls import path

from . import apis

urlpatterns = [
    path("touchpoints/catalogue/", apis.CatalogueListApi.as_view(), name="api-touchpoint-catalogue"),
    path("touchpoints/points/", apis.PointListApi.as_view(), name="api-touchpoint-points"),
    path("touchpoints/checks/", apis.CheckListCreateApi.as_view(), name="api-touchpoint-checks"),
    path("touchpoints/projects/<str:code>/coverage/", apis.CoverageApi.as_view(), name="api-touchpoint-coverage"),
    path("contacts/", apis.ContactListCreateApi.as_view(), name="api-contacts"),
]
