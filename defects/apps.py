from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DefectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "defects"
    verbose_name = _("Defect feedback")

    def ready(self):
        from estates import panels

        from .panels import complaint_panel_context, project_panel_context

        panels.register("project", order=30, template="defects/_project_panel.html", context=project_panel_context)
        panels.register("complaint", order=30, template="defects/_complaint_panel.html", context=complaint_panel_context)
