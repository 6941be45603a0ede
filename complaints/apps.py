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

        from django.db.models.signals import post_delete, post_save

        from .models import CalendarDay, SlaPolicy, WorkCalendar
        from .sla import sla_book_changed

        for model in (SlaPolicy, WorkCalendar, CalendarDay):
            post_save.connect(sla_book_changed, sender=model, dispatch_uid=f"sla-book-{model.__name__}-save")
            post_delete.connect(sla_book_changed, sender=model, dispatch_uid=f"sla-book-{model.__name__}-delete")
