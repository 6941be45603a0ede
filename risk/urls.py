from django.urls import path

from . import views

app_name = "risk"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/", views.item_list, name="item-list"),
    path("items/export.xlsx", views.item_export, name="item-export"),
    path("items/<int:pk>/", views.item_detail, name="item-detail"),
    path("items/<int:pk>/<slug:action>/", views.item_action, name="item-action"),
    path("projects/<str:code>/", views.project_detail, name="project-detail"),
    path("projects/<str:code>/items/new/", views.item_new, name="item-new"),
    path("projects/<str:code>/reviews/new/", views.review_new, name="review-new"),
    path("projects/<str:code>/factors/new/", views.factor_new, name="factor-new"),
    path("projects/<str:code>/promises/new/", views.promise_new, name="promise-new"),
    path("projects/<str:code>/disclosure/", views.disclosure_sheet, name="disclosure-sheet"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/answers/<int:item_id>/", views.review_answer, name="review-answer"),
    path("reviews/<int:pk>/sign-off/", views.review_sign_off, name="review-sign-off"),
    path("factors/<int:pk>/", views.factor_detail, name="factor-detail"),
    path("factors/<int:pk>/disclose/", views.factor_disclose, name="factor-disclose"),
    path("promises/<int:pk>/", views.promise_detail, name="promise-detail"),
    path("promises/<int:pk>/<slug:action>/", views.promise_action, name="promise-action"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/<int:pk>/", views.template_detail, name="template-detail"),
    path("templates/<int:pk>/new-version/", views.template_new_version, name="template-new-version"),
    path("templates/items/<int:pk>/edit/", views.template_item_edit, name="template-item-edit"),
]
