from django.urls import path

from . import views

app_name = "defects"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.index_export, name="index-export"),
    path("new/", views.defect_create, name="create"),
    path("from-complaint/<int:complaint_pk>/", views.defect_create, name="create-from-complaint"),
    path("inspection/", views.inspection_create, name="inspection"),
    path("<int:pk>/", views.defect_detail, name="detail"),
    path("<int:pk>/photos/", views.photo_upload, name="photo-upload"),
    path("<int:pk>/<slug:action>/", views.defect_action, name="action"),
    path("photos/<int:pk>/<str:variant>/", views.photo_download, name="photo"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/export.xlsx", views.meeting_list_export, name="meeting-list-export"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("handbook/", views.handbook, name="handbook"),
    path("handbook/export.xlsx", views.handbook_export, name="handbook-export"),
    path("handbook/<int:pk>/", views.handbook_detail, name="handbook-detail"),
    path("prevention/", views.prevention_index, name="prevention-index"),
    path("prevention/<str:code>/", views.prevention, name="prevention"),
    path("prevention/<str:code>/tags/", views.prevention_tags, name="prevention-tags"),
    path("prevention/items/<int:pk>/", views.prevention_tick, name="prevention-tick"),
]
