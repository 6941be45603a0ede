from django.apps import AppConfig


class EstatesConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'estates'

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import api_client_cache
        from .models import ApiClient, Project

        def _changed(**_kwargs):
            api_client_cache.invalidate()

        # Any saved or deleted client or project: every worker re-reads API clients (api_client_cache.py).
        for model in (ApiClient, Project):
            post_save.connect(_changed, sender=model, dispatch_uid=f"api-client-cache-{model.__name__}-save", weak=False)
            post_delete.connect(_changed, sender=model, dispatch_uid=f"api-client-cache-{model.__name__}-delete", weak=False)
