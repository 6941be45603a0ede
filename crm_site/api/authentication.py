"""API-client authentication: ``Authorization: Token <key>``, keys stored hashed, never in the URL."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from estates import access, api_client_cache
from estates.models import ApiClient


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        if any(name in request.query_params for name in ("token", "key", "api_key", "access_token")):
            # A key in the URL ends up in logs and browser history: refuse it outright.
            raise exceptions.AuthenticationFailed(_("API keys are accepted only in the Authorization header."))
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from None
        key_hash = ApiClient.hash_key(key)
        # The row and its project ids from this worker's cache while no client or project changed
        # (estates/api_client_cache.py: revocation still takes effect from the next request).
        client, generation = api_client_cache.get(key_hash)
        if client is None:
            client = ApiClient.objects.filter(key_hash=key_hash).first()
            if client is not None and client.is_usable:
                api_client_cache.put(key_hash, client, access.project_ids_for(client), generation)
        # Expiry is checked against the clock on every request, cached or not.
        if client is None or not client.is_usable:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        now = timezone.now()
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
            api_client_cache.touch(key_hash, now)
        return client, client

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "crm_site.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`, as printed by `manage.py create_api_client`.",
        }
