from django.urls import path

from . import public_views, views

app_name = "satisfaction"
urlpatterns = [
    path("", views.index, name="index"),
    path("invitations/", views.invitation_list, name="invitation-list"),
    path("invitations/export.xlsx", views.invitation_export, name="invitation-list-export"),
    path("invitations/<int:pk>/", views.invitation_detail, name="invitation-detail"),
    path("follow-ups/", views.follow_up_list, name="follow-up-list"),
    path("follow-ups/export.xlsx", views.follow_up_export, name="follow-up-list-export"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="follow-up-detail"),
    path("waves/", views.wave_list, name="wave-list"),
    path("waves/new/", views.wave_edit, name="wave-create"),
    path("waves/<int:pk>/", views.wave_edit, name="wave-edit"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/<int:pk>/", views.template_detail, name="template-detail"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/start/", views.run_start, name="run-start"),
    path("export.xlsx", views.response_export, name="export"),
    # The owners' pages: no login; the signed token is the only key.
    path("s/<str:token>/", public_views.survey, name="survey"),
    path("s/<str:token>/thanks/", public_views.survey_thanks, name="survey-thanks"),
    path("s/<str:token>/opt-out/", public_views.survey_opt_out, name="survey-opt-out"),
]
