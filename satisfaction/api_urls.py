from django.urls import path

from . import apis

urlpatterns = [
    path("satisfaction/waves/", apis.WaveListCreateApi.as_view(), name="satisfaction-wave-list"),
    path("satisfaction/waves/<int:pk>/", apis.WaveDetailApi.as_view(), name="satisfaction-wave-detail"),
    path("satisfaction/invitations/", apis.InvitationListApi.as_view(), name="satisfaction-invitation-list"),
    path("satisfaction/invitations/<int:pk>/", apis.InvitationDetailApi.as_view(), name="satisfaction-invitation-detail"),
    path("satisfaction/results/", apis.ResultsApi.as_view(), name="satisfaction-results"),
    path("satisfaction/triggers/", apis.TriggerCreateApi.as_view(), name="satisfaction-trigger-create"),
    path("satisfaction/public/<str:token>/", apis.PublicSurveyApi.as_view(), name="satisfaction-public-survey"),
]
