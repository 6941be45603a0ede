from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TouchpointsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "touchpoints"
    verbose_name = _("Touchpoints")

    def ready(self):
        from estates import panels

        from . import panels as tp_panels

        panels.register("customer", order=10, template="touchpoints/_customer_panel.html", context=tp_panels.customer_panel)
        panels.register("project", order=20, template="touchpoints/_project_panel.html", context=tp_panels.project_panel)
