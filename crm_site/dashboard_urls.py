"""Composition pages built from the apps' selectors (dashboards, reports)."""

app_name = "dashboards"
urlpatterns = []
