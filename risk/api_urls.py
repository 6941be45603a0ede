from django.urls import path

from . import apis

urlpatterns = [
    path("risk/items/", apis.RiskItemListApi.as_view(), name="api-risk-item-list"),
    path("risk/items/<int:pk>/", apis.RiskItemDetailApi.as_view(), name="api-risk-item-detail"),
    path("risk/items/<int:pk>/start/", apis.RiskItemStartApi.as_view(), name="api-risk-item-start"),
    path("risk/items/<int:pk>/close/", apis.RiskItemCloseApi.as_view(), name="api-risk-item-close"),
    path("risk/items/<int:pk>/reopen/", apis.RiskItemReopenApi.as_view(), name="api-risk-item-reopen"),
    path("risk/items/<int:pk>/update/", apis.RiskItemUpdateApi.as_view(), name="api-risk-item-update"),
    path("risk/items/<int:pk>/follow-up/", apis.RiskItemFollowUpApi.as_view(), name="api-risk-item-follow-up"),
    path("risk/reviews/", apis.ReviewListApi.as_view(), name="api-risk-review-list"),
    path("risk/reviews/<int:pk>/", apis.ReviewDetailApi.as_view(), name="api-risk-review-detail"),
    path("risk/reviews/<int:pk>/answers/<int:item_id>/", apis.ReviewAnswerApi.as_view(), name="api-risk-review-answer"),
    path("risk/reviews/<int:pk>/sign-off/", apis.ReviewSignOffApi.as_view(), name="api-risk-review-sign-off"),
    path("risk/factor-types/", apis.FactorTypeListApi.as_view(), name="api-risk-factor-types"),
    path("risk/factors/", apis.FactorListApi.as_view(), name="api-risk-factor-list"),
    path("risk/factors/<int:pk>/", apis.FactorDetailApi.as_view(), name="api-risk-factor-detail"),
    path("risk/factors/<int:pk>/disclose/", apis.FactorDiscloseApi.as_view(), name="api-risk-factor-disclose"),
    path("risk/promises/", apis.PromiseListApi.as_view(), name="api-risk-promise-list"),
    path("risk/promises/<int:pk>/", apis.PromiseDetailApi.as_view(), name="api-risk-promise-detail"),
    path("risk/promises/<int:pk>/verify/", apis.PromiseVerifyApi.as_view(), name="api-risk-promise-verify"),
    path("risk/promises/<int:pk>/changes/", apis.PromiseChangeProposeApi.as_view(), name="api-risk-promise-change"),
    path(
        "risk/promise-changes/<int:pk>/<str:action>/",
        apis.PromiseChangeActionApi.as_view(),
        name="api-risk-promise-change-action",
    ),
]
