from django.urls import path

from . import views

app_name = "estates"
urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/export.xlsx", views.project_export, name="project-list-export"),
    path("projects/<str:code>/", views.project_detail, name="project-detail"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/export.xlsx", views.customer_export, name="customer-list-export"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("notifications/", views.notification_list, name="notification-list"),
]
