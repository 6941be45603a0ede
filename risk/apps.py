from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "risk"
    verbose_name = _("Risk control")

    def ready(self):
        from estates import panels

        from .panels import project_panel_context

        panels.register("project", order=40, template="risk/_project_panel.html", context=project_panel_context)
