"""Composition pages built from the apps' selectors (dashboards, reports)."""

from django.urls import path

from crm_site.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("dashboard/", views.project_dashboard_home, name="project-dashboard-home"),
    path("dashboard/group/", views.group_dashboard, name="group-dashboard"),
    path("dashboard/group.xlsx", views.group_export, name="group-export"),
    path("dashboard/projects/<str:code>/", views.project_dashboard, name="project-dashboard"),
    path("dashboard/projects/<str:code>/export.xlsx", views.project_export, name="project-export"),
    path("dashboard/projects/<str:code>/scorecard/", views.scorecard_view, name="scorecard"),
    path("dashboard/projects/<str:code>/scorecard/edit/", views.scorecard_edit, name="scorecard-edit"),
    path("dashboard/projects/<str:code>/scorecard/seed/", views.scorecard_seed, name="scorecard-seed"),
    path(
        "dashboard/projects/<str:code>/scorecard/measures/<int:pk>/delete/",
        views.scorecard_measure_delete,
        name="scorecard-measure-delete",
    ),
    path("dashboard/projects/<str:code>/reports/", views.report_list, name="report-list"),
    path("dashboard/projects/<str:code>/reports/build/", views.report_build, name="report-build"),
    path("dashboard/projects/<str:code>/reports/<str:month>/", views.report_detail, name="report-detail"),
    path("dashboard/projects/<str:code>/reports/<str:month>.xlsx", views.report_xlsx, name="report-xlsx"),
]
