from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("export.xlsx", views.inbox_export, name="inbox-export"),
    path("new/", views.intake, name="intake"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/case/", views.case_edit, name="case-edit"),
    path("<int:pk>/<str:action>/", views.action, name="action"),
    path("cases/", views.case_list, name="cases"),
    path("cases/export.xlsx", views.case_export, name="cases-export"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("clusters/", views.cluster_list, name="clusters"),
    path("clusters/export.xlsx", views.cluster_export, name="clusters-export"),
    path("clusters/<int:pk>/", views.cluster_detail, name="cluster"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<str:week>/", views.report_detail, name="report"),
    path("reports/<str:week>/xlsx/", views.report_xlsx, name="report-xlsx"),
    path("kpis/", views.kpis, name="kpis"),
]
