from django.urls import path

from . import views

app_name = "touchpoints"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.index_export, name="index-export"),
    # The catalogue is shared by every project, so its records are named in the query string
    # (?code=): route kwargs are reserved for project-scoped objects (tests/security/routes.py).
    path("catalogue/new/", views.touchpoint_edit, name="touchpoint-create"),
    path("catalogue/edit/", views.touchpoint_edit, name="touchpoint-edit"),
    path("catalogue/points/new/", views.point_edit, name="point-create"),
    path("catalogue/points/edit/", views.point_edit, name="point-edit"),
    path("projects/<str:code>/checks/", views.project_checks, name="project-checks"),
    path("follow-ups/<int:pk>/close/", views.follow_up_close, name="follow-up-close"),
    path("customers/<int:customer_pk>/contacts/new/", views.contact_create, name="contact-create"),
]
