from django.urls import path

from . import views

app_name = "touchpoints"
urlpatterns = [
    path("", views.index, name="index"),
    path("catalogue/new/", views.touchpoint_edit, name="touchpoint-create"),
    path("catalogue/<slug:code>/edit/", views.touchpoint_edit, name="touchpoint-edit"),
    path("catalogue/<slug:touchpoint_code>/points/new/", views.point_edit, name="point-create"),
    path("points/<slug:code>/edit/", views.point_edit, name="point-edit"),
    path("projects/<str:code>/checks/", views.project_checks, name="project-checks"),
    path("follow-ups/<int:pk>/close/", views.follow_up_close, name="follow-up-close"),
    path("customers/<int:customer_pk>/contacts/new/", views.contact_create, name="contact-create"),
]
