from django.urls import path

from . import views

app_name = "segments"
urlpatterns = [
    path("", views.index, name="index"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule-create"),
    # Rules are shared by every project: named in the query string (?pk=), not a route kwarg.
    path("rules/edit/", views.rule_edit, name="rule-edit"),
    path("recompute/", views.recompute_start, name="recompute-start"),
    path("customers/<int:customer_pk>/override/", views.customer_override, name="customer-override"),
    path("parcels/", views.parcels, name="parcels"),
    path("parcels/export.xlsx", views.parcels_export, name="parcels-export"),
    path("parcels/<int:pk>/", views.parcel_detail, name="parcel-detail"),
]
