from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "satisfaction"
    verbose_name = _("Satisfaction")

    def ready(self):
        from estates import panels

        from .panels import project_panel_context

        panels.register("project", order=60, template="satisfaction/_project_panel.html", context=project_panel_context)
