from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        from estates import panels

        from . import selectors

        def customer_panel(request, customer):
            return {
                "complaints": selectors.customer_complaints(actor=request.user, customer=customer),
                "customer_id": customer.pk,
            }

        panels.register("customer", order=20, template="complaints/_customer_panel.html", context=customer_panel)
