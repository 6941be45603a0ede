from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class ActorRateThrottle(SimpleRateThrottle):
    """One budget per API client or staff user (per address for anonymous callers)."""

    scope = "actor"

    def get_rate(self):
        # SimpleRateThrottle binds THROTTLE_RATES at import; read the setting per request so that it can change.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        user = request.user
        if getattr(user, "is_authenticated", False):
            ident = f"{type(user).__name__}:{user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
