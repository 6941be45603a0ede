from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "segments"
    verbose_name = _("Segments")

    def ready(self):
        from estates import panels
        from estates.signals import customers_changed

        from . import panels as segment_panels
        from .receivers import on_customers_changed

        customers_changed.connect(on_customers_changed, dispatch_uid="segments.on_customers_changed")
        panels.register("customer", order=5, template="segments/_customer_panel.html", context=segment_panels.customer_panel)
