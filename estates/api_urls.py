from django.urls import path

from . import apis

urlpatterns = [
    path("projects/", apis.ProjectListApi.as_view(), name="api-project-list"),
    path("projects/<str:code>/", apis.ProjectDetailApi.as_view(), name="api-project-detail"),
    path("units/", apis.UnitListApi.as_view(), name="api-unit-list"),
    path("units/<int:pk>/", apis.UnitDetailApi.as_view(), name="api-unit-detail"),
    path("customers/", apis.CustomerListApi.as_view(), name="api-customer-list"),
    path("customers/<int:pk>/", apis.CustomerDetailApi.as_view(), name="api-customer-detail"),
    path("sync/contracts/", apis.ContractSyncApi.as_view(), name="api-sync-contracts"),
]
